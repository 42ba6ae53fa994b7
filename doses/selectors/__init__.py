"""Read-heavy queries for pages: functions that return annotated querysets or plain rows.

Each helper owns one section; keep sections together and add new ones at the end.
"""

from __future__ import annotations

import functools
import json
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, NullIf
from django.utils import timezone
from django.utils.functional import cached_property

from companion.models import CareRole, Indication, Patient, User

from .. import adherence, charts, rules, schedule, sites, triage
from ..adherence import Ratio
from ..models import (
    BaselineChecklist,
    DoseSlot,
    FridgeSyringe,
    Injection,
    LabTest,
    MedicineCategory,
    NotTakenReason,
    OtherMedicine,
    PatientAdherenceSummary,
    Regimen,
    RegimenProposal,
    SideEffect,
    SlotStatus,
    SupplyEvent,
    TreatmentHold,
    Vaccination,
)
from . import proposals

# ---------------------------------------------------------------------------
# --- today page and injection log (injection-log helper) ---
# ---------------------------------------------------------------------------

RECENT_INJECTIONS = 5
LAB_DUE_SOON_DAYS = 7  # AE-LABS: a neutrophil count due within a week shows on Today
DOSE_STATE_LABELS = {
    "done": "Done",
    "early": "Can be logged now",  # before its time: never "Due" (MISS-NODOUBLE)
    "late": "Late",
    "missed": "Missed",
    "not_taken": "Not taken",
    "upcoming": "Later",
    "held": "On hold",
}

# The words of dose timing live with it (doses/schedule.py); these names stay for callers.
skip_cut_off_hours = schedule.skip_within_hours
hours_text = schedule.hours_text
local_when = schedule.local_when


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
    configured = skip_cut_off_hours()
    skip_within = rules.default_skip_within(next_at - scheduled_at, configured)
    action = rules.missed_dose_advice(scheduled_at, next_at, now, skip_within)
    hours = skip_within.total_seconds() / 3600
    skip_from = local_when(next_at - skip_within, today, zone)
    next_text = local_when(next_at, today, zone)
    # The cut-off is shown to the user, as MISS-SKIP asks ("define almost time explicitly").
    cut_off = f"If your next dose is due within {hours_text(hours)}, skip the missed one."
    if hours < configured:
        cut_off += f" (Usually {hours_text(configured)}; shorter here because your doses are closer together.)"
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
        return local_when(self.log_from, self.today, self.zone)


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
                    f"It was taken out at {local_when(fridge.taken_out_at, today, zone)} and has been at room "
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
                    f"Use it by {local_when(fridge.use_by, today, zone)} (PREP-24H).",
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
    due_by = today + timedelta(days=LAB_DUE_SOON_DAYS)
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


OVERDOSE_ADVICE_HOURS = 24  # AE-OVERDOSE: Today repeats the advice for a day after the record


