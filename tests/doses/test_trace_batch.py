"""TRACE-BATCH: the batch (lot) number and expiry of every box, from the pick-up to each dose,
the CSV, the printable report and the FHIR bundle; an expired box cannot be logged.
alice lives in New York, doses at 08:00; the clock stands at Wed 25 Nov 2026 10:00."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from doses.models import Injection, SupplyEvent
from doses.rules import syringe_supply
from doses.services import injections as injection_services
from doses.services import records as record_services
from doses.services.refusals import RecordRefused
from tests.doses.log_helpers import alice_in_new_york, log_data, slot_at

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)


@dataclass(frozen=True)
class Box:
    pickup_id: int
    batch_expires_on: date
    left: int


# --- the rules (pure) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed,kept", [(" K 1234a ", "K1234a"), ("LOT: 23A-07/1", "23A-07/1"), ("lot 998877", "998877")]
)
def test_TRACE_BATCH_a_batch_number_is_kept_as_printed_without_spaces_or_the_word_lot(typed, kept):
    assert syringe_supply.clean_batch_number(typed) == kept
    assert syringe_supply.batch_number_refusal(kept) is None


@pytest.mark.parametrize(
    "typed,says",
    [
        ("", "Enter the batch (lot) number"),
        ("A" * 21, "at most 20 characters (it has 21)"),
        ("K12#4", "only letters, digits"),
    ],
)
def test_TRACE_BATCH_an_impossible_batch_number_is_refused_with_why(typed, says):
    assert says in syringe_supply.batch_number_refusal(syringe_supply.clean_batch_number(typed))


def test_TRACE_BATCH_a_box_is_usable_on_its_expiry_date_and_expired_the_day_after():
    assert not syringe_supply.is_expired(date(2026, 11, 30), date(2026, 11, 30))
    assert syringe_supply.is_expired(date(2026, 11, 30), date(2026, 12, 1))
    refusal = syringe_supply.expired_box_refusal(batch_number="K1", expires_on=date(2026, 11, 30), on=date(2026, 12, 1))
    assert "batch K1 expired on 30 Nov 2026" in refusal


def test_TRACE_BATCH_the_syringe_comes_from_the_first_expiring_box_that_has_not_expired():
    """Boxes: #1 expired yesterday (3 left), #2 expires in March (7 left), #3 in January (0 left),
    #4 in February (2 left). #1 is expired, #3 is empty: #4 (February) comes first."""
    boxes = [
        Box(1, TODAY - timedelta(days=1), 3),
        Box(2, date(2027, 3, 31), 7),
        Box(3, date(2027, 1, 31), 0),
        Box(4, date(2027, 2, 28), 2),
    ]
    assert syringe_supply.first_expiring_box(boxes, TODAY).pickup_id == 4
    assert syringe_supply.first_expiring_box(boxes[:1], TODAY) is None


# --- the pick-up ---------------------------------------------------------------------------


def test_TRACE_BATCH_a_pick_up_records_the_batch_and_expiry_of_its_boxes(world):
    event = record_services.record_pickup(
        patient=world.alice,
        boxes=2,
        on=world.alice.local_today(),
        by=world.bob,
        batch_number="Lot 4711B",
        expires_on=date(2099, 3, 31),
    )
    event.refresh_from_db()
    assert (event.batch_number, event.batch_expires_on, event.syringes) == ("4711B", date(2099, 3, 31), 14)


def test_TRACE_BATCH_a_box_already_expired_at_pick_up_is_refused_on_the_expiry_field(world):
    today = world.alice.local_today()
    with pytest.raises(RecordRefused) as refused:
        record_services.record_pickup(
            patient=world.alice, boxes=1, on=today, by=world.bob, batch_number="K1", expires_on=today - timedelta(1)
        )
    assert refused.value.field == "expires_on"
    assert "expired on" in str(refused.value)
    assert not SupplyEvent.objects.filter(patient=world.alice).exists()


@pytest.mark.parametrize(
    "data,message",
    [
        ({"batch_number": "", "expires_on": "2099-01-31"}, "Enter the batch (lot) number printed on the box"),
        ({"batch_number": "K1234", "expires_on": ""}, "Enter the expiry date printed on the box."),
        ({"batch_number": "K1234", "expires_on": "2020-01-31"}, "That box expired on 31 Jan 2020"),
        ({"batch_number": "K 12#4", "expires_on": "2099-01-31"}, "only letters, digits"),
    ],
)
def test_TRACE_BATCH_the_pick_up_form_asks_for_the_batch_and_keeps_what_was_typed(world, client_for, data, message):
    posted = {"boxes": "3", "on": world.alice.local_today().isoformat(), **data}
    response = client_for(world.alice_user).post(reverse("doses:supply", args=[world.alice.pk]), posted)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'value="3"' in page
    if data["batch_number"]:
        assert f'value="{data["batch_number"]}"' in page
    assert not SupplyEvent.objects.filter(patient=world.alice).exists()


