"""The panel's stored adherence summaries equal the live measures, and every write refreshes them."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from companion.models import CareRole, User
from doses import adherence
from doses.management.commands.seed_demo import SYNTHETIC_CLINICIAN, seed_synthetic_patients
from doses.models import (
    DoseSlot,
    Injection,
    LabTest,
    MedicineCategory,
    OtherMedicine,
    PatientAdherenceSummary,
    Regimen,
    SideEffect,
    SlotStatus,
    SupplyEvent,
)
from doses.rules import dosing
from doses.selectors import panel as panel_selectors
from doses.services import injections as injection_services
from doses.services import records as record_services
from doses.services import regimens as regimen_services
from doses.services import summaries as summary_services
from reminders import tasks
from tests.conftest import link, make_patient, start_adult_regimen
from tests.doses.dashboard_history import build_history


def live_measures(patient, now) -> dict:
    """Every measure straight from the pure functions over the patient's whole history."""
    facts = [adherence.SlotFact(s.scheduled_at, s.status) for s in DoseSlot.objects.filter(patient=patient)]
    today = patient.local_today(now)
    pickups = [
        adherence.Pickup(e.occurred_at.astimezone(patient.zone).date(), e.syringes)
        for e in SupplyEvent.objects.filter(patient=patient, kind=SupplyEvent.Kind.PICKUP)
    ]
    regimens = list(Regimen.objects.filter(patient=patient).order_by("version"))
    pdc = adherence.proportion_of_days_covered(
        pickups, panel_selectors.regimen_periods(regimens), start=today - timedelta(days=panel_selectors.PDC_DAYS - 1), end=today
    )
    effects = list(SideEffect.objects.filter(patient=patient, resolved_at=None))
    last = Injection.objects.filter(patient=patient).order_by("-taken_at").first()
    labs = LabTest.objects.filter(patient=patient, done_on=None).order_by("due_on").first()
    current = next((r for r in regimens if r.ends_on is None), None)
    on_hand = sum(SupplyEvent.objects.filter(patient=patient).values_list("syringes", flat=True))
    interactions = sorted(
        m.name
        for m in OtherMedicine.objects.filter(patient=patient)
        if m.is_interaction and (m.stopped_on is None or m.stopped_on > now.date())
    )
    return {
        "adherence_30": adherence.dose_adherence(facts, now=now, days=30),
        "adherence_90": adherence.dose_adherence(facts, now=now, days=90),
        "missed_run": adherence.missed_run(facts, now=now),
        "pdc": pdc,
        "serious_open": sum(e.is_serious for e in effects),
        "old_site_reactions": sum(e.is_persistent_site_reaction(today) for e in effects),
        "interactions": interactions,
        "last_dose_at": last.taken_at if last else None,
        "next_lab_due": labs.due_on if labs else None,
        "awaiting_confirmation": current is not None and not current.is_confirmed,
        "syringes_on_hand": on_hand,
        "supply_days_left": None
        if current is None
        else adherence.days_of_supply_left(
            on_hand,
            dose_per_administration_mg=current.dose_per_administration_mg,
            administrations_per_day=current.administrations_per_day,
            interval_days=current.interval_days,
        ),
        "is_child": patient.is_child(today),
    }


def stored_measures(patient) -> dict:
    summary = PatientAdherenceSummary.objects.get(patient=patient)
    row = panel_selectors._row_from_summary(patient, summary)
    return {
        "adherence_30": row.adherence_30,
        "adherence_90": row.adherence_90,
        "missed_run": row.missed_run,
        "pdc": row.pdc,
        "serious_open": row.serious_open,
        "old_site_reactions": row.old_site_reactions,
        "interactions": row.interactions,
        "last_dose_at": row.last_dose_at,
        "next_lab_due": row.next_lab_due,
        "awaiting_confirmation": row.awaiting_confirmation,
        "syringes_on_hand": row.syringes_on_hand,
        "supply_days_left": row.supply_days_left,
        "is_child": summary.is_child,
    }


