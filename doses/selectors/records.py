"""Side effects, supply, fridge syringes, other medicines, vaccinations, the checklist and labs as their pages list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from companion.models import Patient
from doses.rules import lab_checks, recorded_doses, syringe_supply

from .. import triage as triage_rules
from ..models import (
    BaselineChecklist,
    FridgeSyringe,
    Injection,
    LabTest,
    MedicineCategory,
    OtherMedicine,
    Regimen,
    SideEffect,
    SupplyEvent,
    Vaccination,
)


def side_effects_for_page(patient: Patient) -> tuple[list[SideEffect], list[SideEffect]]:
    """(open, resolved) symptoms, newest first; one query, whoever logged them joined in."""
    rows = list(
        SideEffect.objects.filter(patient=patient)
        .select_related("logged_by", "injection")
        .order_by("-started_on", "-logged_at")[:200]
    )
    return [r for r in rows if r.resolved_at is None], [r for r in rows if r.resolved_at is not None]


def recent_injections(patient: Patient, now: datetime | None = None) -> QuerySet[Injection]:
    """The injections a site reaction starting now may come from (AE-ISR-DURATION: they last 1-2 weeks)."""
    now = now or timezone.now()
    return Injection.objects.filter(patient=patient, taken_at__gte=now - triage_rules.ISR_USUAL_DURATION).order_by(
        "-taken_at"
    )


@dataclass(frozen=True)
class SupplySummary:
    on_hand: int
    days_left: int | None  # None without a current regimen
    runs_out_on: date | None
    syringes_per_dose: int | None
    regimen: Regimen | None
    last_pickup: SupplyEvent | None
    needs_count: bool = False  # SUPPLY-BOX: a dose or discard found too few syringes since the last count


def supply_summary(patient: Patient, now: datetime | None = None) -> SupplySummary:
    """SUPPLY-BOX: syringes on hand (the ledger sum) and how many days they last at the current regimen."""
    now = now or timezone.now()
    counted = Q(kind__in=[SupplyEvent.Kind.PICKUP, SupplyEvent.Kind.CORRECTION])
    ledger = SupplyEvent.objects.filter(patient=patient).aggregate(
        total=Sum("syringes"),
        n=Count("pk", filter=counted),
        last_counted=Max("occurred_at", filter=counted),
        last_short=Max("occurred_at", filter=Q(shortfall__gt=0)),
    )
    needs_count = recorded_doses.count_needed(
        total=ledger["total"] or 0,
        counted=bool(ledger["n"]),
        last_counted_at=ledger["last_counted"],
        last_shortfall_at=ledger["last_short"],
    )
    # SUPPLY-BOX: never shown below zero (records from before the rule may sum below it).
    on_hand = max(ledger["total"] or 0, 0)
    regimen = Regimen.objects.current().filter(patient=patient).first()
    last_pickup = (
        SupplyEvent.objects.filter(patient=patient, kind=SupplyEvent.Kind.PICKUP).order_by("-occurred_at").first()
    )
    if regimen is None:
        return SupplySummary(on_hand, None, None, None, None, last_pickup, needs_count)
    days = syringe_supply.days_of_supply(
        on_hand,
        dose_mg=regimen.dose_per_administration_mg,
        administrations_per_day=regimen.administrations_per_day,
        interval_days=regimen.interval_days,
    )
    per_dose = syringe_supply.syringes_per_dose(regimen.dose_per_administration_mg)
    today = patient.local_today(now)
    return SupplySummary(on_hand, days, today + timedelta(days=days), per_dose, regimen, last_pickup, needs_count)


def supply_history(patient: Patient, limit: int = 50) -> QuerySet[SupplyEvent]:
    return SupplyEvent.objects.filter(patient=patient).select_related("recorded_by").order_by("-occurred_at")[:limit]


def open_fridge_syringes(patient: Patient) -> QuerySet[FridgeSyringe]:
    """PREP-24H: syringes out of the fridge and not yet used, discarded or put back."""
    return FridgeSyringe.objects.filter(patient=patient, closed_at__isnull=True).select_related("recorded_by")


def medicines_for_page(patient: Patient) -> tuple[list[OtherMedicine], list[OtherMedicine]]:
    """(current, stopped) other medicines; interactions (IX-TNF, IX-BIOLOGIC) first."""
    order = Case(
        When(category__in=[MedicineCategory.TNF_ANTAGONIST, MedicineCategory.OTHER_BIOLOGIC], then=Value(0)),
        When(category=MedicineCategory.IMMUNOSUPPRESSANT, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    rows = list(
        OtherMedicine.objects.filter(patient=patient)
        .select_related("recorded_by")
        .annotate(interaction_order=order)
        .order_by("interaction_order", "name")
    )
    return [m for m in rows if m.stopped_on is None], [m for m in rows if m.stopped_on is not None]


def vaccinations_for_page(patient: Patient) -> QuerySet[Vaccination]:
    return Vaccination.objects.filter(patient=patient).select_related("recorded_by").order_by("-given_on")


def baseline_for(patient: Patient) -> BaselineChecklist | None:
    return BaselineChecklist.objects.filter(patient=patient).select_related("completed_by").first()


def needs_baseline_checklist(patient: Patient) -> bool:
    """Shown on first use: the before-you-start checklist has not been answered yet."""
    return not BaselineChecklist.objects.filter(patient=patient).exists()


@dataclass(frozen=True)
class LabRow:
    test: LabTest
    status: str  # lab_checks.lab_state: "done", "overdue", "due" (LAB_DUE_SOON_WITHIN_DAYS) or "later"


def lab_tests_for_page(patient: Patient, today: date) -> list[LabRow]:
    """AE-LABS: the scheduled neutrophil counts with their state, in due-date order."""
    tests = LabTest.objects.filter(patient=patient).select_related("recorded_by").order_by("due_on", "label")
    return [LabRow(test, lab_checks.lab_state(test.due_on, test.done_on, today)) for test in tests]