def test_TRACE_BATCH_the_supply_history_shows_each_pick_ups_batch(world, client_for):
    _pickup(world, "OLD", batch=False)
    _pickup(world, "K1234", expires=date(2099, 1, 31))
    page = client_for(world.alice_user).get(reverse("doses:supply", args=[world.alice.pk])).content.decode()
    assert "batch K1234, expires 31 Jan 2099" in page
    assert "(batch not recorded)" in page


# --- the dose ------------------------------------------------------------------------------


def _pickup(world, batch_number: str, *, expires: date | None = None, boxes: int = 1, batch: bool = True, on=None):
    if not batch:
        return record_services.record_pickup(patient=world.alice, boxes=boxes, on=on or TODAY, by=world.alice_user)
    return record_services.record_pickup(
        patient=world.alice,
        boxes=boxes,
        on=on or TODAY,
        by=world.alice_user,
        batch_number=batch_number,
        expires_on=expires,
    )


def _log_url(world) -> str:
    return reverse("doses:log", args=[world.alice.pk])


def test_TRACE_BATCH_the_log_form_offers_the_boxes_on_hand_first_expiring_first(world, client_for, monkeypatch):
    alice_in_new_york(world, monkeypatch)
    later = _pickup(world, "LATE1", expires=date(2027, 6, 30), on=TODAY - timedelta(days=2))
    sooner = _pickup(world, "SOON1", expires=date(2027, 1, 31))
    response = client_for(world.alice_user).get(_log_url(world))
    page = response.content.decode()
    assert response.context["form"].initial["batch"] == str(sooner.pk)
    assert page.index("Batch SOON1, expires 31 Jan 2027 (about 7 left)") < page.index(
        "Batch LATE1, expires 30 Jun 2027"
    )
    assert f'<option value="{sooner.pk}" selected>' in page
    assert f'<option value="{later.pk}">' in page
    assert "batch not recorded" in page  # syringes from before batches were recorded


def test_TRACE_BATCH_a_dose_carries_the_batch_of_the_box_chosen_and_that_box_has_one_syringe_less(
    world, client_for, monkeypatch
):
    now = alice_in_new_york(world, monkeypatch)
    _pickup(world, "SOON1", expires=date(2027, 1, 31))
    later = _pickup(world, "LATE1", expires=date(2027, 6, 30))
    client = client_for(world.alice_user)
    response = client.post(_log_url(world), log_data(world.alice, now - timedelta(minutes=30), batch=str(later.pk)))
    assert response.status_code == 302
    injection = Injection.objects.get(patient=world.alice)
    assert (injection.batch_number, injection.batch_expires_on) == ("LATE1", date(2027, 6, 30))
    assert injection.supply_event.from_pickup_id == later.pk
    # Today's dose is done; the form for tomorrow's (tapped on Today) lists the boxes again.
    tomorrow = slot_at(world.alice, TODAY + timedelta(days=1))
    page = client.get(f"{_log_url(world)}?slot={tomorrow.pk}").content.decode()
    assert "Batch LATE1, expires 30 Jun 2027 (about 6 left)" in page
    assert "Batch SOON1, expires 31 Jan 2027 (about 7 left)" in page


