"""Today: the next dose, its state and advice, what needs attention (TodaySummary)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    Max,
    Q,
    Sum,
)
from django.utils import timezone

from companion.models import Patient

from .. import rules, schedule, sites, triage
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
from . import proposals

RECENT_INJECTIONS = 5
DOSE_STATE_LABELS = {
    "done": "Done",
    "early": "Can be logged now",  # before its time: never "Due" (MISS-NODOUBLE)
    "late": "Late",
    "missed": "Missed",
    "not_taken": "Not taken",
    "upcoming": "Later",
    "held": "On hold",
}



@dataclass(frozen=True)
class MissedDoseAdvice:
    """MISS-TAKE / MISS-SKIP for one late dose, in words, with the cut-off spelled out."""

    action: str  # "take" or "skip"
    rule_id: str
    headline: str
    reason: str
    cut_off: str


def missed_dose_advice_for(
    *, scheduled_at: datetime, next_at: datetime, now: datetime, today: date, zone: zoneinfo.ZoneInfo
) -> MissedDoseAdvice:
    """The rule's answer (rules.missed_dose_advice) with its reason and explicit cut-off."""
    configured = schedule.skip_within_hours()
    skip_within = rules.default_skip_within(next_at - scheduled_at, configured)
    action = rules.missed_dose_advice(scheduled_at, next_at, now, skip_within)
    hours = skip_within.total_seconds() / 3600
    skip_from = schedule.local_when(next_at - skip_within, today, zone)
    next_text = schedule.local_when(next_at, today, zone)
    # The cut-off is shown to the user, as MISS-SKIP asks ("define almost time explicitly").
    cut_off = f"If your next dose is due within {schedule.hours_text(hours)}, skip the missed one."
    if hours < configured:
        cut_off += f" (Usually {schedule.hours_text(configured)}; shorter here because your doses are closer together.)"
    if action == "take":
        return MissedDoseAdvice(
            action="take",
            rule_id="MISS-TAKE",
            headline="Take it now",
            reason=(
                "Take a missed dose as soon as you remember (MISS-TAKE). "
                f"After {skip_from}, skip it instead and take the next dose at {next_text} (MISS-SKIP)."
            ),
            cut_off=cut_off,
        )
    return MissedDoseAdvice(
        action="skip",
        rule_id="MISS-SKIP",
        headline="Skip this dose",
        reason=(
            f"Your next dose is due at {next_text}, so skip the missed one and carry on with your usual "
            "schedule (MISS-SKIP). Never take a double dose to make up for a missed one (MISS-NODOUBLE)."
        ),
        cut_off=cut_off,
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
    window: rules.DoseWindow
    next_at: datetime
    log_from: datetime  # when it can be logged: window opening and spacing (doses/schedule.py)
    today: date
    zone: zoneinfo.ZoneInfo
    advice: MissedDoseAdvice | None = None

    @property
    def label(self) -> str:
        return DOSE_STATE_LABELS[self.state]

    @property
    def can_mark_not_taken(self) -> bool:
        return self.state in ("early", "late", "missed")

    @property
    def can_log_now(self) -> bool:
        return self.state in ("early", "late")

    @property
    def when_text(self) -> str:
        """'Today 08:00', 'Tomorrow 08:00' or 'Wed 2 Dec 08:00' (SCHED-TZ)."""
        local = self.slot.scheduled_at.astimezone(self.zone)
        named = {0: "Today", 1: "Tomorrow", -1: "Yesterday"}.get((local.date() - self.today).days)
        return f"{named or f'{local:%a} {local.day} {local:%b}'} {local:%H:%M}"

    @property
    def log_from_text(self) -> str:
        """'06:00', or with its day when that is not the dose's own day ('22:30 today')."""
        local = self.log_from.astimezone(self.zone)
        if local.date() == self.slot.scheduled_at.astimezone(self.zone).date():
            return f"{local:%H:%M}"
        return schedule.local_when(self.log_from, self.today, self.zone)


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


def site_history(patient: Patient) -> SiteHistory:
    rows = Injection.objects.filter(patient=patient).values("site_spot").annotate(last=Max("taken_at")).order_by()
    return SiteHistory(last_used={row["site_spot"]: row["last"] for row in rows if row["site_spot"] in sites.ALL_SPOTS})


@dataclass(frozen=True)
class SupplyStatus:
    syringes: int  # never below zero (SUPPLY-BOX)
    days: int | None  # None when there is no regimen to count days against
    recorded: bool  # False until the first pick-up or correction is entered
    needs_count: bool = False  # SUPPLY-BOX: a dose or discard found the count at zero since the last count


@dataclass(frozen=True)
class AttentionItem:
    level: str  # a Bootstrap contextual colour: danger, warning, info
    title: str
    text: str
    rule_id: str = ""
    fridge_syringe_id: int | None = None


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
    attention: list[AttentionItem]
    recent: list[Injection]
    skip_within_hours: float

    @property
    def suggested_spot(self) -> str:
        return self.sites.suggested(False)

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
        advice = missed_dose_advice_for(
            scheduled_at=slot.scheduled_at, next_at=next_at, now=now, today=today, zone=zone
        )
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


def _attention_items(patient: Patient, regimen: Regimen | None, now: datetime, today: date) -> list[AttentionItem]:
    zone = patient.zone
    items: list[AttentionItem] = []
    serious = SideEffect.objects.filter(patient=patient, is_serious=True, resolved_at__isnull=True).order_by(
        "-started_on"
    )[:3]
    for effect in serious:
        items.append(
            AttentionItem(
                "danger",
                f"Serious symptom: {effect.description or effect.symptom.replace('_', ' ')}",
                f"Logged as starting {effect.started_on:%a %d %b}. Call the doctor now if you have not "
                "already (AE-SERIOUS). Trouble breathing or collapse: call 911.",
                "AE-SERIOUS",
            )
        )
    for fridge in FridgeSyringe.objects.filter(patient=patient, closed_at__isnull=True).order_by("taken_out_at")[:3]:
        if fridge.use_by <= now:
            items.append(
                AttentionItem(
                    "danger",
                    "Do not use the syringe out of the fridge",
                    f"It was taken out at {schedule.local_when(fridge.taken_out_at, today, zone)} and has been at room "
                    "temperature for more than 24 hours (PREP-24H).",
                    "PREP-24H",
                    fridge.pk,
                )
            )
        else:
            items.append(
                AttentionItem(
                    "warning",
                    "A syringe is out of the fridge",
                    f"Use it by {schedule.local_when(fridge.use_by, today, zone)} (PREP-24H).",
                    "PREP-24H",
                    fridge.pk,
                )
            )
    if regimen is not None and not regimen.is_confirmed:
        items.append(
            AttentionItem(
                "info",
                "Regimen not yet confirmed",
                "A clinician has not confirmed this regimen yet. Keep following your prescription.",
            )
        )
    items += proposal_attention_items(patient, now)
    due_by = rules.lab_on_today_until(today)  # AE-LABS: LAB_ON_TODAY_WITHIN_DAYS ahead
    for lab in LabTest.objects.filter(patient=patient, done_on__isnull=True, due_on__lte=due_by).order_by("due_on")[:2]:
        when = "overdue since" if lab.due_on < today else "due"
        items.append(
            AttentionItem(
                "warning" if lab.due_on < today else "info",
                f"Blood test {when} {lab.due_on:%a %d %b}",
                f"Neutrophil count ({lab.label}). Keep your lab appointments (AE-LABS).",
                "AE-LABS",
            )
        )
    return items


def _log_record_items(patient: Patient, now: datetime, needs_count: bool) -> list[AttentionItem]:
    """AE-OVERDOSE: a dose above the prescribed one in the last day; SUPPLY-BOX: count your syringes."""
    items = []
    above = (
        Injection.objects.filter(
            patient=patient, above_prescribed=True, taken_at__gte=now - rules.OVERDOSE_ADVICE_SHOWN_FOR
        )
        .order_by("-taken_at")
        .first()
    )
    if above is not None:
        items.append(
            AttentionItem(
                "danger",
                "More than the prescribed dose was injected",
                f"{Decimal(above.dose_mg).normalize():f} mg at {schedule.local_when(above.taken_at, patient.local_today(now), patient.zone)} "
                f"(prescribed {Decimal(above.prescribed_mg or 0).normalize():f} mg). Poison control: "
                f"{triage.POISON_CONTROL}. Collapse, seizure, trouble breathing or cannot be woken up: call "
                f"{triage.EMERGENCY_NUMBER}. The care team has been alerted.",
                "AE-OVERDOSE",
            )
        )
    if needs_count:
        items.append(
            AttentionItem(
                "warning",
                "Count your syringes",
                "A dose or a discarded syringe was recorded when your count was already at 0, so the count is "
                "not right. Count the syringes you have and correct the number on the supply page (SUPPLY-BOX).",
                "SUPPLY-BOX",
            )
        )
    return items


def proposal_attention_items(patient: Patient, now: datetime) -> list[AttentionItem]:
    """A regimen change waiting for the clinician, or one just declined with its reason (issue 13)."""
    notice = proposals.proposal_notice(patient, now)
    if notice is None:
        return []
    proposal = notice.proposal
    if proposal.is_open:
        return [
            AttentionItem(
                "info",
                "Regimen change waiting for the clinician",
                f"{notice.waiting_text}. The change to {proposal.daily_dose_mg} mg a day starts only once a "
                "clinician confirms it.",
            )
        ]
    who = proposal.decided_by.display_name if proposal.decided_by else "The clinician"
    return [
        AttentionItem(
            "warning",
            "Regimen change declined",
            f"{who} declined the change to {proposal.daily_dose_mg} mg a day: {proposal.decline_reason} "
            f"Keep injecting {notice.dose_in_force}.",
        )
    ]


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
        or (v.state in ("late", "missed", "not_taken") and v.slot.scheduled_at >= now - rules.MISSED_DOSE_SHOWN_FOR)
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
    needs_count = rules.count_needed(
        total=supply_row["total"] or 0,
        counted=bool(supply_row["n"]),
        last_counted_at=supply_row["last_counted"],
        last_shortfall_at=supply_row["last_short"],
    )
    days = None
    if regimen is not None:
        days = rules.days_of_supply(
            max(syringes, 0),
            dose_mg=regimen.dose_per_administration_mg,
            administrations_per_day=regimen.administrations_per_day,
            interval_days=regimen.interval_days,
        )
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
        supply=SupplyStatus(syringes=syringes, days=days, recorded=bool(supply_row["n"]), needs_count=needs_count),
        attention=_attention_items(patient, regimen, now, today) + _log_record_items(patient, now, needs_count),
        recent=recent,
        skip_within_hours=schedule.skip_within_hours(),
    )