def mark_past_slots(patient, pattern: str, now) -> None:
    """T taken (with an injection), M missed, N not taken, in turn over the past pending slots."""
    past = DoseSlot.objects.filter(patient=patient, scheduled_at__lt=now, status=SlotStatus.PENDING)
    for index, slot in enumerate(past.order_by("scheduled_at")):
        letter = pattern[index % len(pattern)]
        slot.status = {"T": SlotStatus.TAKEN, "M": SlotStatus.MISSED, "N": SlotStatus.NOT_TAKEN}[letter]
        slot.save(update_fields=["status"])
        if letter == "T":
            Injection.objects.create(
                slot=slot, patient=patient, taken_at=slot.scheduled_at, dose_mg=slot.dose_mg, site_spot="abdomen-left-1"
            )


def history_gaps(world, now):
    build_history(world.alice, world.carol, days=100, now=now)
    # A gap in the refill history: the second pick-up never happened.
    SupplyEvent.objects.filter(patient=world.alice, kind=SupplyEvent.Kind.PICKUP).order_by("occurred_at")[1].delete()
    return world.alice


def history_early_refill(world, now):
    build_history(world.alice, world.carol, days=60, pattern="TTTM", now=now)
    SupplyEvent.objects.create(
        patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=28, boxes=4, occurred_at=now - timedelta(days=50)
    )
    return world.alice


def history_every_other_day(world, now):
    start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today(now) - timedelta(days=40), now=now)
    regimen_services.create_regimen_version(
        patient=world.alice,
        entered_by=world.carol,
        dose_basis=Regimen.DoseBasis.FIXED_ADULT,
        daily_dose_mg=Decimal("100"),
        interval_days=2,  # SCHED-RENAL
        administrations_per_day=1,
        times_of_day=["08:00"],
        starts_on=world.alice.local_today(now) - timedelta(days=30),
        confirmed=True,
        now=now,
    )
    mark_past_slots(world.alice, "TTMN", now)
    SupplyEvent.objects.create(
        patient=world.alice, kind=SupplyEvent.Kind.PICKUP, syringes=14, boxes=2, occurred_at=now - timedelta(days=35)
    )
    return world.alice


def history_regimen_change(world, now):
    build_history(world.alice, world.carol, days=50, pattern="TTTTTTM", now=now)
    # Part-way through a supply: 100 mg every other day from 10 days ago (SCHED-RENAL),
    # entered by the patient and awaiting a clinician.
    regimen_services.create_regimen_version(
        patient=world.alice,
        entered_by=world.alice_user,
        dose_basis=Regimen.DoseBasis.FIXED_ADULT,
        daily_dose_mg=Decimal("100"),
        interval_days=2,
        administrations_per_day=1,
        times_of_day=["20:00"],
        starts_on=world.alice.local_today(now) - timedelta(days=10),
        confirmed=False,
        change_reason="Kidney function",
        now=now,
    )
    mark_past_slots(world.alice, "TMMT", now)
    return world.alice


def history_child(world, now):
    child = make_patient("Mia Child", dob=now.date() - timedelta(days=7 * 365), weight_kg=Decimal("20.0"))
    link(child, world.carol, CareRole.CLINICIAN)
    dose = dosing.paediatric_dose(Decimal("20.0"), Decimal("2"))
    regimen_services.create_regimen_version(
        patient=child,
        entered_by=world.carol,
        dose_basis=Regimen.DoseBasis.WEIGHT_BASED,
        daily_dose_mg=dose.mg,
        mg_per_kg=Decimal("2"),
        weight_kg_basis=Decimal("20.0"),
        interval_days=1,
        administrations_per_day=1,
        times_of_day=["07:30"],
        starts_on=child.local_today(now) - timedelta(days=20),
        confirmed=True,
        now=now,
    )
    mark_past_slots(child, "MMT", now)
    SupplyEvent.objects.create(
        patient=child, kind=SupplyEvent.Kind.PICKUP, syringes=7, boxes=1, occurred_at=now - timedelta(days=20)
    )
    return child


@pytest.mark.parametrize(
    "history",
    [history_gaps, history_early_refill, history_every_other_day, history_regimen_change, history_child],
    ids=["gaps", "early_refill", "every_other_day", "regimen_change", "child"],
)
def test_summary_equals_the_live_computation_for_fixed_histories(world, history):
    now = timezone.now()
    patient = history(world, now)
    summary_services.refresh_adherence_summaries(patient_ids=[patient.pk], now=now)
    expected = live_measures(patient, now)
    assert stored_measures(patient) == expected
    assert expected["adherence_30"].denominator > 0 and expected["pdc"].period_days > 0  # the case proves something
    # The panel shows exactly the stored figures.
    row = next(r for r in panel_selectors.panel_rows(world.carol).rows if r.patient.pk == patient.pk)
    assert row.adherence_30 == expected["adherence_30"] and row.pdc == expected["pdc"]