def test_TRACE_BATCH_a_dose_from_an_expired_box_is_refused_naming_the_batch_field_and_the_expiry(
    world, client_for, monkeypatch
):
    """The box expired on Tue 24 Nov; the dose is given on Wed 25 Nov. The page says so on the
    batch field, keeps what was typed, and nothing is saved."""
    now = alice_in_new_york(world, monkeypatch)
    expired = _pickup(world, "OLD24", expires=TODAY - timedelta(days=1), on=TODAY - timedelta(days=3))
    fresh = _pickup(world, "NEW01", expires=date(2027, 6, 30), on=TODAY - timedelta(days=3))
    client = client_for(world.alice_user)
    shown = client.get(_log_url(world))
    assert shown.context["form"].initial["batch"] == str(fresh.pk)  # the expired box is never the default
    assert "Batch OLD24, EXPIRED 24 Nov 2026: do not use" in shown.content.decode()
    data = log_data(world.alice, now - timedelta(minutes=30), batch=str(expired.pk), notes="left thigh felt fine")
    response = client.post(_log_url(world), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "The box of batch OLD24 expired on 24 Nov 2026" in page
    assert "(TRACE-BATCH)" not in page and "TRACE-BATCH" in page  # plain words; the rule in the "Why?"
    assert response.context["form"].errors["batch"]
    assert "left thigh felt fine" in page
    assert f'<option value="{expired.pk}" selected>' in page
    assert not Injection.objects.filter(patient=world.alice).exists()


def test_TRACE_BATCH_a_box_of_another_patient_is_not_accepted(world, client_for, monkeypatch):
    now = alice_in_new_york(world, monkeypatch)
    theirs = record_services.record_pickup(
        patient=world.zoe,
        boxes=1,
        on=world.zoe.local_today(),
        by=world.zoe.account,
        batch_number="Z1",
        expires_on=date(2099, 1, 1),
    )
    response = client_for(world.alice_user).post(
        _log_url(world), log_data(world.alice, now - timedelta(minutes=30), batch=str(theirs.pk))
    )
    assert response.status_code == 200
    assert "Choose one of the boxes on hand from the list." in response.content.decode()
    assert not Injection.objects.filter(patient=world.alice).exists()


def _history(world, monkeypatch):
    """Two doses: Tue 24 Nov from a box picked up before batches were recorded; Wed 25 Nov from K1234."""
    alice_in_new_york(world, monkeypatch)
    _pickup(world, "", batch=False, on=TODAY - timedelta(days=3))
    box = _pickup(world, "K1234", expires=date(2027, 1, 31), on=TODAY - timedelta(days=1))
    for day, pickup_id in ((TODAY - timedelta(days=1), None), (TODAY, box.pk)):
        slot = slot_at(world.alice, day)
        injection_services.record_injection(
            slot=slot,
            taken_at=slot.scheduled_at + timedelta(minutes=5),
            site_spot="abdomen-left-1" if pickup_id else "thigh-left-1",
            by=world.alice_user,
            batch_pickup_id=pickup_id,
            now=slot.scheduled_at + timedelta(minutes=6),
        )


def test_TRACE_BATCH_the_csv_has_each_doses_batch_and_says_when_it_was_not_recorded(world, client_for, monkeypatch):
    _history(world, monkeypatch)
    response = client_for(world.carol).get(
        reverse("doses:export_csv", args=[world.alice.pk]), {"start": "2026-11-22", "end": "2026-11-25"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    taken = {r["local_date"]: r for r in rows if r["record"] == "dose" and r["taken_at"]}
    assert (taken["2026-11-25"]["batch_number"], taken["2026-11-25"]["batch_expires_on"]) == ("K1234", "2027-01-31")
    assert (taken["2026-11-24"]["batch_number"], taken["2026-11-24"]["batch_expires_on"]) == ("batch not recorded", "")
    assert all(len(r) == len(rows[0]) and None not in r for r in rows)


def test_TRACE_BATCH_the_printable_report_lists_each_doses_batch(world, client_for, monkeypatch):
    _history(world, monkeypatch)
    page = (
        client_for(world.carol)
        .get(reverse("doses:report", args=[world.alice.pk]), {"start": "2026-11-22", "end": "2026-11-25"})
        .content.decode()
    )
    assert "Batch (TRACE-BATCH)" in page
    assert "K1234, expires 31 Jan 2027" in page
    assert "batch not recorded" in page


def test_TRACE_BATCH_the_fhir_medication_administration_carries_the_lot_and_expiry(world, client_for, monkeypatch):
    _history(world, monkeypatch)
    response = client_for(world.carol).get(
        reverse("doses:export_fhir", args=[world.alice.pk]), {"start": "2026-11-22", "end": "2026-11-25"}
    )
    data = json.loads(response.content)
    Bundle.model_validate(data)
    given = [
        e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "MedicationAdministration" and e["resource"]["status"] == "completed"
    ]
    with_lot = [g for g in given if "contained" in g]
    without = [g for g in given if "contained" not in g]
    (medication,) = with_lot[0]["contained"]
    assert medication["resourceType"] == "Medication"
    assert medication["batch"] == {"lotNumber": "K1234", "expirationDate": "2027-01-31"}
    assert with_lot[0]["medicationReference"]["reference"] == "#batch"
    assert "medicationCodeableConcept" not in with_lot[0]
    assert any("batch not recorded" in n["text"] for n in without[0]["note"])
    assert without[0]["medicationCodeableConcept"]["coding"][0]["code"] == "72435"


def test_TRACE_BATCH_a_dose_logged_with_its_box_costs_no_query_more_however_long_the_record(
    world, client_for, monkeypatch, memory_broker, django_capture_on_commit_callbacks
):
    """The box is read in the service's one statement under the lock (is it the patient's, has it
    expired?), beside the hold, the syringes on hand and the fridge; the form reads no boxes on a
    dose posted and saved."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from doses.services import summaries as summary_services
    from tests.doses.log_helpers import freeze
    from tests.doses.views.test_log_post_queries import DOSE_POST_QUERIES
    from tests.doses.views.test_today_queries import _patient_with_history

    now = freeze(monkeypatch, datetime(2026, 11, 25, 15, 0, tzinfo=ZoneInfo("Europe/London")))
    counts = []
    for patient, user, days in ((world.alice, world.alice_user, 10), (world.zoe, world.zoe.account, 200)):
        _patient_with_history(world, patient, user, days, now)
        box = record_services.record_pickup(
            patient=patient,
            boxes=2,
            on=patient.local_today(now),
            by=user,
            batch_number="K1",
            expires_on=date(2099, 1, 1),
        )
        summary_services.refresh_adherence_summaries(now=now)
        client = client_for(user)
        url = reverse("doses:log", args=[patient.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(url, log_data(patient, now - timedelta(minutes=30), batch=str(box.pk)))
        assert response.status_code == 302, response.content.decode()[:2000]
        assert Injection.objects.get(patient=patient, logged_at=now).batch_number == "K1"
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= DOSE_POST_QUERIES
