"""The patient's country (AE-OVERDOSE, AE-REPORT): from the time zone unless chosen, and edited on the profile."""

from __future__ import annotations

import pytest
from django.urls import reverse

from companion.countries import country_for_time_zone
from companion.models import Patient

from ..conftest import make_patient


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Europe/London", "GB"),
        ("Europe/Dublin", "IE"),
        ("America/Toronto", "CA"),
        ("America/Vancouver", "CA"),
        ("Australia/Sydney", "AU"),
        ("Australia/Perth", "AU"),
        ("Pacific/Auckland", "NZ"),
        ("America/New_York", "US"),
        ("America/Los_Angeles", "US"),
        ("Europe/Paris", "FR"),
        ("Europe/Berlin", "DE"),
        ("US/Eastern", "US"),  # a link in the tz database is in its target's country
        ("Europe/Belfast", "GB"),
        ("UTC", ""),
        ("Etc/GMT+5", ""),
        ("", ""),
    ],
)
def test_the_country_of_a_time_zone_comes_from_the_tz_database(zone, country):
    assert country_for_time_zone(zone) == country


@pytest.mark.django_db
def test_AE_OVERDOSE_a_patient_with_no_country_chosen_follows_her_time_zone_and_its_numbers():
    patient = make_patient("Ann Dublin", zone="Europe/Dublin")
    assert patient.country == ""
    assert patient.country_code == "IE"
    assert patient.emergency_numbers.emergency_number == "112 or 999"
    patient.time_zone = "Pacific/Auckland"  # she moves: the numbers follow until a country is chosen
    assert patient.emergency_numbers.emergency_number == "111"
    patient.country = "GB"
    assert patient.emergency_numbers.emergency_number == "999"


def profile_post(patient, **changes) -> dict:
    return {
        "display_name": patient.display_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "weight_kg": str(patient.weight_kg or ""),
        "weight_measured_on": patient.weight_measured_on.isoformat() if patient.weight_measured_on else "",
        "time_zone": patient.time_zone,
        "indication": patient.indication,
        **changes,
    }


@pytest.mark.django_db
def test_the_profile_form_offers_the_country_of_the_time_zone_by_name(world, client_for):
    html = client_for(world.alice_user).get(reverse("patient_edit", args=[world.alice.pk])).content.decode()
    assert '<option value="" selected>The country of the time zone (United Kingdom)</option>' in html
    assert '<option value="IE">Ireland</option>' in html


@pytest.mark.django_db
def test_AE_OVERDOSE_choosing_a_country_on_the_profile_changes_the_numbers_shown(world, client_for):
    client = client_for(world.alice_user)
    response = client.post(reverse("patient_edit", args=[world.alice.pk]), profile_post(world.alice, country="AU"))
    assert response.status_code == 302
    world.alice.refresh_from_db()
    assert (world.alice.time_zone, world.alice.country) == ("Europe/London", "AU")
    html = client.get(reverse("doses:side_effects", args=[world.alice.pk])).content.decode()
    assert 'href="tel:000"' in html and 'href="tel:999"' not in html


@pytest.mark.django_db
def test_clearing_the_country_goes_back_to_the_time_zones(world, client_for):
    world.alice.country = "US"
    world.alice.save(update_fields=["country"])
    response = client_for(world.alice_user).post(
        reverse("patient_edit", args=[world.alice.pk]), profile_post(world.alice, country="")
    )
    assert response.status_code == 302
    world.alice.refresh_from_db()
    assert world.alice.country == "" and world.alice.country_code == "GB"


@pytest.mark.django_db
def test_a_country_code_that_does_not_exist_is_refused_and_nothing_changes(world, client_for):
    response = client_for(world.alice_user).post(
        reverse("patient_edit", args=[world.alice.pk]), profile_post(world.alice, country="XX")
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    world.alice.refresh_from_db()
    assert world.alice.country == ""


@pytest.mark.django_db
def test_a_new_profile_keeps_the_country_chosen(world, client_for):
    response = client_for(world.bob).post(
        reverse("patient_new"),
        {
            "who": "parent",
            "display_name": "Sam Child",
            "date_of_birth": "2020-03-04",
            "weight_kg": "18.5",
            "weight_measured_on": "2026-11-01",
            "time_zone": "Europe/London",
            "country": "IE",
            "indication": "CAPS",
        },
    )
    assert response.status_code == 302
    assert Patient.objects.get(display_name="Sam Child").country == "IE"