def _log_record_items(patient: Patient, now: datetime, needs_count: bool) -> list[AttentionItem]:
    """AE-OVERDOSE: a dose above the prescribed one in the last day; SUPPLY-BOX: count your syringes."""
    items = []
    above = (
        Injection.objects.filter(
            patient=patient, above_prescribed=True, taken_at__gte=now - timedelta(hours=OVERDOSE_ADVICE_HOURS)
        )
        .order_by("-taken_at")
        .first()
    )
    if above is not None:
        items.append(
            AttentionItem(
                "danger",
                "More than the prescribed dose was injected",
                f"{Decimal(above.dose_mg).normalize():f} mg at {local_when(above.taken_at, patient.local_today(now), patient.zone)} "
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
        or (v.state in ("late", "missed", "not_taken") and v.slot.scheduled_at >= now - timedelta(hours=24))
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
        skip_within_hours=skip_cut_off_hours(),
    )


# ---------------------------------------------------------------------------
# --- clinician panel, patient page, exports (dashboard helper) ---
# ---------------------------------------------------------------------------

PANEL_PAGE_SIZE = 25
PDC_DAYS = 90  # the panel's PDC window: the last 90 local days, today included
PANEL_SORTS = {
    "attention": "Needs attention first",
    "name": "Name",
    "adherence": "Doses logged, 30 days (lowest first)",
    "pdc": "Days covered (lowest first)",
    "last_dose": "Last dose (oldest first)",
}
PANEL_FLAGS = adherence.FLAG_LABELS


@dataclass(frozen=True)
class PanelFilters:
    q: str = ""
    flag: str = ""
    indication: str = ""
    age: str = ""  # "adult", "child" or ""

    def __post_init__(self):
        # Unknown values are ignored rather than refused: the panel's filters are links.
        if self.flag not in PANEL_FLAGS:
            object.__setattr__(self, "flag", "")
        if self.indication not in Indication.values:
            object.__setattr__(self, "indication", "")
        if self.age not in ("adult", "child"):
            object.__setattr__(self, "age", "")
        object.__setattr__(self, "q", self.q.strip()[:80])


@dataclass
class PanelRow:
    patient: Patient
    today: date
    adherence_30: Ratio
    adherence_90: Ratio
    missed_run: int
    serious_open: int
    old_site_reactions: int
    interactions: list[str]
    awaiting_confirmation: bool
    next_lab_due: date | None
    last_dose_at: datetime | None
    pdc: adherence.DaysCovered | None = None
    syringes_on_hand: int = 0
    supply_days_left: int | None = None
    flags: list[str] = field(default_factory=list)
    score: int = 0
    as_of: datetime | None = None  # when the measures were computed (the summary's refreshed_at)
    display: PanelRowDisplay | None = None  # the panel's table cells, worked out once (panel_rows)

    @property
    def is_child(self) -> bool:
        return self.patient.is_child(self.today)

    @property
    def flag_labels(self) -> list[str]:
        return [PANEL_FLAGS[f] for f in self.flags]


@dataclass(frozen=True)
class PanelRowDisplay:
    """What the panel's table shows for a row, computed once in Python: 25 rows of
    template filters and Fraction arithmetic cost more than the panel's queries."""

    is_child: bool
    adherence_30_percent: int | None
    adherence_30_low: bool
    adherence_90_percent: int | None
    pdc_percent: int | None
    pdc_adherent: bool | None
    last_dose_iso: str
    last_dose_day: str  # the patient's local date of the last dose
    next_lab_day: str
    next_lab_overdue: bool


def date_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"  # the same as the template filter date:"j M Y" in English


def panel_row_display(row: PanelRow) -> PanelRowDisplay:
    last = row.last_dose_at
    adherence_30_percent, adherence_30_low = charts.ratio_numbers(row.adherence_30)
    pdc_percent, pdc_below = charts.ratio_numbers(row.pdc.ratio) if row.pdc else (None, False)
    return PanelRowDisplay(
        is_child=row.is_child,
        adherence_30_percent=adherence_30_percent,
        adherence_30_low=adherence_30_low,
        adherence_90_percent=charts.ratio_numbers(row.adherence_90)[0],
        pdc_percent=pdc_percent,
        pdc_adherent=None if pdc_percent is None else not pdc_below,
        last_dose_iso=timezone.localtime(last).isoformat() if last else "",
        last_dose_day=date_text(last.astimezone(row.patient.zone).date()) if last else "",
        next_lab_day=date_text(row.next_lab_due) if row.next_lab_due else "",
        next_lab_overdue=row.next_lab_due is not None and row.next_lab_due < row.today,
    )


@dataclass
class PanelResult:
    page: Page
    rows: list[PanelRow]
    total_in_panel: int
    as_of: datetime | None = None  # the oldest refresh among the rows shown


def clinician_patients(clinician) -> QuerySet[Patient]:
    """Patients who linked `clinician` as their clinician (active links only)."""
    if not getattr(clinician, "is_authenticated", False):
        return Patient.objects.none()
    return Patient.objects.filter(
        memberships__user=clinician, memberships__role=CareRole.CLINICIAN, memberships__revoked_at__isnull=True
    )


def _ordered(queryset: QuerySet[Patient], sort: str) -> QuerySet[Patient]:
    """The panel sorted in SQL over the summary rows (PatientAdherenceSummary)."""
    if sort == "name":
        return queryset.order_by("display_name", "pk")
    if sort == "adherence":
        value = Cast("adherence_summary__adherence_30_taken", FloatField()) / NullIf(
            F("adherence_summary__adherence_30_due"), 0
        )
        return queryset.annotate(adherence_30_value=value).order_by(
            F("adherence_30_value").asc(nulls_last=True), "display_name", "pk"
        )
    if sort == "pdc":
        # Nothing to measure (no pick-up) is unknown and sorts last, as before.
        value = Cast("adherence_summary__pdc_covered_days", FloatField()) / NullIf(
            F("adherence_summary__pdc_period_days"), 0
        )
        return queryset.annotate(pdc_value=value).order_by(F("pdc_value").asc(nulls_last=True), "display_name", "pk")
    if sort == "last_dose":
        return queryset.order_by(F("adherence_summary__last_dose_at").asc(nulls_first=True), "display_name", "pk")
    return queryset.order_by("-adherence_summary__attention_score", "display_name", "pk")


def _current_interactions(now: datetime) -> QuerySet[OtherMedicine]:
    """IX-TNF / IX-BIOLOGIC: interacting medicines not yet stopped."""
    return OtherMedicine.objects.filter(
        category__in=[MedicineCategory.TNF_ANTAGONIST, MedicineCategory.OTHER_BIOLOGIC]
    ).filter(Q(stopped_on__isnull=True) | Q(stopped_on__gt=now.date()))


def panel_rows(
    clinician,
    filters: PanelFilters | None = None,
    sort: str = "attention",
    page_number=1,
    *,
    now: datetime | None = None,
    page_size: int = PANEL_PAGE_SIZE,
) -> PanelResult:
    """One page of the clinician's panel, patients needing attention first by default.

    The panel is filtered, sorted and paginated in SQL over the patients' summary rows
    (PatientAdherenceSummary, computed by doses/adherence.py and refreshed after every
    write and by a periodic job), so the cost does not grow with the history. Before
    ranking, patients who have no summary yet are summarised (they could not be ranked
    otherwise); after paginating, the page's rows that are no longer current are
    refreshed, so the page never shows an expired figure. The counts (and whether anyone
    lacks a summary) come from one aggregate query (`_panel_counts`) and the page from a
    second. The number of queries does not depend on the number of patients.
    """
    from ..services import refresh_adherence_summaries  # a write; services import this module

    now = now or timezone.now()
    filters = filters or PanelFilters()
    sort = sort if sort in PANEL_SORTS else "attention"
    panel = clinician_patients(clinician)
    in_base = Q()  # the search and indication filters (on the patient)
    if filters.q:
        in_base &= Q(display_name__icontains=filters.q)
    if filters.indication:
        in_base &= Q(indication=filters.indication)
    matching = Q()  # the age and flag filters (on the summary row)
    if filters.age:
        matching &= Q(adherence_summary__is_child=filters.age == "child")
    if filters.flag:
        matching &= Q(
            adherence_summary__attention_reasons__contains=PatientAdherenceSummary.reasons_text([filters.flag])
        )
    base = panel.filter(in_base)
    counts = _panel_counts(panel, in_base, matching)
    if counts["summarised"] < counts["in_base"]:  # patients without a summary yet: summarise them to rank them
        missing = list(base.filter(adherence_summary__isnull=True).order_by().values_list("pk", flat=True))
        refresh_adherence_summaries(patient_ids=missing, now=now)
        counts = _panel_counts(panel, in_base, matching)
    ranked = base.filter(matching).select_related("adherence_summary")
    paginator = _CountedPaginator(_ordered(ranked, sort), page_size, count=counts["matching"])
    page = paginator.get_page(page_number)
    patients = list(page.object_list)
    summaries = {p.pk: _summary_of(p) for p in patients}
    expired = [pk for pk, summary in summaries.items() if summary is None or not summary.is_current(now)]
    if expired:
        refresh_adherence_summaries(patient_ids=expired, now=now)
        summaries.update(PatientAdherenceSummary.objects.in_bulk(expired))
    rows = [_row_from_summary(p, summaries[p.pk]) for p in patients if p.pk in summaries]
    for row in rows:
        row.display = panel_row_display(row)
    return PanelResult(
        page=page,
        rows=rows,
        total_in_panel=counts["total"],
        as_of=min((row.as_of for row in rows), default=None),
    )


class _CountedPaginator(Paginator):
    """A Paginator told its count (from `_panel_counts`) instead of asking the database again."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _panel_counts(panel: QuerySet[Patient], in_base: Q, matching: Q) -> dict[str, int]:
    """The panel's numbers in one query: everyone in it (`total`), those the search and
    indication filters keep (`in_base`), how many of these have a summary row
    (`summarised`), and those the age and flag filters keep as well (`matching`)."""

    counts = {"total": Count("pk"), "summarised": Count("pk", filter=in_base & Q(adherence_summary__isnull=False))}
    if in_base:
        counts["in_base"] = Count("pk", filter=in_base)
    if in_base or matching:
        counts["matching"] = Count("pk", filter=in_base & matching)
    found = panel.order_by().aggregate(**counts)
    found.setdefault("in_base", found["total"])  # no search or indication filter: everyone
    found.setdefault("matching", found["in_base"])  # no filter at all: everyone
    return found


def _summary_of(patient: Patient) -> PatientAdherenceSummary | None:
    try:
        return patient.adherence_summary
    except PatientAdherenceSummary.DoesNotExist:  # added to the panel since the check above
        return None


def _row_from_summary(patient: Patient, summary: PatientAdherenceSummary) -> PanelRow:
    return PanelRow(
        patient=patient,
        today=summary.as_of_local_date,
        adherence_30=Ratio(summary.adherence_30_taken, summary.adherence_30_due),
        adherence_90=Ratio(summary.adherence_90_taken, summary.adherence_90_due),
        missed_run=summary.missed_run,
        serious_open=summary.open_serious_count,
        old_site_reactions=summary.persistent_site_reactions,
        interactions=list(summary.interaction_names),
        awaiting_confirmation=summary.awaiting_confirmation,
        next_lab_due=summary.next_lab_due,
        last_dose_at=summary.last_dose_at,
        pdc=adherence.DaysCovered(summary.pdc_covered_days, summary.pdc_period_days, summary.pdc_start),
        syringes_on_hand=summary.syringes_on_hand,
        supply_days_left=summary.supply_days_left,
        flags=summary.flags,
        score=summary.attention_score,
        as_of=summary.refreshed_at,
    )


def regimen_periods(regimens) -> list[adherence.RegimenPeriod]:
    """The syringe use of each regimen version, for PDC (regimen changes by period)."""
    periods = []
    for regimen in regimens:
        if regimen.ends_on is not None and regimen.ends_on <= regimen.starts_on:
            continue  # a version replaced before it took effect
        periods.append(
            adherence.RegimenPeriod(
                starts_on=regimen.starts_on,
                ends_on=regimen.ends_on,
                syringes_per_day=adherence.syringes_per_day(
                    dose_per_administration_mg=regimen.dose_per_administration_mg,
                    administrations_per_day=regimen.administrations_per_day,
                    interval_days=regimen.interval_days,
                ),
            )
        )
    return periods


def _per_patient(queryset, aggregate) -> dict[int, object]:
    """{patient_id: aggregate} in one GROUP BY query."""
    return dict(queryset.order_by().values("patient_id").annotate(v=aggregate).values_list("patient_id", "v"))


def _valid_until(now: datetime, today: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """A summary expires after SUMMARY_MAX_AGE or at the patient's next local midnight,
    whichever comes first: "today" moves there (lab overdue, site reactions, age, PDC)."""
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return min(now + PatientAdherenceSummary.SUMMARY_MAX_AGE, midnight)


def compute_adherence_summaries(patients: list[Patient], now: datetime) -> dict[int, PatientAdherenceSummary]:
    """The summary rows (unsaved) of some patients at `now`, in a fixed number of queries.

    Only the pure functions of doses/adherence.py compute the measures: this function
    reads their inputs for all `patients` at once (one query per kind of input) and
    calls them per patient. Callers batch (services.refresh_adherence_summaries).
    """
    if not patients:
        return {}
    ids = [p.pk for p in patients]
    window_start = adherence.period_start(now, 90)  # the longest dose-adherence window
    facts: dict[int, list[adherence.SlotFact]] = defaultdict(list)
    for patient_id, scheduled_at, status in (
        DoseSlot.objects.filter(patient_id__in=ids, scheduled_at__gt=window_start, scheduled_at__lte=now)
        .order_by()
        .values_list("patient_id", "scheduled_at", "status")
    ):
        facts[patient_id].append(adherence.SlotFact(scheduled_at, status))
    # missed_run counts back to the last taken dose: only patients with none in the
    # window need their older history (rare; one more query for all of them).
    older: dict[int, list[adherence.SlotFact]] = defaultdict(list)
    no_taken = [pk for pk in ids if not any(f.status == adherence.TAKEN for f in facts[pk])]
    if no_taken:
        for patient_id, scheduled_at, status in (
            DoseSlot.objects.filter(patient_id__in=no_taken, scheduled_at__lte=window_start)
            .order_by()
            .values_list("patient_id", "scheduled_at", "status")
        ):
            older[patient_id].append(adherence.SlotFact(scheduled_at, status))
    pickups: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for patient_id, occurred_at, syringes in (
        SupplyEvent.objects.filter(patient_id__in=ids, kind=SupplyEvent.Kind.PICKUP)
        .order_by()
        .values_list("patient_id", "occurred_at", "syringes")
    ):
        pickups[patient_id].append((occurred_at, syringes))
    regimens: dict[int, list[Regimen]] = defaultdict(list)
    for regimen in Regimen.objects.filter(patient_id__in=ids).order_by("patient_id", "version"):
        regimens[regimen.patient_id].append(regimen)
    open_effects: dict[int, list[SideEffect]] = defaultdict(list)
    for effect in (
        SideEffect.objects.filter(patient_id__in=ids, resolved_at=None)
        .filter(Q(is_serious=True) | Q(is_site_reaction=True))
        .only("patient_id", "is_serious", "is_site_reaction", "started_on", "resolved_at")
        .order_by()
    ):
        open_effects[effect.patient_id].append(effect)
    interactions: dict[int, list[str]] = defaultdict(list)
    for patient_id, name in (
        _current_interactions(now).filter(patient_id__in=ids).order_by("name").values_list("patient_id", "name")
    ):
        interactions[patient_id].append(name)
    with_open_proposal = set(
        RegimenProposal.objects.open().filter(patient_id__in=ids).values_list("patient_id", flat=True)
    )
    last_dose = _per_patient(Injection.objects.filter(patient_id__in=ids), Max("taken_at"))
    on_hand = _per_patient(SupplyEvent.objects.filter(patient_id__in=ids), Sum("syringes"))
    next_lab = _per_patient(LabTest.objects.filter(patient_id__in=ids, done_on__isnull=True), Min("due_on"))
    holds: dict[int, list[TreatmentHold]] = defaultdict(list)
    for hold in TreatmentHold.objects.filter(patient_id__in=ids).order_by("starts_at"):
        holds[hold.patient_id].append(hold)

    summaries = {}
    for patient in patients:
        pk, zone = patient.pk, patient.zone
        today = patient.local_today(now)
        current = next((r for r in regimens[pk] if r.ends_on is None), None)
        slot_facts = facts[pk]
        adherence_30 = adherence.dose_adherence(slot_facts, now=now, days=30)
        adherence_90 = adherence.dose_adherence(slot_facts, now=now, days=90)
        run = adherence.missed_run(older[pk] + slot_facts, now=now)
        pdc = adherence.proportion_of_days_covered(
            [adherence.Pickup(at.astimezone(zone).date(), n) for at, n in pickups[pk]],
            regimen_periods(regimens[pk]),
            start=today - timedelta(days=PDC_DAYS - 1),
            end=today,
            held=[span for h in holds[pk] if (span := h.held_span(today=today, zone=zone))],
        )
        open_hold = next((h for h in holds[pk] if h.ended_at is None), None)
        serious = sum(1 for e in open_effects[pk] if e.is_serious)
        persistent = sum(1 for e in open_effects[pk] if e.is_persistent_site_reaction(today))  # AE-ISR-DURATION
        syringes = max(on_hand.get(pk) or 0, 0)  # SUPPLY-BOX: the count is never shown below zero
        awaiting = current is not None and current.status == Regimen.Status.AWAITING_CONFIRMATION
        flags = adherence.attention_flags(
            serious_open=serious,
            missed_run_length=run,
            adherence_30=adherence_30,
            old_site_reactions=persistent,
            interactions=len(interactions[pk]),
            awaiting_confirmation=awaiting,
            next_lab_due=next_lab.get(pk),
            today=today,
            hold="" if open_hold is None else ("hold_review" if open_hold.pending_review else "on_hold"),
            open_proposal=pk in with_open_proposal,
        )
        summaries[pk] = PatientAdherenceSummary(
            patient=patient,
            refreshed_at=now,
            valid_until=_valid_until(now, today, zone),
            as_of_local_date=today,
            is_child=patient.is_child(today),
            adherence_30_taken=adherence_30.numerator,
            adherence_30_due=adherence_30.denominator,
            adherence_90_taken=adherence_90.numerator,
            adherence_90_due=adherence_90.denominator,
            pdc_covered_days=pdc.covered_days,
            pdc_period_days=pdc.period_days,
            pdc_start=pdc.period_start,
            missed_run=run,
            last_dose_at=last_dose.get(pk),
            open_serious_count=serious,
            persistent_site_reactions=persistent,
            interaction_names=interactions[pk],
            syringes_on_hand=syringes,
            supply_days_left=None
            if current is None
            else adherence.days_of_supply_left(
                syringes,
                dose_per_administration_mg=current.dose_per_administration_mg,
                administrations_per_day=current.administrations_per_day,
                interval_days=current.interval_days,
            ),
            next_lab_due=next_lab.get(pk),
            awaiting_confirmation=awaiting,
            attention_score=adherence.attention_score(flags),
            attention_reasons=PatientAdherenceSummary.reasons_text(flags),
        )
    return summaries


# Patient page and exports -------------------------------------------------

MAX_RANGE_DAYS = 3 * 366  # the longest range a page or export accepts
PAGE_DEFAULT_DAYS = 90


@dataclass(frozen=True)
class DateRange:
    """Local calendar days `start`..`end`, both included (the patient's own dates, SCHED-TZ)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
        """Aware datetimes [start of `start`, start of the day after `end`) in the patient's zone."""
        first = datetime.combine(self.start, datetime.min.time(), tzinfo=zone)
        after = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        return first, after


class BadDateRange(ValueError):
    """A range the pages and exports refuse; the message says why."""


def parse_date_range(start: str | None, end: str | None, *, today: date) -> DateRange:
    """The range asked for in a query string; the last 90 days when nothing is given."""

    def parse(value: str | None, name: str) -> date | None:
        if value in (None, ""):
            return None
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise BadDateRange(f"The {name} date “{value[:20]}” is not a date. Use the form YYYY-MM-DD.")
        # Checked before any arithmetic: 90 days before 0001-01-01 is an OverflowError. A date
        # after today is refused below ("in the future"); comparing dates cannot overflow.
        if day < rules.EARLIEST_RECORD_DATE:
            raise BadDateRange(
                f"The {name} date ({day}) is before {rules.EARLIEST_RECORD_DATE.year}: no record starts that early."
            )
        return day

    first, last = parse(start, "start"), parse(end, "end")
    last = last or today
    first = first or last - timedelta(days=PAGE_DEFAULT_DAYS - 1)
    if first > last:
        raise BadDateRange(f"The start date ({first}) is after the end date ({last}).")
    if last > today:
        raise BadDateRange(f"The end date ({last}) is in the future; the record ends today ({today}).")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise BadDateRange(f"That range is {(last - first).days + 1} days; choose at most {MAX_RANGE_DAYS} days.")
    return DateRange(first, last)


class CalendarDose(NamedTuple):  # a tuple: a year's page builds 365 of them
    """One dose as the calendar shows it (times in the patient's zone). Its first four
    fields are adherence.SlotFact's, so the measures (day_state, weekly_adherence) read it
    as one: a year's page builds one tuple per dose, not two."""

    scheduled_at: datetime
    status: str
    local_date: date
    taken_at: datetime | None
    status_label: str
    not_taken_reason: str
    late: bool
    site_spot: str


class CalendarDay(NamedTuple):
    day: date
    state: str  # adherence.DAY_STATES, or "outside" for days outside the range
    doses: tuple[CalendarDose, ...]


@dataclass
class PatientOverview:
    patient: Patient
    today: date
    range: DateRange
    summary: PanelRow
    weeks: list[list[CalendarDay]]  # Monday-first weeks covering the range
    weekly: list[adherence.WeekBar]
    side_effects: list[SideEffect]
    zone_counts: list[tuple[sites.Zone, int]]
    supply_events: list[SupplyEvent]
    regimens: list[Regimen]
    labs: list[LabTest]
    medicines: list[OtherMedicine]

    @property
    def calendar_days(self) -> list[CalendarDay]:
        return [d for week in self.weeks for d in week if d.state != "outside"]


def patient_summary(patient: Patient, now: datetime, stored: PatientAdherenceSummary | None) -> PanelRow:
    """The panel's row for one patient: its `stored` summary while that is current, else
    computed at `now` by the same function that fills the summary rows."""
    summary = stored
    if summary is None or not summary.is_current(now):
        summary = compute_adherence_summaries([patient], now)[patient.pk]
    return _row_from_summary(patient, summary)


def patient_overview(patient: Patient, date_range: DateRange, *, now: datetime | None = None) -> PatientOverview:
    """Everything the patient page shows, in a fixed number of queries whatever the range."""
    now = now or timezone.now()
    zone = patient.zone
    first_monday = date_range.start - timedelta(days=date_range.start.weekday())
    week_count = (date_range.end - first_monday).days // 7 + 1
    range_from, range_to = date_range.bounds(zone)
    found = _page_rows(patient, date_range.start, date_range.end, range_from, range_to)
    status_labels = dict(SlotStatus.choices)
    reason_labels = dict(NotTakenReason.choices)
    is_late, slot_fact = adherence.is_late, adherence.SlotFact
    doses = []
    for scheduled_text, status, local_date, taken_text, reason, spot in found["dose"]:  # one pass over the doses
        scheduled_at, taken_at = _moment(scheduled_text), _moment(taken_text)
        doses.append(
            CalendarDose(
                scheduled_at.astimezone(zone),
                status,
                date.fromisoformat(local_date),
                taken_at.astimezone(zone) if taken_at else None,
                status_labels.get(status, status),
                reason_labels.get(reason, reason),
                is_late(slot_fact(scheduled_at, status, None, taken_at)),
                spot or "",
            )
        )
    # By the moment (not the wall time: two doses in the hour a clock goes back share wall times).
    doses.sort(key=lambda dose: dose.scheduled_at.timestamp())
    by_day: dict[date, list[CalendarDose]] = {}
    for dose in doses:
        same_day = by_day.get(dose.local_date)
        if same_day is None:
            by_day[dose.local_date] = [dose]
        else:
            same_day.append(dose)
    weeks = []
    day_state = adherence.day_state
    outside = ()
    day = first_monday
    one_day = timedelta(days=1)
    first, last = date_range.start, date_range.end
    for _w in range(week_count):
        week = []
        for _d in range(7):
            if day < first or day > last:
                week.append(CalendarDay(day, "outside", outside))
            else:
                same_day = by_day.get(day)
                if same_day is None:
                    week.append(CalendarDay(day, "none", outside))  # day_state of no doses
                else:
                    week.append(CalendarDay(day, day_state(same_day), tuple(same_day)))
            day += one_day
        weeks.append(week)
    weekly = adherence.weekly_adherence(
        doses,  # the range's own days: the doses read
        first_monday=first_monday,
        weeks=week_count,
        now=now,
    )
    records = _page_records(found, patient)
    per_zone: dict[str, int] = defaultdict(int)
    for spot, n in records["spot"]:
        try:
            per_zone[sites.zone_of(spot).code] += n
        except ValueError:
            per_zone["unknown"] += n
    return PatientOverview(
        patient=patient,
        today=patient.local_today(now),
        range=date_range,
        summary=patient_summary(patient, now, _stored_summary(found["summary"])),
        weeks=weeks,
        weekly=weekly,
        side_effects=records["side_effect"],
        zone_counts=[(z, per_zone.get(z.code, 0)) for z in sites.ZONES],
        supply_events=records["supply"],
        regimens=records["regimen"],
        labs=records["lab"],
        medicines=records["medicine"],
    )


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


_UTC = zoneinfo.ZoneInfo("UTC")


def _moment(text: str | None) -> datetime | None:
    """A stored moment read back from JSON: PostgreSQL writes an offset, SQLite naive UTC."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_UTC)


def _decimal(text: str | None, places: Decimal) -> Decimal | None:
    """A decimal column cast to text (a JSON number would lose "1.50"), with its places."""
    return None if text is None else Decimal(text).quantize(places)


# JSON constructors: PostgreSQL 15 has no standard JSON_ARRAY / JSON_ARRAYAGG (16 does); SQLite's are named so.
_JSON_FUNCTIONS = {
    "postgresql": ("json_build_array", "json_agg"),
    "sqlite": ("json_array", "json_group_array"),
}
_PAGE_SECTIONS = ("summary", "dose", "side_effect", "spot", "supply", "lab", "medicine", "regimen")


@functools.cache  # a constant: the text depends only on the models and the database's dialect
def _page_statement(vendor: str) -> str:
    """The SQL of `_page_rows`, with a %s placeholder for every value."""
    ops = connection.ops
    qn = ops.quote_name
    json_array, json_agg = _JSON_FUNCTIONS.get(vendor, ("JSON_ARRAY", "JSON_ARRAYAGG"))

    def col(model, name: str) -> str:
        return f"{qn(model._meta.db_table)}.{qn(model._meta.get_field(name).column)}"

    def text(model, name: str) -> str:
        return f"CAST({col(model, name)} AS TEXT)"

    def select(section: str, values: list[str], rest: str) -> str:
        return f"SELECT '{section}', CAST({json_agg}({json_array}({', '.join(values)})) AS TEXT) FROM {rest}"

    def table(model) -> str:
        return qn(model._meta.db_table)

    def every(model) -> list[str]:
        """All the model's columns, in its fields' order (`_instances` reads them back)."""
        return [
            text(model, f.name) if f.get_internal_type() == "DecimalField" else col(model, f.name)
            for f in model._meta.concrete_fields
        ]

    return " UNION ALL ".join(
        [
            select(
                "summary",
                every(PatientAdherenceSummary),
                f"{table(PatientAdherenceSummary)} WHERE {col(PatientAdherenceSummary, 'patient')} = %s",
            ),
            select(
                "dose",
                [
                    col(DoseSlot, "scheduled_at"),
                    col(DoseSlot, "status"),
                    col(DoseSlot, "local_date"),
                    col(Injection, "taken_at"),
                    col(DoseSlot, "not_taken_reason"),
                    col(Injection, "site_spot"),
                ],
                # An injection is its slot's patient's (services.record_injection sets it from the slot);
                # saying so lets PostgreSQL hash-join the patient's injections rather than probe the
                # index once per dose.
                f"{table(DoseSlot)} LEFT OUTER JOIN {table(Injection)}"
                f" ON {col(Injection, 'slot')} = {col(DoseSlot, 'id')}"
                f" AND {col(Injection, 'patient')} = {col(DoseSlot, 'patient')}"
                f" WHERE {col(DoseSlot, 'patient')} = %s"
                f" AND {col(DoseSlot, 'local_date')} >= %s AND {col(DoseSlot, 'local_date')} <= %s",
            ),
            select(
                "side_effect",
                every(SideEffect),
                f"{table(SideEffect)} WHERE {col(SideEffect, 'patient')} = %s"
                f" AND {col(SideEffect, 'started_on')} <= %s"
                f" AND ({col(SideEffect, 'resolved_at')} IS NULL OR {col(SideEffect, 'resolved_at')} >= %s)",
            ),
            select(
                "spot",
                ["spot", "n"],
                f"(SELECT {col(Injection, 'site_spot')} AS spot, COUNT(*) AS n FROM {table(Injection)}"
                f" WHERE {col(Injection, 'patient')} = %s"
                f" AND {col(Injection, 'taken_at')} >= %s AND {col(Injection, 'taken_at')} < %s"
                f" GROUP BY {col(Injection, 'site_spot')}) spots",
            ),
            select(
                "supply",
                every(SupplyEvent),
                f"{table(SupplyEvent)} WHERE {col(SupplyEvent, 'patient')} = %s"
                f" AND {col(SupplyEvent, 'occurred_at')} >= %s AND {col(SupplyEvent, 'occurred_at')} < %s"
                f" AND {col(SupplyEvent, 'kind')} <> %s",
            ),
            select(
                "lab",
                every(LabTest),
                f"{table(LabTest)} WHERE {col(LabTest, 'patient')} = %s",
            ),
            select(
                "medicine",
                every(OtherMedicine),
                f"{table(OtherMedicine)} WHERE {col(OtherMedicine, 'patient')} = %s",
            ),
            select(
                "regimen",
                every(Regimen) + [col(User, "full_name"), col(User, "email")],  # the confirming clinician
                f"{table(Regimen)} LEFT OUTER JOIN {table(User)} ON {col(Regimen, 'confirmed_by')} = {col(User, 'id')}"
                f" WHERE {col(Regimen, 'patient')} = %s",
            ),
        ]
    )


def _page_rows(
    patient: Patient, first_day: date, last_day: date, range_from: datetime, range_to: datetime
) -> dict[str, list[list]]:
    """Every row the patient page reads about one patient, in ONE parametrised statement.

    The patient's stored summary row (the panel's measures); the doses of the calendar's
    days `first_day`..`last_day` (with their injection, if any); the side effects open
    during [range_from, range_to); the injections per site spot, pick-ups and corrections
    in it; all lab tests, other medicines and regimen versions. A UNION ALL of one SELECT
    per section, each section's rows aggregated into one JSON array of arrays (dates and
    moments come back in ISO 8601 whatever the server's settings; decimals as text so
    "1.50" keeps its places). Written out here rather than built by the ORM: compiling
    the same querysets cost the page several times what running them does (issue 6).
    Table and column names come from the models, and every value is a bound parameter,
    adapted as the ORM adapts it (the text is built once: `_page_statement`). Returns
    {section: [row, ...]}, each row a list in the order of that section's columns in
    `_page_statement`; a section's rows are in no particular order.
    """
    ops = connection.ops
    day, moment = ops.adapt_datefield_value, ops.adapt_datetimefield_value
    pid = patient.pk
    statement = _page_statement(connection.vendor)
    params = [  # in the order of the statement's placeholders
        pid,  # summary
        *(pid, day(first_day), day(last_day)),  # dose
        *(pid, day(last_day), moment(range_from)),  # side_effect
        *(pid, moment(range_from), moment(range_to)),  # spot
        *(pid, moment(range_from), moment(range_to), SupplyEvent.Kind.DOSE.value),  # supply
        pid,  # lab
        pid,  # medicine
        pid,  # regimen
    ]
    found: dict[str, list[list]] = {section: [] for section in _PAGE_SECTIONS}
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for section, rows in cursor.fetchall():
            if rows is not None:  # PostgreSQL aggregates no rows to NULL, SQLite to []
                found[section] = json.loads(rows)
    return found


_AS_READ = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "CharField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _json_converter(field):
    """How a column of `field` read back from `_page_rows`' JSON becomes its Python value."""
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return _moment
    if kind == "DateField":
        return _date
    if kind == "BooleanField":
        return bool  # SQLite writes 0 and 1
    if kind == "DecimalField":
        places = Decimal(1).scaleb(-field.decimal_places)
        return lambda text: _decimal(text, places)
    if kind == "JSONField":
        return lambda value: json.loads(value) if isinstance(value, str) else value  # SQLite: JSON kept as text
    if kind in _AS_READ:
        return None  # as read
    raise TypeError(f"No JSON reading for {field!r} ({kind}); add one to _json_converter.")