def test_logging_a_dose_shows_the_new_adherence_on_the_panel_once_the_worker_refreshed_it(
    world, client_for, eager_celery, django_capture_on_commit_callbacks
):
    now = timezone.now()
    build_history(world.alice, world.carol, days=20, pattern="M", now=now)
    summary_services.refresh_adherence_summaries(now=now)
    client = client_for(world.carol)
    before = client.get(reverse("doses:panel")).context["result"].rows[0]
    slot = DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.MISSED).latest("scheduled_at")
    DoseSlot.objects.filter(pk=slot.pk).update(status=SlotStatus.PENDING)  # logged late, within its window
    slot.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        injection_services.record_injection(
            slot=slot,
            taken_at=slot.scheduled_at,
            site_spot="abdomen-left-1",
            by=world.bob,
            now=slot.scheduled_at + timedelta(minutes=10),
        )
    after = client.get(reverse("doses:panel")).context["result"].rows[0]
    assert after.adherence_30.numerator == before.adherence_30.numerator + 1
    assert after.missed_run == 0 and "missed_run" not in after.flags
    assert after.last_dose_at == slot.scheduled_at


def _writes(world):
    """Each write path that changes a panel measure, as (name, function doing it)."""
    alice, carol, bob = world.alice, world.carol, world.bob
    today = alice.local_today()

    def pending_slot():
        return (
            DoseSlot.objects.filter(patient=alice, scheduled_at__lte=timezone.now())
            .exclude(status=SlotStatus.TAKEN)
            .latest("scheduled_at")
        )

    return {
        "record_not_taken": lambda: injection_services.record_not_taken(slot=pending_slot(), reason="forgot", by=bob),
        "record_discarded_syringe": lambda: injection_services.record_discarded_syringe(patient=alice, reason="dropped", by=bob),
        "create_regimen_version": lambda: start_adult_regimen(
            alice, world.alice_user, starts_on=today, confirmed=False
        ),
        "confirm_regimen": lambda: regimen_services.confirm_regimen(regimen=alice.regimens.current().get(), clinician=carol),
        "record_side_effect": lambda: record_services.record_side_effect(
            patient=alice, symptom="site_redness", severity="mild", started_on=today - timedelta(days=15), by=bob
        ),
        "resolve_side_effect": lambda: record_services.resolve_side_effect(
            side_effect=SideEffect.objects.filter(patient=alice, is_serious=True).first(), by=bob
        ),
        "record_pickup": lambda: record_services.record_pickup(patient=alice, boxes=2, on=today, by=bob),
        "correct_supply_count": lambda: record_services.correct_supply_count(patient=alice, actual_count=3, by=bob),
        "record_medicine": lambda: record_services.record_medicine(
            patient=alice, name="Adalimumab", category=MedicineCategory.TNF_ANTAGONIST, by=carol
        ),
        "stop_medicine": lambda: record_services.stop_medicine(
            medicine=OtherMedicine.objects.get(patient=alice, name="Etanercept"), stopped_on=today, by=carol
        ),
        "record_lab_result": lambda: record_services.record_lab_result(
            lab_test=LabTest.objects.filter(patient=alice).order_by("due_on").first(),
            done_on=today,
            neutrophils_10e9_per_l=Decimal("3.4"),
            by=carol,
        ),
    }


WRITES = [
    "record_not_taken",
    "record_discarded_syringe",
    "create_regimen_version",
    "confirm_regimen",
    "record_side_effect",
    "resolve_side_effect",
    "record_pickup",
    "correct_supply_count",
    "record_medicine",
    "stop_medicine",
    "record_lab_result",
]


@pytest.mark.parametrize("write", WRITES)
def test_every_write_path_refreshes_the_summary(world, eager_celery, django_capture_on_commit_callbacks, write):
    """Each write has the summary refreshed by the time its commit is done (the worker's task runs
    eagerly here; a serious side effect refreshes in its own transaction, beside its alert)."""
    now = timezone.now()
    build_history(world.alice, world.carol, days=20, pattern="TTM", now=now)
    if write == "confirm_regimen":
        start_adult_regimen(world.alice, world.alice_user, starts_on=world.alice.local_today(), confirmed=False)
    earlier = now - timedelta(minutes=5)
    summary_services.refresh_adherence_summaries(patient_ids=[world.alice.pk], now=earlier)
    with django_capture_on_commit_callbacks(execute=True):
        _writes(world)[write]()
    summary = PatientAdherenceSummary.objects.get(patient=world.alice)
    assert summary.refreshed_at > earlier and summary.stale_since is None
    assert stored_measures(world.alice) == live_measures(world.alice, summary.refreshed_at)


