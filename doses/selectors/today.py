"""Today: the next dose, its state and advice, what needs attention (TodaySummary)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Count,
    Max,
    Q,
    Sum,
)
from django.utils import timezone

from companion.models import CareRole, Patient
from doses.rules import dose_timing, lab_checks, recorded_doses

from .. import schedule, sites
from ..models import (
    DoseSlot,
    FridgeSyringe,
    Injection,
    LabTest,
    Regimen,
    SideEffect,
    SlotStatus,
    SupplyEvent,
)
from . import proposals, supply

RECENT_INJECTIONS = 5


@dataclass(frozen=True)
class MissedDoseAdvice:
    """MISS-TAKE / MISS-SKIP for one late dose: the rule's answer and its cut-off, as facts.

    The words (headline, reason, the cut-off spelled out) are doses/presenters/today.py's.
    """

    action: str  # "take" or "skip"
    rule_id: str
    skip_within_hours: float  # the cut-off used for this dose (shorter when doses are close together)
    configured_hours: float  # the usual cut-off (MISSED_DOSE_SKIP_WITHIN_HOURS)
    skip_from: datetime  # from when the missed dose is skipped instead
    next_at: datetime  # the next dose


def missed_dose_advice_for(*, scheduled_at: datetime, next_at: datetime, now: datetime) -> MissedDoseAdvice:
    """The rule's answer (dose_timing.missed_dose_advice) with its explicit cut-off (MISS-SKIP)."""
    configured = schedule.skip_within_hours()
    skip_within = dose_timing.default_skip_within(next_at - scheduled_at, configured)
    action = dose_timing.missed_dose_advice(scheduled_at, next_at, now, skip_within)
    return MissedDoseAdvice(
        action=action,
        rule_id="MISS-TAKE" if action == "take" else "MISS-SKIP",
        skip_within_hours=skip_within.total_seconds() / 3600,
        configured_hours=configured,
        skip_from=next_at - skip_within,
        next_at=next_at,
    )


def dose_state(slot: DoseSlot, span: schedule.LogSpan, now: datetime) -> str:
    """done / not_taken / missed / late / early / upcoming, from the slot's status and when it can be logged.

    "early": it can be logged now, before its time (DOSE_LOG_EARLY_HOURS); "upcoming": not
    yet (its window has not opened, or the last injection was too recent, MISS-NODOUBLE).
    """
    if slot.status == SlotStatus.TAKEN:
        return "done"
    if slot.status == SlotStatus.NOT_TAKEN:
        return "not_taken"
    if slot.status == SlotStatus.HELD:
        return "held"  # treatment on hold: not due, never missed
    if now >= span.window.closes_at:
        return "missed"  # past the MISS-SKIP cut-off
    if now < span.log_from:
        return "upcoming"
    if now >= slot.scheduled_at:
        return "late"  # MISS-TAKE: still in its window
    return "early"


@dataclass
class SlotView:
    slot: DoseSlot
    state: str
    window: dose_timing.DoseWindow
    next_at: datetime
    log_from: datetime  # when it can be logged: window opening and spacing (doses/schedule.py)
    today: date
    zone: zoneinfo.ZoneInfo
    advice: MissedDoseAdvice | None = None

    @property
    def can_mark_not_taken(self) -> bool:
        return self.state in ("early", "late", "missed")

    @property
    def can_log_now(self) -> bool:
        return self.state in ("early", "late")


@dataclass(frozen=True)
class SiteHistory:
    """When each spot was last used (SITE-ROTATE), from one grouped query."""

    last_used: dict[str, datetime]

    @property
    def last_spot(self) -> str | None:
        return max(self.last_used, key=self.last_used.__getitem__) if self.last_used else None

    @property
    def last_spot_label(self) -> str:
        return sites.spot_label(self.last_spot) if self.last_spot else ""

    def suggested(self, someone_else: bool) -> str:
        """SITE-ROTATE: the least recently used spot allowed (SITE-SELF / SITE-OTHER)."""
        return sites.suggest_next_spot(self.last_used, someone_else)

    def suggested_for(self, viewer_role: str | None) -> str:
        """SITE-ROTATE: the spot suggested to a viewer; Today and the log form both ask this."""
        return sites.suggested_spot_for(self.last_used, viewer_is_patient=viewer_is_patient(viewer_role))