@functools.cache
def _json_converters(model) -> tuple:
    return tuple(_json_converter(f) for f in model._meta.concrete_fields)


def _instances(model, rows: list[list]) -> list:
    """Rows of all `model`'s columns from `_page_rows`, as the ORM builds them (`from_db`)."""
    converters = _json_converters(model)
    names = [f.attname for f in model._meta.concrete_fields]
    width = len(names)
    alias = connection.alias
    return [
        model.from_db(
            alias,
            names,
            [
                value if convert is None or value is None else convert(value)
                for convert, value in zip(converters, row[:width], strict=True)
            ],
        )
        for row in rows
    ]


def _stored_summary(rows: list[list]) -> PatientAdherenceSummary | None:
    """The stored summary row from `_page_rows`, as the ORM builds it."""
    return _instances(PatientAdherenceSummary, rows)[0] if rows else None


def _page_records(found: dict[str, list[list]], patient: Patient) -> dict:
    """The page's short lists from `_page_rows` as model instances, in the order
    separate queries would give."""
    effects = _instances(SideEffect, found["side_effect"])
    events = _instances(SupplyEvent, found["supply"])
    lab_tests = _instances(LabTest, found["lab"])
    others = _instances(OtherMedicine, found["medicine"])
    versions = _instances(Regimen, found["regimen"])
    width = len(Regimen._meta.concrete_fields)
    for regimen, row in zip(versions, found["regimen"], strict=True):
        if regimen.confirmed_by_id is not None:  # the confirming clinician's name, read with the regimen
            full_name, email = row[width:]
            regimen.confirmed_by = User(id=regimen.confirmed_by_id, full_name=full_name, email=email)
    versions.sort(key=lambda r: r.version, reverse=True)
    effects.sort(key=lambda e: (e.started_on, e.pk))
    events.sort(key=lambda e: (e.occurred_at, e.pk), reverse=True)
    lab_tests.sort(key=lambda lab: (lab.due_on, lab.pk))
    # Current medicines last, as ORDER BY stopped_on, name put them on PostgreSQL.
    others.sort(key=lambda m: (m.stopped_on is None, m.stopped_on or date.min, m.name))
    return {
        "side_effect": effects,
        "spot": [(spot, n) for spot, n in found["spot"]],
        "supply": events,
        "lab": lab_tests,
        "medicine": others,
        "regimen": versions,
    }