def test_the_missed_dose_job_refreshes_the_patients_it_marks(world):
    now = timezone.now()
    start_adult_regimen(world.alice, world.carol, starts_on=world.alice.local_today(now) - timedelta(days=5), now=now)
    summary_services.refresh_adherence_summaries(now=now - timedelta(minutes=5))
    tasks.mark_missed_doses()
    summary = PatientAdherenceSummary.objects.get(patient=world.alice)
    assert summary.missed_run >= 2 and "missed_run" in summary.flags
    assert stored_measures(world.alice) == live_measures(world.alice, summary.refreshed_at)


def test_periodic_refresh_is_idempotent(world):
    now = timezone.now()
    build_history(world.alice, world.carol, days=30, now=now)
    assert tasks.refresh_adherence_summaries_task() == str(PatientAdherenceSummary.objects.count())
    summary_services.refresh_adherence_summaries(now=now)
    first = list(PatientAdherenceSummary.objects.order_by("pk").values())
    summary_services.refresh_adherence_summaries(now=now)
    assert list(PatientAdherenceSummary.objects.order_by("pk").values()) == first


def test_an_expired_summary_on_the_page_is_refreshed_before_showing_it(world, client_for):
    now = timezone.now()
    build_history(world.alice, world.carol, days=20, pattern="T", now=now)
    summary_services.refresh_adherence_summaries(now=now - timedelta(hours=2))
    # Written behind the services' back (as an import would): the stored row is now wrong.
    DoseSlot.objects.filter(patient=world.alice, status=SlotStatus.TAKEN).update(status=SlotStatus.MISSED)
    row = client_for(world.carol).get(reverse("doses:panel")).context["result"].rows[0]
    assert row.adherence_30.numerator == 0 and row.as_of > now


def test_a_summary_expires_at_the_patients_local_midnight(world):
    now = timezone.now()
    summary_services.refresh_adherence_summaries(patient_ids=[world.alice.pk], now=now)
    summary = PatientAdherenceSummary.objects.get(patient=world.alice)
    assert summary.valid_until <= now + PatientAdherenceSummary.SUMMARY_MAX_AGE
    assert summary.valid_until.astimezone(world.alice.zone).date() >= summary.as_of_local_date
    assert not summary.is_current(summary.valid_until)


def test_panel_shows_when_its_figures_were_computed(world, client_for):
    build_history(world.alice, world.carol, days=10)
    response = client_for(world.carol).get(reverse("doses:panel"))
    assert "Figures as of" in response.content.decode()


def _panel_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("doses:panel")).status_code == 200
    return len(captured.captured_queries)


def test_panel_query_count_is_the_same_for_10_and_200_summarised_patients(db, client_for):
    rng = random.Random(11)
    seed_synthetic_patients(count=10, days=7, rng=rng)
    client = client_for(User.objects.get(email=SYNTHETIC_CLINICIAN))
    ten = _panel_queries(client)
    seed_synthetic_patients(count=200, days=7, rng=rng)
    assert PatientAdherenceSummary.objects.count() == 200  # seeding summarises the new patients
    assert _panel_queries(client) == ten


def test_refresh_costs_the_same_queries_for_10_and_200_patients(db):
    rng = random.Random(12)
    seed_synthetic_patients(count=200, days=7, rng=rng)
    ids = list(PatientAdherenceSummary.objects.values_list("patient_id", flat=True))
    counts = []
    for some in (ids[:10], ids):
        with CaptureQueriesContext(connection) as captured:
            summary_services.refresh_adherence_summaries(patient_ids=some)
        counts.append([q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")])
    # Reads are per batch, not per patient; one more only when some patient has no dose
    # taken in 90 days (their missed run reaches further back). The upsert is one
    # statement per batch (SQLite splits it at its limit on parameters).
    assert len(counts[0]) <= len(counts[1]) <= len(counts[0]) + 1, "\n".join(counts[1])
