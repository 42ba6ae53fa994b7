"""The medicines page asks "Did you mean adalimumab (Humira)?" for a close spelling, keeps what
was typed, and shows where each class comes from (issue 15, point 3: IX-TNF, IX-LIVE-VACCINE)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from doses.models import CareAlert, OtherMedicine, Vaccination

pytestmark = pytest.mark.django_db


def url(name, world):
    return reverse(f"doses:{name}", args=[world.alice.pk])


def test_IX_TNF_a_close_spelling_asks_did_you_mean_and_keeps_what_was_typed(world, client_for):
    response = client_for(world.bob).post(url("medicines", world), {"name": "Humera"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Did you mean adalimumab (Humira)?" in html
    assert 'value="Humera"' in html  # the name field keeps what was typed
    assert "Yes, it is adalimumab (Humira)" in html and "No, keep “Humera” as I typed it" in html
    assert not OtherMedicine.objects.exists() and not CareAlert.objects.exists()


def test_IX_TNF_confirming_the_suggestion_applies_it_and_flags_the_clinician(world, client_for):
    client = client_for(world.bob)
    response = client.post(url("medicines", world), {"name": "Humera", "match_answer": "adalimumab"}, follow=True)
    html = response.content.decode()
    assert "TNF blocker" in html and "IX-TNF" in html
    assert "Humera (adalimumab)" in html and "confirmed when it was added" in html
    medicine = OtherMedicine.objects.get(patient=world.alice)
    assert medicine.name == "Humera" and medicine.category == "tnf" and medicine.generic_name == "adalimumab"
    assert CareAlert.objects.get(patient=world.alice).rule_id == "IX-TNF"


def test_IX_TNF_keeping_what_was_typed_stores_it_unclassified_and_the_clinician_sees_it_unconfirmed(world, client_for):
    response = client_for(world.alice_user).post(
        url("medicines", world), {"name": "Humera", "match_answer": "typed"}, follow=True
    )
    html = response.content.decode()
    assert "Kept as typed" in html and "possibly adalimumab, not confirmed" in html
    medicine = OtherMedicine.objects.get(patient=world.alice)
    assert medicine.category == "other" and medicine.is_unconfirmed
    alert = CareAlert.objects.get(patient=world.alice)
    assert alert.rule_id == "IX-TNF" and "not confirmed" in alert.summary
    patient_page = client_for(world.carol).get(reverse("doses:patient", args=[world.alice.pk])).content.decode()
    assert "possibly adalimumab, not confirmed" in patient_page


def test_IX_TNF_a_name_changed_after_the_question_is_asked_about_again(world, client_for):
    response = client_for(world.bob).post(url("medicines", world), {"name": "Enbrell", "match_answer": "adalimumab"})
    html = response.content.decode()
    assert "Did you mean etanercept (Enbrel)?" in html and 'value="Enbrell"' in html
    assert not OtherMedicine.objects.exists()


def test_IX_BIOLOGIC_dupixent_warns_and_says_where_the_class_comes_from(world, client_for):
    html = client_for(world.bob).post(url("medicines", world), {"name": "Dupixent"}, follow=True).content.decode()
    assert (
        "same time as other biologics" in html and "Recognised as dupilumab by name, from the interaction list" in html
    )
    assert CareAlert.objects.get(patient=world.alice).rule_id == "IX-BIOLOGIC"


def test_an_ordinary_medicine_shows_its_generic_name_and_no_warning(world, client_for):
    html = client_for(world.bob).post(url("medicines", world), {"name": "paracetamol"}, follow=True).content.decode()
    assert "paracetamol (acetaminophen)" in html and "not on the interaction list" in html
    assert "IX-" not in html.split("Other medicines")[1].split("Add a medicine")[0]
    assert not CareAlert.objects.exists()


def test_IX_LIVE_VACCINE_an_inactivated_flu_vaccine_is_logged_as_not_live_and_says_why(world, client_for):
    response = client_for(world.alice_user).post(
        url("vaccinations", world),
        {
            "name": "Influenza vaccine (inactivated)",
            "given_on": world.alice.local_today().isoformat(),
            "is_live": "unsure",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "is not a live vaccine (the name says “inactivated”)" in html
    assert not Vaccination.objects.get(patient=world.alice).is_live and not CareAlert.objects.exists()