def export_doses(patient: Patient, date_range: DateRange, *, now: datetime | None = None) -> QuerySet[DoseSlot]:
    """Doses in the range that are due by now (pending future doses are not a record yet)."""
    now = now or timezone.now()
    return (
        DoseSlot.objects.filter(
            patient=patient, local_date__gte=date_range.start, local_date__lte=date_range.end, scheduled_at__lte=now
        )
        .select_related("injection", "regimen")
        .order_by("scheduled_at")
    )


def export_side_effects(patient: Patient, date_range: DateRange) -> QuerySet[SideEffect]:
    range_from, _ = date_range.bounds(patient.zone)
    return (
        SideEffect.objects.filter(patient=patient, started_on__lte=date_range.end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=range_from))
        .order_by("started_on", "pk")
    )


# ---------------------------------------------------------------------------
# --- side effects, supply, fridge, medicines, vaccines, labs (records helper) ---
# ---------------------------------------------------------------------------


def side_effects_for_page(patient: Patient) -> tuple[list[SideEffect], list[SideEffect]]:
    """(open, resolved) symptoms, newest first; one query, whoever logged them joined in."""
    rows = list(
        SideEffect.objects.filter(patient=patient)
        .select_related("logged_by", "injection")
        .order_by("-started_on", "-logged_at")[:200]
    )
    return [r for r in rows if r.resolved_at is None], [r for r in rows if r.resolved_at is not None]


