"""The care-team card (ACCESS-CARE-TEAM, AE-SERIOUS): who to call, kept by the circle, offered first
on the serious-symptom page. Numbers are read in the patient's country and stored in E.164."""

from __future__ import annotations

import pytest
from django.urls import reverse

from companion.models import AuditAction, AuditEvent, CareTeamCard

pytestmark = pytest.mark.django_db


def card_url(world) -> str:
    return reverse("care_team", args=[world.alice.pk])


def card_data(**changes) -> dict:
    return {
        "clinic_name": "Rheumatology at St Thomas'",
        "phone": "020 7946 0018",
        "hours": "Monday to Friday, 9am to 5pm",
        "out_of_hours_phone": "020 7946 0999",
        **changes,
    }


def test_ACCESS_CARE_TEAM_a_caregiver_fills_in_the_card_and_the_numbers_are_stored_in_e164(world, client_for):
    client = client_for(world.bob)
    response = client.post(card_url(world), card_data())
    assert response.status_code == 302
    card = CareTeamCard.objects.get(patient=world.alice)
    assert (card.phone, card.out_of_hours_phone, card.updated_by) == ("+442079460018", "+442079460999", world.bob)
    html = client.get(card_url(world)).content.decode()
    # Alice is in Great Britain: the national format, dialled in E.164.
    assert '<a class="btn btn-primary btn-lg w-100 mb-2" href="tel:+442079460018">' in html
    assert "Call Rheumatology at St Thomas&#x27;: 020 7946 0018" in html
    assert 'href="tel:+442079460999">Out of hours: 020 7946 0999</a>' in html
    assert "is open Monday to Friday, 9am to 5pm" in html


def test_ACCESS_CARE_TEAM_saving_the_card_writes_one_audit_row_in_the_same_request(world, client_for):
    client_for(world.carol).post(card_url(world), card_data())
    event = AuditEvent.objects.get(patient_ref=world.alice.pk, action=AuditAction.CHANGED)
    assert (event.actor, event.url_name, event.method) == (world.carol, "care_team", "POST")


def test_a_number_that_cannot_be_dialled_is_refused_and_shown_again_as_typed(world, client_for):
    response = client_for(world.alice_user).post(card_url(world), card_data(phone="020 79"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "That is not a telephone number we can dial." in html
    assert 'value="020 79"' in html and 'value="Rheumatology at St Thomas&#x27;"' in html
    assert not CareTeamCard.objects.exists()


def test_a_number_from_another_country_is_kept_and_shown_in_the_international_format(world, client_for):
    client = client_for(world.alice_user)
    client.post(card_url(world), card_data(phone="+1 212 555 0100", out_of_hours_phone=""))
    assert CareTeamCard.objects.get().phone == "+12125550100"
    html = client.get(card_url(world)).content.decode()
    assert 'href="tel:+12125550100">Call Rheumatology at St Thomas&#x27;: +1 212-555-0100</a>' in html
    assert "Out of hours" not in html


def test_the_form_shows_a_stored_number_as_people_write_it(world, client_for):
    CareTeamCard.objects.create(patient=world.alice, clinic_name="Clinic", phone="+442079460018")
    html = client_for(world.bob).get(card_url(world)).content.decode()
    assert 'value="020 7946 0018"' in html


def test_ACCESS_CARE_TEAM_someone_outside_the_circle_neither_sees_nor_changes_the_card(world, client_for):
    CareTeamCard.objects.create(patient=world.alice, clinic_name="Clinic", phone="+442079460018")
    client = client_for(world.dave)  # Zoe's clinician, not Alice's
    assert client.get(card_url(world)).status_code == 404
    assert client.post(card_url(world), card_data(phone="020 7946 0777")).status_code == 404
    assert CareTeamCard.objects.get().phone == "+442079460018"


def test_the_care_circle_page_links_to_the_card(world, client_for):
    html = client_for(world.bob).get(reverse("circle", args=[world.alice.pk])).content.decode()
    assert f'href="{card_url(world)}"' in html


def log_symptom(world, client, **fields) -> str:
    data = {"symptom": "fever", "severity": "moderate", "started_on": world.alice.local_today().isoformat(), **fields}
    response = client.post(reverse("doses:side_effects", args=[world.alice.pk]), data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_AE_SERIOUS_the_serious_symptom_page_leads_with_the_clinic_then_the_out_of_hours_line(world, client_for):
    CareTeamCard.objects.create(
        patient=world.alice, clinic_name="Rheumatology", phone="+442079460018", out_of_hours_phone="+442079460999"
    )
    html = log_symptom(world, client_for(world.bob))
    alert = html.split('role="alert"', 1)[1]
    links = [part.split('"', 1)[0] for part in alert.split('href="')[1:]]
    assert links[:2] == ["tel:+442079460018", "tel:+442079460999"]
    # A fever is serious but not an emergency: no emergency button, the care team leads.
    assert 'href="tel:999">Call 999 now</a>' not in html
    assert alert.index("tel:+442079460018") < alert.index("triage-steps")


def test_AE_ALLERGY_an_emergency_leads_with_the_emergency_number_then_the_clinic(world, client_for):
    CareTeamCard.objects.create(patient=world.alice, clinic_name="Rheumatology", phone="+442079460018")
    html = log_symptom(world, client_for(world.alice_user), symptom="allergic_reaction", severity="severe")
    alert = html.split('role="alert"', 1)[1]
    assert alert.index('href="tel:999">Call 999 now</a>') < alert.index('href="tel:+442079460018"')


def test_AE_SERIOUS_without_a_card_the_page_says_so_and_links_to_it(world, client_for):
    html = log_symptom(world, client_for(world.bob))
    assert "No care-team number has been filled in yet" in html
    assert f'href="{card_url(world)}">Add the clinic\'s number</a>' in html


def test_AE_REPORT_the_serious_symptom_page_links_to_the_countrys_reporting_scheme(world, client_for):
    html = log_symptom(world, client_for(world.bob))
    assert 'href="https://yellowcard.mhra.gov.uk"' in html