def viewer_is_patient(viewer_role: str | None) -> bool:
    """The patient looking at their own record (patient_for's `access_role`; None: no viewer, the patient's own view)."""
    return viewer_role in (None, CareRole.SELF)


def site_history(patient: Patient) -> SiteHistory:
    rows = Injection.objects.filter(patient=patient).values("site_spot").annotate(last=Max("taken_at")).order_by()
    return SiteHistory(last_used={row["site_spot"]: row["last"] for row in rows if row["site_spot"] in sites.ALL_SPOTS})


@dataclass(frozen=True)
class SupplyStatus:
    syringes: int  # never below zero (SUPPLY-BOX)
    days: int | None  # None when there is no regimen to count days against
    recorded: bool  # False until the first pick-up or correction is entered
    needs_count: bool = False  # SUPPLY-BOX: a dose or discard found the count at zero since the last count
    outlook: supply.SupplyOutlook | None = None  # the run-out day and "low" (doses/selectors/supply.py)


@dataclass(frozen=True)
class TodayAttention:
    """What needs attention on Today, as records; the titles and words are doses/presenters/today.py's."""

    serious_effects: list[SideEffect]  # AE-SERIOUS: open serious symptoms, newest first (up to 3)
    open_fridge: list[FridgeSyringe]  # PREP-24H: syringes out of the fridge, oldest first (up to 3)
    unconfirmed_regimen: bool  # the regimen in force is not confirmed by a clinician yet
    proposal: proposals.ProposalNotice | None  # a change waiting for the clinician, or just declined
    labs_due: list[LabTest]  # AE-LABS: not done and due within lab_checks.LAB_ON_TODAY_WITHIN_DAYS (or overdue), up to 2
    above_prescribed: Injection | None  # AE-OVERDOSE: the last dose above the prescribed one, within a day
    needs_count: bool  # SUPPLY-BOX: the count was found at zero since the last count


@dataclass
class TodaySummary:
    patient: Patient
    now: datetime  # aware, in the patient's zone
    today: date
    regimen: Regimen | None
    slots: list[SlotView]
    current: SlotView | None  # the dose whose window contains now
    next_dose: SlotView | None  # the next dose to give (the current one if still open)
    sites: SiteHistory
    supply: SupplyStatus
    attention: TodayAttention
    recent: list[Injection]
    skip_within_hours: float

    @property
    def suggested_spot(self) -> str:
        # The same rule and inputs as the log form's suggestion (doses/views/log.py), for the same viewer.
        return self.sites.suggested_for(getattr(self.patient, "access_role", None))

    @property
    def suggested_spot_label(self) -> str:
        return sites.spot_label(self.suggested_spot)


def _slot_view(timeline: schedule.Timeline, slot: DoseSlot, now: datetime, today: date) -> SlotView:
    span = timeline.log_span(slot)
    state = dose_state(slot, span, now)
    advice = None
    zone = timeline.zone
    next_at = span.timing.next_at
    if state in ("late", "missed"):
        advice = missed_dose_advice_for(scheduled_at=slot.scheduled_at, next_at=next_at, now=now)
    return SlotView(
        slot=slot,
        state=state,
        window=span.window,
        next_at=next_at,
        log_from=span.log_from,
        today=today,
        zone=zone,
        advice=advice,
    )




def _attention(
    patient: Patient, regimen: Regimen | None, now: datetime, today: date, needs_count: bool
) -> TodayAttention:
    serious = SideEffect.objects.filter(patient=patient, is_serious=True, resolved_at__isnull=True).order_by(
        "-started_on"
    )[:3]
    fridge = FridgeSyringe.objects.filter(patient=patient, closed_at__isnull=True).order_by("taken_out_at")[:3]
    due_by = lab_checks.lab_on_today_until(today)  # AE-LABS: LAB_ON_TODAY_WITHIN_DAYS ahead
    labs = LabTest.objects.filter(patient=patient, done_on__isnull=True, due_on__lte=due_by).order_by("due_on")[:2]
    above = (
        Injection.objects.filter(
            patient=patient, above_prescribed=True, taken_at__gte=now - recorded_doses.OVERDOSE_ADVICE_SHOWN_FOR
        )
        .order_by("-taken_at")
        .first()
    )
    return TodayAttention(
        serious_effects=list(serious),
        open_fridge=list(fridge),
        unconfirmed_regimen=regimen is not None and not regimen.is_confirmed,
        proposal=proposals.proposal_notice(patient, now),
        labs_due=list(labs),
        above_prescribed=above,
        needs_count=needs_count,
    )


