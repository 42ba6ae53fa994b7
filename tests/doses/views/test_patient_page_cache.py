"""The patient page's fragments (calendar, weekly chart, the record's tables) are cached
under the patient's record version (doses/record_version.py): a second view with no
write reads none of the record, and every kind of write shows on the next view."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from doses import record_version
from doses.models import (
    DoseSlot,
    Injection,
    LabTest,
    MedicineCategory,
    OtherMedicine,
    PatientAdherenceSummary,
    Severity,
    SideEffect,
    SlotStatus,
    SupplyEvent,
)
from doses.selectors.patient_page import parse_date_range
from doses.services import holds as hold_services
from doses.services import records as record_services
from doses.services import regimens as regimen_services
from doses.services import summaries as summary_services
from doses.views.dashboard import PatientPage
from reminders import dispatch
from tests.conftest import start_adult_regimen
from tests.doses.dashboard_history import build_history
from tests.doses.log_helpers import freeze
from tests.doses.views.test_regimen_proposals import propose_80, sam  # noqa: F401 - sam is a fixture


def _view(client, patient, **query) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("doses:patient", args=[patient.pk]), query)
    assert response.status_code == 200
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())  # one per request
    return html, [q["sql"] for q in captured.captured_queries]


RECORD_READS = {  # how the queries of patient_page_selectors.patient_records begin
    "doses": 'SELECT "doses_doseslot"."scheduled_at" AS "scheduled_at"',
    "sites": 'SELECT "doses_injection"."site_spot" AS "site_spot", COUNT(',
    "supply": 'SELECT "doses_supplyevent"."id"',
    "labs": 'SELECT "doses_labtest"."id"',
    "medicines": 'SELECT "doses_othermedicine"."id"',
}


def _record_tables(sql: list[str]) -> set[str]:
    """Which parts of the record the request read."""
    return {name for name, start in RECORD_READS.items() if any(q.startswith(start) for q in sql)}


@pytest.fixture
def alice_history(world):
    return build_history(world.alice, world.carol, days=40)


@pytest.mark.parametrize("days", [90, 365])
def test_a_second_view_with_no_write_is_served_from_the_cache(world, alice_history, client_for, days):
    client = client_for(world.carol)
    start = str(world.alice.local_today() - timedelta(days=days - 1))
    first_html, first_sql = _view(client, world.alice, start=start)
    second_html, second_sql = _view(client, world.alice, start=start)
    assert second_html == first_html
    assert _record_tables(first_sql) == set(RECORD_READS) and not _record_tables(second_sql)
    assert len(second_sql) < len(first_sql)


def test_the_report_and_the_page_have_their_own_weekly_fragment(world, alice_history, client_for):
    client = client_for(world.carol)
    _view(client, world.alice)
    report = client.get(reverse("doses:report", args=[world.alice.pk])).content.decode()
    assert "<details class=\"mt-2\" open>" in report  # the printed report opens the weekly table
    page, _sql = _view(client, world.alice)
    assert "<details class=\"mt-2\">" in page


def test_another_range_is_another_fragment(world, alice_history, client_for):
    client = client_for(world.carol)
    today = world.alice.local_today()
    ninety, _ = _view(client, world.alice)
    fortnight, sql = _view(client, world.alice, start=str(today - timedelta(days=13)))
    assert _record_tables(sql)
    assert fortnight.count('<g class="cal-day">') == 14 and ninety.count('<g class="cal-day">') == 90


def _side_effect(world):
    record_services.record_side_effect(
        patient=world.alice,
        symptom="headache",
        severity=Severity.MILD,
        started_on=world.alice.local_today(),
        by=world.alice_user,
        description="Headache after the walk",
    )
    return "Headache after the walk"


def _lab_result(world):
    lab = LabTest.objects.create(patient=world.alice, label="Month 9", due_on=world.alice.local_today())
    record_services.record_lab_result(  # an update: no signal
        lab_test=lab, done_on=world.alice.local_today(), neutrophils_10e9_per_l=Decimal("3.25"), by=world.carol
    )
    return '<td class="text-end">3.25</td>'


def _medicine_stopped(world):
    medicine = OtherMedicine.objects.get(patient=world.alice, category=MedicineCategory.TNF_ANTAGONIST)
    record_services.stop_medicine(medicine=medicine, stopped_on=world.alice.local_today(), by=world.carol)
    return f"{medicine.name} ({medicine.get_category_display()}), stopped"


def _pickup(world):
    record_services.record_pickup(patient=world.alice, boxes=3, on=world.alice.local_today(), by=world.alice_user)
    return "(3 boxes)"


def _supply_row_edited(world):
    event = SupplyEvent.objects.filter(patient=world.alice).exclude(kind=SupplyEvent.Kind.DOSE).first()
    event.note = "Box found behind the milk"
    event.save()
    return "Box found behind the milk"


def _hold(world):
    # Today's dose still due (set behind the cache's back: an update sends no signal), so the hold covers it.
    DoseSlot.objects.filter(patient=world.alice, local_date=world.alice.local_today()).update(status=SlotStatus.PENDING)
    hold_services.hold_treatment(patient=world.alice, by=world.carol, reason="infection", note="Chest infection")
    return '<use href="#cal-held" x='  # a day of the calendar (the legend has no x)


def _time_zone(world):
    world.alice.time_zone = "America/New_York"
    world.alice.save()
    return "America/New_York"


WRITES = {
    "side effect logged": _side_effect,
    "lab result entered": _lab_result,
    "medicine stopped": _medicine_stopped,
    "pick-up recorded": _pickup,
    "supply note edited": _supply_row_edited,
    "treatment held": _hold,
    "time zone changed": _time_zone,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_write_to_the_record_shows_on_the_next_view(world, alice_history, client_for, write):
    client = client_for(world.carol)
    before, _ = _view(client, world.alice)
    _view(client, world.alice)  # cached now
    expected = write(world)
    after, sql = _view(client, world.alice)
    assert expected not in before
    assert expected in after
    assert _record_tables(sql), "the record was read again"


def test_a_dose_the_missed_dose_job_marks_shows_as_missed_on_the_next_view(world, client_for):
    start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today() - timedelta(days=3))
    client = client_for(world.carol)
    now = timezone.now()
    slot = DoseSlot.objects.filter(patient=world.alice, local_date=world.alice.local_today(now)).first()
    _view(client, world.alice)
    before, _ = _view(client, world.alice)
    marked = dispatch.mark_missed_doses(now + timedelta(days=2))  # an update: no signal
    assert slot.pk in marked
    after, sql = _view(client, world.alice)
    assert _record_tables(sql)
    day = f"{slot.local_date:%a %d %b %Y}"
    assert f"{day}: Missed" in after and f"{day}: Missed" not in before


def test_a_regimen_confirmed_shows_on_the_next_view(world, client_for):
    regimen = start_adult_regimen(world.alice, world.alice_user, confirmed=False)
    client = client_for(world.carol)
    _view(client, world.alice)
    before, _ = _view(client, world.alice)
    regimen_services.confirm_regimen(regimen=regimen, clinician=world.carol)  # an update: no signal
    after, _ = _view(client, world.alice)
    assert "<strong>Awaiting confirmation</strong>" in before
    assert f"Confirmed by {world.carol}" in after


def test_a_dose_logged_shows_on_the_next_view(world, alice_history, client_for):
    client = client_for(world.carol)
    pending = DoseSlot.objects.get(patient=world.alice, local_date=world.alice.local_today())
    Injection.objects.filter(slot=pending).delete()
    DoseSlot.objects.filter(pk=pending.pk).update(status=SlotStatus.PENDING)
    pending.refresh_from_db()
    _view(client, world.alice)
    before, _ = _view(client, world.alice)
    pending.status = SlotStatus.TAKEN
    pending.save()
    Injection.objects.create(
        slot=pending, patient=world.alice, taken_at=pending.scheduled_at, dose_mg=pending.dose_mg, site_spot="abdomen-left-upper"
    )
    after, _ = _view(client, world.alice)
    day = f"{pending.local_date:%a %d %b %Y}"
    assert f"{day}: Taken" in after and f"{day}: Taken" not in before


def test_a_side_effect_deleted_leaves_the_next_view(world, alice_history, client_for):
    client = client_for(world.carol)
    before, _ = _view(client, world.alice)
    assert "Fever and chills" in before
    SideEffect.objects.filter(patient=world.alice, description="Fever and chills").get().delete()
    after, _ = _view(client, world.alice)
    assert "Fever and chills" not in after


def test_the_version_changes_again_when_the_write_commits(world, django_capture_on_commit_callbacks):
    """A page read between the write and its commit sees the old rows: it must not stay cached."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        before = record_version.current(world.alice.pk)
        OtherMedicine.objects.create(patient=world.alice, name="Paracetamol")
        during = record_version.current(world.alice.pk)
    assert during != before and callbacks
    for callback in callbacks:
        callback()
    assert record_version.current(world.alice.pk) not in (before, during)


