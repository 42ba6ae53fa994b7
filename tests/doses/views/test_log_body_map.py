"""The body map and site rotation (SITE-SELF, SITE-OTHER, SITE-ROTATE), through the log page."""

from __future__ import annotations

import re
from datetime import UTC, date, timedelta

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from doses import sites
from doses.models import Injection
from tests.doses.log_helpers import alice_in_new_york, log_data, slot_at

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
SELF_SPOTS = sites.allowed_spots(False)
BACK_ZONES = ("arm-left", "arm-right", "buttock-left", "buttock-right")


def label_text(page: str, input_id: str) -> str:
    """What a screen reader announces for an input: its label's text, star hidden, spaces collapsed."""
    match = re.search(rf'<label[^>]*for="{input_id}">(.*?)</label>', page, re.S)
    assert match, input_id
    text = re.sub(r'<span aria-hidden="true">.*?</span>', "", match.group(1))
    text = re.sub(r"<[^>]+>", "", text)
    return " ".join(text.split())


def log_url(patient, slot=None) -> str:
    url = reverse("doses:log", args=[patient.pk])
    return f"{url}?slot={slot.pk}" if slot else url


def log_suggested_spot_for(client, patient, day) -> str:
    """Open the log page for `day`'s dose, accept the suggested spot, and log it."""
    slot = slot_at(patient, day)
    page = client.get(log_url(patient, slot))
    spot = page.context["form"].initial["site_spot"]
    response = client.post(
        log_url(patient, slot), log_data(patient, slot.scheduled_at + timedelta(minutes=5), site_spot=spot)
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Injection.objects.get(slot=slot).site_spot == spot
    return spot


def test_SITE_ROTATE_following_the_suggestion_uses_every_spot_once_before_any_repeats(world, client_for, monkeypatch):
    days = len(SELF_SPOTS)  # 20 spots on the stomach and thighs
    alice_in_new_york(world, monkeypatch, days_before=days + 2)
    client = client_for(world.alice_user)
    first_day = TODAY - timedelta(days=days + 1)
    used = [log_suggested_spot_for(client, world.alice, first_day + timedelta(days=n)) for n in range(days + 1)]
    assert len(set(used[:days])) == days
    assert set(used[:days]) == set(SELF_SPOTS)
    # SITE-SELF: the back of the arms and the buttocks are never suggested for self-injection.
    assert not any(spot.startswith(BACK_ZONES) for spot in used)
    # Only after every spot was used once does the first one come round again.
    assert used[days] == used[0]


def test_SITE_ROTATE_consecutive_suggestions_are_about_2_5_cm_apart_never_the_same_spot():
    last_used = {}
    previous = None
    for n in range(60):
        spot = sites.suggest_next_spot(last_used, False)
        assert spot != previous
        last_used[spot] = n
        previous = spot


def test_SITE_SELF_arms_and_buttocks_are_never_suggested_for_self_injection_whatever_the_history():
    from datetime import datetime

    # Even when every self-injection spot was used recently and the back spots never.
    last_used = {spot: datetime(2026, 1, 1, tzinfo=UTC) for spot in SELF_SPOTS}
    assert not sites.suggest_next_spot(last_used, False).startswith(BACK_ZONES)
    assert sites.suggest_next_spot(last_used, True).startswith(BACK_ZONES)


def test_SITE_SELF_a_back_site_is_refused_when_injecting_yourself(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    response = client_for(world.alice_user).post(
        log_url(world.alice), log_data(world.alice, now, site_spot="buttock-left-2", notes="felt fine")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Left buttock is only for when someone else gives the injection." in page
    assert "SITE-OTHER" in page  # the rule, in the "Why?"
    assert "use the stomach or the front/outer thigh." in page
    # The input is kept: the chosen spot stays selected, the notes stay.
    assert re.search(r'value="buttock-left-2"[^>]*checked', page)
    assert "felt fine" in page
    assert not Injection.objects.exists()


def test_SITE_OTHER_someone_else_may_use_the_back_of_the_arm_and_the_buttocks(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    response = client_for(world.alice_user).post(
        log_url(world.alice), log_data(world.alice, now, site_spot="arm-right-2", injected_by="other")
    )
    assert response.status_code == 302
    assert Injection.objects.get().site_spot == "arm-right-2"


def test_SITE_ROTATE_the_same_spot_as_last_time_asks_for_confirmation(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 26, 9, 0))
    client = client_for(world.alice_user)
    yesterday = slot_at(world.alice, TODAY)
    client.post(
        log_url(world.alice, yesterday),
        log_data(world.alice, yesterday.scheduled_at, site_spot="thigh-left-3"),
    )
    response = client.post(log_url(world.alice), log_data(world.alice, now, site_spot="thigh-left-3"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This is the same spot as the last injection" in page
    assert "about 2.5 cm (1 inch) away" in page
    assert "log it anyway" in page
    assert Injection.objects.count() == 1
    confirmed = client.post(
        log_url(world.alice), log_data(world.alice, now, site_spot="thigh-left-3", confirm_same_spot="on")
    )
    assert confirmed.status_code == 302
    assert Injection.objects.count() == 2


def test_SITE_ROTATE_the_page_marks_the_last_spot_and_warns_early(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch, at=(2026, 11, 26, 9, 0))
    client = client_for(world.alice_user)
    yesterday = slot_at(world.alice, TODAY)
    client.post(log_url(world.alice, yesterday), log_data(world.alice, yesterday.scheduled_at))
    page = client.get(log_url(world.alice)).content.decode()
    assert 'data-last-spot="abdomen-left-1"' in page  # body_map.js warns as soon as it is chosen
    assert "same spot as the last injection" in page  # the warning text it shows
    assert "(last time)" in page
    assert now


def test_the_body_map_is_real_radio_inputs_with_labels_grouped_by_zone(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    page = client_for(world.alice_user).get(log_url(world.alice)).content.decode()
    for spot in sites.ALL_SPOTS:
        assert f'<input type="radio" class="form-check-input" name="site_spot" id="spot-{spot}" value="{spot}"' in page
        assert re.search(rf'<label class="choice-option spot-option recency-\w+" for="spot-{spot}">', page)
    for zone in sites.ZONES:
        assert f'<legend class="fs-6 mb-1 fw-semibold">{zone.label}</legend>' in page
    # The drawing is decoration for screen readers; the inputs carry the meaning.
    assert '<div class="body-map-figures" aria-hidden="true">' in page
    # The suggested spot says so in words as well as with a star.
    assert label_text(page, "spot-abdomen-left-1") == "Stomach, left of the navel, spot 1 — not used yet suggested"
    assert '<span aria-hidden="true">★</span> suggested</span>' in page


def test_each_spot_says_when_it_was_last_used(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    client = client_for(world.alice_user)
    three_days_ago = slot_at(world.alice, TODAY - timedelta(days=3))
    client.post(
        log_url(world.alice, three_days_ago),
        log_data(world.alice, three_days_ago.scheduled_at, site_spot="abdomen-left-2"),
    )
    page = client.get(log_url(world.alice)).content.decode()
    assert label_text(page, "spot-abdomen-left-2") == "Stomach, left of the navel, spot 2 — used 3 days ago (last time)"
    assert label_text(page, "spot-thigh-right-6") == "Right thigh, front/outer, spot 6 — not used yet"


def test_SITE_OTHER_back_zones_are_explained_for_self_injection(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    page = client_for(world.alice_user).get(log_url(world.alice)).content.decode()
    assert "only when someone else gives the injection." in page
    assert "(SITE-OTHER)" in page  # the rule, in the spot card's "Why?"
    # Each back zone points to that explanation, and body_map.js disables them while "I injected myself" is chosen.
    assert page.count('data-self-allowed="0" data-view="back" aria-describedby="back-note"') == 4


def test_SITE_OTHER_when_the_suggestions_differ_each_is_marked_for_its_case(world, client_for, monkeypatch):
    from doses.models import DoseSlot
    from tests.doses.log_helpers import fill_history

    now = alice_in_new_york(world, monkeypatch, days_before=len(SELF_SPOTS) + 1)
    past = list(DoseSlot.objects.filter(patient=world.alice, scheduled_at__lt=now - timedelta(hours=12)))
    fill_history(world.alice, world.alice_user, past[-len(SELF_SPOTS) :])  # every self spot once, in map order
    page = client_for(world.alice_user).get(log_url(world.alice)).content.decode()
    # Self-injection: the stomach spot used longest ago; someone else: a back spot never used.
    assert re.search(r'data-spot="abdomen-left-1">\s*<circle[^>]*/>\s*<text class="map-star" data-when="self"', page)
    assert re.search(
        r'data-spot="arm-left-1">\s*<circle[^>]*/>\s*<text class="map-star is-hidden" data-when="other"', page
    )
    assert label_text(page, "spot-abdomen-left-1").endswith("suggested")
    assert 'class="spot-suggested" data-when="other" hidden' in page


@settings(max_examples=200, deadline=None)
@given(
    history=st.dictionaries(
        st.sampled_from(sites.ALL_SPOTS), st.integers(min_value=0, max_value=10_000), max_size=len(sites.ALL_SPOTS)
    ),
    someone_else=st.booleans(),
)
def test_SITE_ROTATE_from_any_history_following_the_suggestion_visits_every_allowed_spot_once(history, someone_else):
    from datetime import UTC, datetime

    start = datetime(2026, 1, 1, tzinfo=UTC)
    last_used = {spot: start + timedelta(hours=hours) for spot, hours in history.items()}
    allowed = sites.allowed_spots(someone_else)
    visited = []
    for day in range(len(allowed)):
        spot = sites.suggest_next_spot(last_used, someone_else)
        assert sites.is_allowed(spot, someone_else)  # SITE-SELF: never a back spot when injecting yourself
        visited.append(spot)
        last_used[spot] = start + timedelta(days=1000 + day)
    assert sorted(visited) == sorted(allowed)