def today_summary(patient: Patient, now: datetime | None = None) -> TodaySummary:
    """Everything the Today page shows, in a fixed number of queries whatever the history.

    Slots are read for a few days around now only; spots, supply and symptoms are
    aggregated in SQL.
    """
    now = (now or timezone.now()).astimezone(patient.zone)
    today = patient.local_today(now)
    # Windows, spacing and the versions in force come from doses/schedule.py (two queries).
    timeline = schedule.timeline(
        patient, now - timedelta(days=2), now + timedelta(days=3), related=("injection__logged_by", "status_changed_by")
    )
    regimen = timeline.current_regimen
    nearby = [slot for slot in timeline.slots if now - timedelta(days=2) <= slot.scheduled_at < now + timedelta(days=3)]
    views = [_slot_view(timeline, slot, now, today) for slot in nearby]
    current = next((v for v in views if now in v.window), None)
    shown = [
        v
        for v in views
        if v.slot.local_date == today
        or v is current
        # A dose missed or left open in the last day still shows, with its advice.
        or (v.state in ("late", "missed", "not_taken") and v.slot.scheduled_at >= now - dose_timing.MISSED_DOSE_SHOWN_FOR)
    ]
    if current is not None and current.state in ("early", "late"):
        next_dose = current
    else:
        next_dose = next((v for v in views if v.slot.scheduled_at > now and v.state in ("early", "upcoming")), None)
    counted = Q(kind__in=[SupplyEvent.Kind.PICKUP, SupplyEvent.Kind.CORRECTION])
    supply_row = SupplyEvent.objects.filter(patient=patient).aggregate(
        total=Sum("syringes"),
        # "recorded" once a count exists: a pick-up or a correction, not doses alone.
        n=Count("pk", filter=counted),
        last_counted=Max("occurred_at", filter=counted),
        last_short=Max("occurred_at", filter=Q(shortfall__gt=0)),
    )
    # SUPPLY-BOX: never shown below zero (records from before the rule may sum below it).
    syringes = max(supply_row["total"] or 0, 0)
    needs_count = recorded_doses.count_needed(
        total=supply_row["total"] or 0,
        counted=bool(supply_row["n"]),
        last_counted_at=supply_row["last_counted"],
        last_shortfall_at=supply_row["last_short"],
    )
    days = None
    outlook = None
    if regimen is not None:
        # SUPPLY-BOX: the same outlook as the refill message, from the doses to come (schedule).
        outlook = supply.outlook(
            syringes,
            daily_dose_mg=regimen.daily_dose_mg,
            administrations_per_day=regimen.administrations_per_day,
            interval_days=regimen.interval_days,
            upcoming=supply.upcoming_days(timeline.slots, today),
            today=today,
        )
        days = outlook.days_left
    recent = list(
        Injection.objects.filter(patient=patient).select_related("logged_by").order_by("-taken_at")[:RECENT_INJECTIONS]
    )
    return TodaySummary(
        patient=patient,
        now=now,
        today=today,
        regimen=regimen,
        slots=shown,
        current=current,
        next_dose=next_dose,
        sites=site_history(patient),
        supply=SupplyStatus(
            syringes=syringes,
            days=days,
            recorded=bool(supply_row["n"]),
            needs_count=needs_count,
            outlook=outlook if supply_row["n"] else None,  # no banner before the first count
        ),
        attention=_attention(patient, regimen, now, today, needs_count),
        recent=recent,
        skip_within_hours=schedule.skip_within_hours(),
    )