def test_a_dose_coming_due_today_is_counted_in_the_weekly_chart_without_a_write(world):
    """Nothing is written when a dose's time passes, but the weekly chart counts it as due."""
    start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today() - timedelta(days=3))
    today = world.alice.local_today()
    slot = DoseSlot.objects.filter(patient=world.alice, local_date=today).get()
    date_range = parse_date_range(None, None, today=today)
    before_due = PatientPage(world.alice, date_range, now=slot.scheduled_at - timedelta(minutes=1)).cache_key
    after_due = PatientPage(world.alice, date_range, now=slot.scheduled_at + timedelta(minutes=1)).cache_key
    assert before_due != after_due


def test_a_write_in_another_process_gives_this_process_a_new_record_version(world, tmp_path):
    """The worker's jobs (marking doses missed, materialising slots) run in another process
    than the web's: the version they bump must be the one the web reads, with Redis and
    without it (the file cache under var/; a per-process memory cache would show the web
    its old fragments until the patient's next day)."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    pk = world.alice.pk
    before = record_version.current(pk)
    bump = (
        "import django; django.setup(); from doses import record_version; "
        f"record_version.record_changed([{pk}])"
    )
    # The other process needs no database of its own here: an empty SQLite file will do.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "companion.settings", "DATABASE_URL": f"sqlite:///{tmp_path}/other.sqlite3"}
    subprocess.run([sys.executable, "-c", bump], check=True, cwd=settings.BASE_DIR, env=env, timeout=60)
    assert record_version.current(pk) != before


# --- what the page reads beside its fragments, once per record version (PatientPage.reads) -----

SECTION_READS = {  # how the queries of the treatment history, the open proposal, AE-OVERDOSE and the summary begin
    "holds": 'SELECT "doses_treatmenthold"."id"',
    "stops": 'SELECT "doses_treatmentstop"."id"',
    "proposal": 'SELECT "doses_regimenproposal"."id"',
    "above prescribed": 'SELECT "doses_injection"."id"',
    "summary row": 'SELECT "doses_patientadherencesummary"."patient_id"',
}


def _sections_read(sql: list[str]) -> set[str]:
    return {name for name, start in SECTION_READS.items() if any(q.startswith(start) for q in sql)}


def test_a_second_view_reads_no_hold_proposal_overdose_or_summary_rows_when_the_record_has_none(
    world, alice_history, client_for
):
    summary_services.refresh_adherence_summaries()  # the summary cards read the row (no holds read to compute it)
    client = client_for(world.carol)
    _first, first_sql = _view(client, world.alice)
    _second, second_sql = _view(client, world.alice)
    assert _sections_read(first_sql) == set(SECTION_READS)
    assert not _sections_read(second_sql)


def test_a_hold_and_its_end_show_in_the_treatment_section_on_the_next_view(world, alice_history, client_for):
    client = client_for(world.carol)
    _view(client, world.alice)
    before, _ = _view(client, world.alice)
    hold_services.hold_treatment(patient=world.alice, by=world.carol, reason="infection", note="Chest infection")
    held, sql = _view(client, world.alice)
    again, again_sql = _view(client, world.alice)  # the record has holds now: read on every view
    hold_services.resume_treatment(patient=world.alice, by=world.carol, note="Infection cleared")
    resumed, _ = _view(client, world.alice)
    assert 'data-state="active"' in before and 'id="treatment-history"' not in before
    assert 'data-state="on_hold"' in held and "Chest infection" in held and 'id="treatment-history"' in held
    assert again == held and {"holds", "stops"} <= _sections_read(again_sql)
    assert 'data-state="active"' in resumed and "Infection cleared" in resumed


def test_AE_OVERDOSE_a_dose_above_the_prescription_shows_on_the_next_view(world, alice_history, client_for):
    client = client_for(world.carol)
    slot = DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.TAKEN).latest("scheduled_at")
    _view(client, world.alice)
    before, _ = _view(client, world.alice)
    Injection.objects.filter(slot=slot).update(dose_mg=Decimal("150"), prescribed_mg=Decimal("100"))  # no signal
    assert "Doses above the prescribed dose</h2>" not in _view(client, world.alice)[0]  # not flagged yet
    injection = Injection.objects.get(slot=slot)
    injection.above_prescribed = True
    injection.save()
    after, _ = _view(client, world.alice)
    assert "Doses above the prescribed dose</h2>" not in before
    assert "Doses above the prescribed dose</h2>" in after and "<strong>150 mg</strong> injected" in after


def test_an_open_proposal_shows_on_the_next_view_and_leaves_it_when_declined(sam, client_for):  # noqa: F811
    clinician = client_for(sam.reyes)
    _view(clinician, sam)
    before, _ = _view(clinician, sam)
    proposal = propose_80(sam, client_for(sam.parent))
    clinician = client_for(sam.reyes)
    proposed, _ = _view(clinician, sam)
    regimen_services.decline_proposal(proposal=proposal, clinician=sam.reyes, reason="Go to 3 mg/kg first.")
    declined, _ = _view(clinician, sam)
    assert "Proposed change, waiting for a clinician" not in before
    assert "Proposed change, waiting for a clinician" in proposed and "Confirm this change" in proposed
    assert "Proposed change, waiting for a clinician" not in declined


def test_the_summary_cards_show_the_workers_refresh_on_the_next_view(world, alice_history, client_for, memory_broker):
    summary_services.refresh_adherence_summaries()
    client = client_for(world.carol)
    _view(client, world.alice)
    before, sql = _view(client, world.alice)
    assert "summary row" not in _sections_read(sql)  # kept under the panel's version
    on_hand = PatientAdherenceSummary.objects.get(patient=world.alice).syringes_on_hand
    record_services.record_pickup(patient=world.alice, boxes=3, on=world.alice.local_today(), by=world.alice_user)
    summary_services.refresh_stale_summaries(patient_id=world.alice.pk)  # the worker's task
    after, sql = _view(client, world.alice)
    assert f"{on_hand} syringes</dd>" in before
    assert f"{on_hand + 3 * 7} syringes</dd>" in after and "summary row" in _sections_read(sql)


def test_an_expired_summary_is_not_shown_from_the_cache(world, alice_history, client_for, monkeypatch):
    summary_services.refresh_adherence_summaries()
    client = client_for(world.carol)
    _view(client, world.alice)
    row = PatientAdherenceSummary.objects.get(patient=world.alice)
    freeze(monkeypatch, row.valid_until)
    _html, sql = _view(client, world.alice)
    assert "summary row" in _sections_read(sql)  # past valid_until: computed afresh at this moment
