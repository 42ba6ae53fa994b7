"""SCHED-TZ: changing the profile's time zone moves the doses still to come to the new local clock."""

from datetime import time

import pytest
from django.urls import reverse
from django.utils import timezone

from doses.models import DoseSlot, SlotStatus

pytestmark = pytest.mark.django_db


def profile_post(patient, **changes):
    data = {
        "display_name": patient.display_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "weight_kg": str(patient.weight_kg or ""),
        "weight_measured_on": patient.weight_measured_on.isoformat() if patient.weight_measured_on else "",
        "time_zone": patient.time_zone,
        "indication": patient.indication,
        "creatinine_clearance_ml_min": "",
    }
    return {**data, **changes}


def test_SCHED_TZ_moving_to_new_york_keeps_eight_in_the_morning_local(world, alice_on_regimen, client_for):
    response = client_for(world.alice_user).post(
        reverse("patient_edit", args=[world.alice.pk]), profile_post(world.alice, time_zone="America/New_York")
    )
    assert response.status_code == 302
    world.alice.refresh_from_db()
    assert world.alice.time_zone == "America/New_York"
    upcoming = DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.PENDING, scheduled_at__gt=timezone.now())
    assert upcoming.exists()
    for slot in upcoming:
        local = slot.scheduled_at.astimezone(world.alice.zone)
        assert local.time() == time(8, 0)
        assert local.date() == slot.local_date
    # No local day has two doses after the move (MISS-NODOUBLE).
    days = list(DoseSlot.objects.filter(patient=world.alice).values_list("local_date", flat=True))
    assert len(days) == len(set(days))


def test_saving_the_profile_without_a_zone_change_keeps_the_schedule(world, alice_on_regimen, client_for):
    before = list(DoseSlot.objects.filter(patient=world.alice).values_list("pk", "scheduled_at"))
    client_for(world.alice_user).post(reverse("patient_edit", args=[world.alice.pk]), profile_post(world.alice))
    assert list(DoseSlot.objects.filter(patient=world.alice).values_list("pk", "scheduled_at")) == before


def test_a_corrected_date_of_birth_reaches_the_panel_summary(
    world, alice_on_regimen, client_for, eager_celery, django_capture_on_commit_callbacks
):
    from doses.models import PatientAdherenceSummary
    from doses.services.summaries import refresh_adherence_summaries

    refresh_adherence_summaries(patient_ids=[world.alice.pk])
    assert PatientAdherenceSummary.objects.get(patient=world.alice).is_child is False
    child_birthday = f"{timezone.now().year - 9}-01-15"
    with django_capture_on_commit_callbacks(execute=True):  # the commit, then the worker's refresh (eager)
        client_for(world.alice_user).post(
            reverse("patient_edit", args=[world.alice.pk]), profile_post(world.alice, date_of_birth=child_birthday)
        )
    assert PatientAdherenceSummary.objects.get(patient=world.alice).is_child is True


def zone_groups(html: str) -> list[tuple[str, list[str]]]:
    """The time-zone picker as sent: (optgroup label, option values) in page order."""
    import re

    select = re.search(r'<select name="time_zone".*?</select>', html, re.S).group(0)
    return [
        (label, re.findall(r'<option value="([^"]*)"', body))
        for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    ]


def test_SCHED_TZ_the_zone_picker_lists_the_likely_zones_first(world, client_for):
    html = client_for(world.bob).get(reverse("patient_new")).content.decode()
    (common_label, common), (other_label, others) = zone_groups(html)
    assert (common_label, other_label) == ("Common time zones", "All other time zones")
    assert common[:3] == ["Europe/London", "Europe/Dublin", "America/New_York"]
    for likely in ("America/Toronto", "Australia/Sydney", "Pacific/Auckland", "Europe/Paris", "Europe/Berlin"):
        assert likely in common
    assert others[0] == "Africa/Abidjan" and "Europe/London" not in others  # each zone once
    assert len(common) + len(others) > 400


def test_SCHED_TZ_without_javascript_a_new_profile_defaults_to_a_valid_zone_and_asks_the_script_for_the_browsers(
    world, client_for
):
    html = client_for(world.bob).get(reverse("patient_new")).content.decode()
    assert 'data-browser-zone="select"' in html and "js/time_zone.js" in html
    assert '<option value="Europe/London" selected>' in html
    # An existing profile keeps its zone: the script only offers the browser's first.
    edit = client_for(world.alice_user).get(reverse("patient_edit", args=[world.alice.pk])).content.decode()
    assert 'data-browser-zone="offer"' in edit and 'data-browser-zone="select"' not in edit
