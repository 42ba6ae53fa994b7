"""AE-OVERDOSE, AE-REPORT: every page and e-mail gives the numbers of the patient's country.

Alice lives in Europe/London: she is told 999 and NHS 111, never 911 or a US number. A
country the table does not know, or none, gets "your local emergency number" and no number.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from doses.models import CareAlert
from reminders import dispatch
from reminders.models import Delivery, Kind
from reminders.transports import EmailTransport

pytestmark = pytest.mark.django_db

US_NUMBERS = re.compile(r"\b911\b|1-800-222-1222|1-800-332-1088|MedWatch")

# (time zone, country chosen, what the pages must show, the tel: links they must offer)
COUNTRIES = {
    "GB": ("Europe/London", "", ["999", "NHS 111", "yellowcard.mhra.gov.uk"], ["tel:999", "tel:111"]),
    "IE": ("Europe/Dublin", "", ["112 or 999", "01 809 2166", "hpra.ie"], ["tel:112", "tel:+35318092166"]),
    "US": ("America/New_York", "", ["911", "1-800-222-1222", "FDA MedWatch"], ["tel:911", "tel:+18002221222"]),
    "AU": ("Australia/Sydney", "", ["000", "13 11 26", "1800 022 222", "tga.gov.au"], ["tel:000", "tel:131126"]),
    "NZ": ("Pacific/Auckland", "", ["111", "0800 764 766", "0800 611 116"], ["tel:111", "tel:+64800764766"]),
    "CA": ("America/Toronto", "", ["911", "1-844-764-7669", "MedEffect Canada"], ["tel:911", "tel:811"]),
    "FR": ("Europe/Paris", "", ["112", "your national poison centre"], ["tel:112"]),
    # Chosen on the profile, whatever the time zone: a patient in Dublin's zone who lives in Belfast.
    "GB chosen": ("Europe/Dublin", "GB", ["999", "NHS 111"], ["tel:999", "tel:111"]),
}


def living_in(world, zone: str, country: str = ""):
    world.alice.time_zone = zone
    world.alice.country = country
    world.alice.save(update_fields=["time_zone", "country"])
    return world.alice


def symptom_page(world, client_for) -> str:
    response = client_for(world.alice_user).get(reverse("doses:side_effects", args=[world.alice.pk]))
    assert response.status_code == 200
    return response.content.decode()


def serious_symptom_page(world, client_for, **fields) -> str:
    data = {"symptom": "fever", "severity": "moderate", "started_on": world.alice.local_today().isoformat(), **fields}
    response = client_for(world.alice_user).post(reverse("doses:side_effects", args=[world.alice.pk]), data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("case", COUNTRIES)
def test_AE_OVERDOSE_the_symptom_pages_and_footer_give_the_patients_countrys_numbers(case, world, client_for):
    zone, country, shown, links = COUNTRIES[case]
    living_in(world, zone, country)
    html = symptom_page(world, client_for) + serious_symptom_page(world, client_for)
    for text in shown:
        assert text in html, text
    for tel in links:
        assert f'href="{tel}"' in html, tel
    if not case.startswith("US") and not case.startswith("CA"):
        assert not US_NUMBERS.search(html), US_NUMBERS.search(html)


@pytest.mark.parametrize("zone", ["UTC", "Etc/GMT+5", "Asia/Tokyo"])
def test_AE_OVERDOSE_a_country_the_table_does_not_know_gets_your_local_emergency_number_and_no_us_number(
    zone, world, client_for
):
    living_in(world, zone)
    html = symptom_page(world, client_for)
    assert "call your local emergency number now" in html  # the banner above the form
    assert "cannot be woken, call your local emergency number." in html  # the footer
    assert "tel:" not in html.split("<footer", 1)[1]
    assert not US_NUMBERS.search(html)


def test_AE_ALLERGY_an_emergency_in_new_zealand_leads_with_111(world, client_for):
    living_in(world, "Pacific/Auckland")
    html = serious_symptom_page(world, client_for, symptom="allergic_reaction", severity="severe")
    assert "Emergency: call 111 now" in html
    assert '<a class="btn btn-danger btn-lg w-100 mb-2" href="tel:111">Call 111 now</a>' in html


def test_AE_OVERDOSE_today_tells_a_patient_in_australia_000_for_a_serious_symptom(world, alice_on_regimen, client_for):
    living_in(world, "Australia/Sydney")
    serious_symptom_page(world, client_for)
    html = client_for(world.alice_user).get(reverse("doses:today", args=[world.alice.pk])).content.decode()
    assert "Trouble breathing or collapse: call 000." in html
    assert not US_NUMBERS.search(html)


def test_a_page_without_a_patient_has_the_generic_footer(world, client_for):
    html = client_for(world.alice_user).get(reverse("patients")).content.decode()
    footer = html.split("<footer", 1)[1]
    assert "call your local emergency number." in footer and "tel:" not in footer


@pytest.mark.parametrize(
    ("zone", "sentence"),
    [
        ("Europe/London", "In an emergency call 999."),
        ("America/New_York", "In an emergency call 911."),
        ("UTC", "In an emergency call your local emergency number."),
    ],
)
def test_AE_SERIOUS_the_care_alert_e_mail_gives_the_patients_emergency_number(zone, sentence, world):
    living_in(world, zone)
    alert = CareAlert.objects.create(
        patient=world.alice, kind=CareAlert.Kind.SERIOUS_SYMPTOM, rule_id="AE-SERIOUS", summary="Fever"
    )
    dispatch.queue_care_alerts(alert.created_at, CareAlert.objects.filter(pk=alert.pk))
    delivery = Delivery.objects.filter(kind=Kind.CARE_ALERT, recipient=world.bob).get()
    message = EmailTransport().render(delivery)
    assert sentence in message.body
    assert sentence in message.alternatives[0][0]
    if zone != "America/New_York":
        assert "911" not in message.body
