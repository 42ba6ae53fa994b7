"""The clinician panel: one stored summary row per patient, ranked, filtered and paged; the summaries' computation."""

from __future__ import annotations

import hashlib
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    F,
    FloatField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast, NullIf
from django.utils import timezone
from django.utils.functional import cached_property

from companion.models import CareMembership, CareRole, Indication, Patient
from doses.rules import kidney_function as kidney_rules
from doses.rules import lab_checks as neutrophil_rules

from .. import adherence, charts
from ..adherence import Ratio
from ..models import (
    DoseSlot,
    Injection,
    KidneyFunction,
    LabTest,
    MedicineCategory,
    OtherMedicine,
    PatientAdherenceSummary,
    Regimen,
    RegimenProposal,
    SideEffect,
    SupplyEvent,
    TreatmentHold,
)
from .kidney import latest_kidney_by_patient, latest_neutrophils_by_patient

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
    # A write since then is not in these figures yet: the worker refreshes the row within
    # seconds (services.summaries); the panel says "updating" beside them meanwhile.
    updating: bool = False
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
    page_size: int = PANEL_PAGE_SIZE,
) -> PanelResult:
    """One page of the clinician's panel, patients needing attention first by default.

    The panel is filtered, sorted and paginated in SQL over the patients' summary rows
    (PatientAdherenceSummary, computed by doses/adherence.py and refreshed after every
    write and by a periodic job), so the cost does not grow with the history. A read only:
    the caller first summarises whoever has no current row
    (services.summaries.refresh_expired_summaries), as the panel view does; a patient
    still without a row is left out. The counts come from one aggregate query
    (`_panel_counts`) and the page from a second. The number of queries does not depend
    on the number of patients.
    """
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
    ranked = base.filter(matching).select_related("adherence_summary")
    paginator = _CountedPaginator(_ordered(ranked, sort), page_size, count=counts["matching"])
    page = paginator.get_page(page_number)
    patients = [(p, _summary_of(p)) for p in page.object_list]
    rows = [_row_from_summary(p, summary) for p, summary in patients if summary is not None]
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
    indication filters keep (`in_base`), and those the age and flag filters keep as well
    (`matching`)."""

    counts = {"total": Count("pk")}
    if in_base:
        counts["in_base"] = Count("pk", filter=in_base)
    if in_base or matching:
        counts["matching"] = Count("pk", filter=in_base & matching)
    found = panel.order_by().aggregate(**counts)
    found.setdefault("in_base", found["total"])  # no search or indication filter: everyone
    found.setdefault("matching", found["in_base"])  # no filter at all: everyone
    return found


def panel_members_key(clinician) -> str:
    """Who is in the clinician's panel now, as a digest of the patients' ids (one query over
    the clinician's memberships): part of the panel's cache keys, so a circle changed in any
    way (a link accepted, a clinician removed, even by an update that sends no signal) is a
    new key on the next look. The access question is never answered from the cache."""
    if not getattr(clinician, "is_authenticated", False):
        return "nobody"
    ids = (
        CareMembership.objects.filter(user=clinician, role=CareRole.CLINICIAN, revoked_at__isnull=True)
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
        .distinct()
    )
    return hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=16).hexdigest()


def first_expiry(patients: QuerySet[Patient], *, stale_grace: timedelta) -> datetime | None:
    """The first moment a summary row of `patients` expires by time alone: its `valid_until`,
    or `stale_grace` after a write marked it stale (services.summaries.refresh_expired_summaries
    refreshes it then). None when no row can (an empty panel). One query."""
    found = patients.order_by().aggregate(
        valid_until=Min("adherence_summary__valid_until"), stale_since=Min("adherence_summary__stale_since")
    )
    moments = [found["valid_until"], found["stale_since"] and found["stale_since"] + stale_grace]
    return min((m for m in moments if m is not None), default=None)


def _summary_of(patient: Patient) -> PatientAdherenceSummary | None:
    try:
        return patient.adherence_summary
    except PatientAdherenceSummary.DoesNotExist:  # not summarised yet (added to the panel since the refresh)
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
        updating=summary.stale_since is not None,
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
    kidney = latest_kidney_by_patient(ids)  # SCHED-RENAL
    neutrophils = latest_neutrophils_by_patient(ids)  # AE-NEUTROPENIA
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
            renal_every_other_day=pk in kidney
            and kidney_rules.every_other_day_to_consider(
                kidney[pk][1],
                end_stage=kidney[pk][0] == KidneyFunction.Kind.END_STAGE,
                interval_days=current.interval_days if current else None,
            ),
            neutropenic=neutrophil_rules.is_neutropenic(neutrophils.get(pk)),
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