RECENT_INJECTIONS_DAYS = 14  # AE-ISR-DURATION: a site reaction is linked to a recent injection


def recent_injections(patient: Patient, now: datetime | None = None) -> QuerySet[Injection]:
    now = now or timezone.now()
    return Injection.objects.filter(
        patient=patient, taken_at__gte=now - timedelta(days=RECENT_INJECTIONS_DAYS)
    ).order_by("-taken_at")


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
    needs_count = rules.count_needed(
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
    days = rules.days_of_supply(
        on_hand,
        dose_mg=regimen.dose_per_administration_mg,
        administrations_per_day=regimen.administrations_per_day,
        interval_days=regimen.interval_days,
    )
    per_dose = rules.syringes_per_dose(regimen.dose_per_administration_mg)
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
    status: str  # "done", "overdue", "due" (within 14 days) or "later"


LAB_DUE_SOON_DAYS = 14


def lab_tests_for_page(patient: Patient, today: date) -> list[LabRow]:
    """AE-LABS: the scheduled neutrophil counts with their state, in due-date order."""
    rows = []
    for test in LabTest.objects.filter(patient=patient).select_related("recorded_by").order_by("due_on", "label"):
        if test.done_on:
            status = "done"
        elif test.due_on < today:
            status = "overdue"
        elif test.due_on <= today + timedelta(days=LAB_DUE_SOON_DAYS):
            status = "due"
        else:
            status = "later"
        rows.append(LabRow(test, status))
    return rows
