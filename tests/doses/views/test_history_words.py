"""Issue 16, point 6: the history in words a person reads. Side effects and injection sites by
their labels (the CSV too), each entry linked to its details; "PDC" and rule IDs only for
clinicians (the family reads days covered in words, the IDs behind "Why?")."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from doses import sites
from doses.models import Injection, SideEffect
from doses.services import summaries as summary_services
from tests.doses.dashboard_history import build_history

RULE_ID = re.compile(r"\b[A-Z]{2,}-[A-Z0-9-]*[A-Z0-9]\b")
WHY = re.compile(r'<details class="why".*?</details>', re.S)


def visible_text_outside_why(html: str) -> str:
    """The page's words as read, without the "Why?" disclosures, comments, titles and tags."""
    html = WHY.sub(" ", html)
    html = re.sub(r"<(script|style|title)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def why_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", block) for block in WHY.findall(html))


@pytest.fixture
def alice_year(world):
    """A year of doses, a serious side effect, a site reaction after an injection, Etanercept (IX-TNF)."""
    regimen = build_history(world.alice, world.carol, days=365)
    injection = Injection.objects.filter(patient=world.alice).order_by("-taken_at").first()
    SideEffect.objects.filter(patient=world.alice, symptom="site_redness").update(injection=injection)
    summary_services.refresh_adherence_summaries(patient_ids=[world.alice.pk])
    return regimen


def _get(client_for, user, name, patient):
    return client_for(user).get(reverse(name, args=[patient.pk])).content.decode()


@pytest.mark.parametrize("who", ["alice_user", "bob"])
@pytest.mark.parametrize("name", ["doses:patient", "doses:report"])
def test_the_family_reads_the_history_without_rule_ids_or_PDC(world, alice_year, client_for, who, name):
    html = _get(client_for, getattr(world, who), name, world.alice)
    text = visible_text_outside_why(html)
    assert not RULE_ID.findall(text), f"rule IDs in the sentences: {sorted(set(RULE_ID.findall(text)))}"
    assert "PDC" not in text
    # The sources are one tap away, behind "Why?" (closed for the family).
    behind = why_text(html)
    for rule_id in ("AE-SERIOUS", "IX-TNF", "AE-LABS", "AE-NEUTROPENIA", "SCHED-RENAL"):
        assert rule_id in behind
    assert '<details class="why" open>' not in html


def test_the_family_reads_days_covered_in_words(world, alice_year, client_for):
    html = _get(client_for, world.alice_user, "doses:patient", world.alice)
    assert re.search(r"Doses covered \d+ of \d+ days \(\d+%\)", html)


def test_a_clinician_keeps_PDC_explained_and_the_rule_ids_in_view(world, alice_year, client_for):
    html = _get(client_for, world.carol, "doses:patient", world.alice)
    assert '<abbr title="Proportion of days covered: days with syringes on hand ÷ days on treatment">PDC</abbr>' in html
    assert '<details class="why" open>' in html and '<span class="rule-id">AE-NEUTROPENIA</span>' in html


def test_a_clinicians_cached_history_is_never_shown_to_the_family(world, alice_year, client_for):
    """The record's fragments are cached under the record version; for whom they were drawn is part of the key."""
    _get(client_for, world.carol, "doses:patient", world.alice)  # fills the cache, the Why? open
    html = _get(client_for, world.bob, "doses:patient", world.alice)
    assert '<details class="why" open>' not in html


@pytest.mark.parametrize("who", ["alice_user", "carol"])
def test_side_effects_are_listed_by_label_and_linked_to_their_page(world, alice_year, client_for, who):
    html = _get(client_for, getattr(world, who), "doses:patient", world.alice)
    records = html[html.index('id="sec-side-effects"') : html.index('id="sec-sites"')]
    for effect in SideEffect.objects.filter(patient=world.alice):
        assert reverse("doses:side_effect_detail", args=[world.alice.pk, effect.pk]) in records
    assert ">Fever (high temperature)</a>" in records and ">Redness where I injected</a>" in records
    assert "site_redness" not in records and "fever (" not in records.lower().replace("fever (high", "")


def test_a_site_reaction_names_the_injection_it_followed_in_words_with_a_link_to_that_day(
    world, alice_year, client_for
):
    injection = SideEffect.objects.get(patient=world.alice, symptom="site_redness").injection
    day = injection.taken_at.astimezone(world.alice.zone).date()
    html = _get(client_for, world.bob, "doses:patient", world.alice)
    assert sites.spot_label(injection.site_spot) in html and injection.site_spot + ")" not in html
    assert f"{reverse('doses:report', args=[world.alice.pk])}?start={day}&amp;end={day}" in html


def test_the_side_effect_page_names_its_injection_spot_in_words(world, alice_year, client_for):
    effect = SideEffect.objects.get(patient=world.alice, symptom="site_redness")
    html = client_for(world.alice_user).get(
        reverse("doses:side_effect_detail", args=[world.alice.pk, effect.pk])
    ).content.decode()
    assert f"({sites.spot_label(effect.injection.site_spot)})" in html
    assert f"({effect.injection.site_spot})" not in html
    assert reverse("doses:report", args=[world.alice.pk]) + "?start=" in html


def test_the_csv_names_symptoms_and_injection_sites_by_their_labels(world, alice_year, client_for):
    response = client_for(world.carol).get(reverse("doses:export_csv", args=[world.alice.pk]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    effects = {r["symptom"] for r in rows if r["record"] == "side_effect"}
    assert effects == {"Fever (high temperature)", "Redness where I injected"}
    spots = {r["site"] for r in rows if r["record"] == "dose" and r["site"]}
    assert spots and spots <= {sites.spot_label(spot) for spot in sites.ALL_SPOTS}
    assert not any(spot in response.content.decode() for spot in ("site_redness", "thigh-right-", "abdomen-left-"))


def test_no_template_comment_is_shown_on_the_patient_page(world, alice_year, client_for):
    html = _get(client_for, world.alice_user, "doses:patient", world.alice)
    assert "{#" not in html and "#}" not in html
