"""The one home of dose timing: windows, which dose a moment counts for, spacing, materialising.

Everything that asks "when can this dose be logged, when is it missed, which dose does this
moment count for" asks this module: Today (selectors), the log form and view, the services
(record_injection, record_not_taken), the missed-dose and escalation jobs and the
relevance of a reminder (reminders/), and the calendar feed. The rules themselves are the
pure functions of doses/rules/dose_timing.py; this module feeds them the right neighbours.

- A dose's *window* (dose_timing.dose_window, MISS-NODOUBLE / MISS-SKIP) comes from the scheduled
  times of the regimen versions in force around it (the rules, not only stored rows), plus
  the slot itself: it opens DOSE_LOG_EARLY_HOURS before the dose (never before the previous
  dose's cut-off) and closes at its MISS-SKIP cut-off. Between windows lie moments that
  count for no dose.
- *Spacing* (dose_timing.minimum_gap, MISS-NODOUBLE): never two injections closer than the skip
  span, whichever way round they are logged.
- *Materialising* (`materialise`): the one function every materialiser calls, and
  `new_slot`, the one place a DoseSlot object is built.

All moments here are aware; windows are in UTC. Messages name the patient's local time
(SCHED-TZ) and the rule ID.
"""

from __future__ import annotations

import bisect
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from companion.models import Patient
from doses.rules import dose_timing

from . import record_version
from .models import DoseSlot, Injection, Regimen, SlotStatus, TreatmentHold

# A slot's neighbours come from the scheduled times this many local days either side of it:
# every other day (SCHED-RENAL) puts them two days away, and a zone can shift a day.
NEIGHBOUR_DAYS = 3


def skip_within_hours() -> float:
    """MISS-SKIP: the configured "almost time for the next dose" cut-off, in hours."""
    return float(settings.MISSED_DOSE_SKIP_WITHIN_HOURS)


def log_early_hours() -> float:
    """MISS-NODOUBLE: how long before it is due a dose can be logged (DOSE_LOG_EARLY_HOURS)."""
    return float(settings.DOSE_LOG_EARLY_HOURS)


def hours_text(hours: float) -> str:
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


def local_when(moment: datetime, today: date, zone: zoneinfo.ZoneInfo) -> str:
    """'08:00 today', '20:00 yesterday', '08:00 tomorrow' or 'Wed 25 Nov 08:00' (SCHED-TZ)."""
    local = moment.astimezone(zone)
    days = (local.date() - today).days
    named = {0: "today", -1: "yesterday", 1: "tomorrow"}.get(days)
    return f"{local:%H:%M} {named}" if named else f"{local:%a %d %b %H:%M}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# ---------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """When one scheduled dose can be logged and when it is missed (all in UTC)."""

    scheduled_at: datetime
    previous_at: datetime | None  # the scheduled dose before it, from the rules
    next_at: datetime  # the scheduled dose after it (MISS-SKIP counts back from here)
    window: dose_timing.DoseWindow

    @property
    def opens_at(self) -> datetime:
        return self.window.opens_at

    @property
    def closes_at(self) -> datetime:
        return self.window.closes_at


class RuleTimes:
    """The scheduled times of some regimen versions of one patient, by local day (SCHED-TZ).

    Times are computed in Python from the versions (no query) and remembered per day, so a
    page or a job asks for as many windows as it likes at no extra cost.
    """

    def __init__(self, zone: zoneinfo.ZoneInfo, regimens: Iterable[Regimen]):
        self.zone = zone
        self.regimens = list(regimens)
        self.interval_of = {regimen.pk: regimen.interval_days for regimen in self.regimens}
        self._by_day: dict[date, list[datetime]] = {}

    def around(self, day: date) -> list[datetime]:
        """Every scheduled time (UTC, sorted) NEIGHBOUR_DAYS local days either side of `day`."""
        found = self._by_day.get(day)
        if found is None:
            span = timedelta(days=NEIGHBOUR_DAYS)
            times: set[datetime] = set()
            for version in self.regimens:
                times.update(_utc(m) for m in version.slot_datetimes(day - span, day + span))
            found = self._by_day[day] = sorted(times)
        return found

    def timing(self, scheduled_at: datetime, regimen_id: int | None = None) -> Timing:
        """MISS-NODOUBLE / MISS-SKIP: the window of the dose at `scheduled_at`.

        The neighbours are the rule times around it and the dose itself (a stored dose that
        the rules no longer give, such as a taken dose of a replaced version, keeps a window).
        """
        at = _utc(scheduled_at)
        times = self.around(at.astimezone(self.zone).date())
        index = bisect.bisect_left(times, at)
        present = index < len(times) and times[index] == at
        previous = times[index - 1] if index > 0 else None
        after = index + 1 if present else index
        if after < len(times):
            following = times[after]
        else:
            following = at + timedelta(days=self.interval_of.get(regimen_id, 1))
        window = dose_timing.dose_window(
            at,
            following,
            previous,
            timedelta(hours=skip_within_hours()),
            timedelta(hours=log_early_hours()),
        )
        return Timing(scheduled_at=at, previous_at=previous, next_at=following, window=window)


def first_dose_at(regimen: Regimen, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first dose of a version at local clock time `at` (SCHED-TZ): where its series starts."""
    return dose_timing.local_slot(regimen.starts_on, at, zone)


def log_early_text() -> str:
    """MISS-NODOUBLE, in words: how early a dose can be logged."""
    return f"A dose can be logged from {hours_text(log_early_hours())} before it is due (MISS-NODOUBLE)."


def _versions_overlapping(first_day: date, last_day: date) -> Q:
    return Q(starts_on__lte=last_day + timedelta(days=NEIGHBOUR_DAYS)) & (
        Q(ends_on__isnull=True) | Q(ends_on__gt=first_day - timedelta(days=NEIGHBOUR_DAYS))
    )


# ---------------------------------------------------------------------------
# One patient's timeline: windows, which dose a moment counts for, spacing
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LogSpan:
    """When one dose can be logged: its window narrowed by the injections either side of it."""

    slot: DoseSlot
    timing: Timing
    log_from: datetime  # dose_timing.earliest_log_at: window opening, or the minimum gap after the last injection
    log_until: datetime  # exclusive: the window's close, or the minimum gap before a later injection
    previous_injection: Injection | None
    next_injection: Injection | None

    @property
    def window(self) -> dose_timing.DoseWindow:
        return self.timing.window

    def allows(self, moment: datetime) -> bool:
        return self.log_from <= moment < self.log_until


@dataclass(frozen=True)
class Decision:
    """What logging an injection at a moment would do: count for `slot`, or be refused."""

    moment: datetime
    slot: DoseSlot | None  # the dose the moment counts for (None: between two windows)
    accepted: bool
    rule_id: str = ""
    reason: str = ""  # the refusal, for the person logging (empty when accepted)
    log_from: datetime | None = None  # when the refused dose (or the next one) can be logged


def injection_of(slot: DoseSlot) -> Injection | None:
    """The injection logged for a dose, if any (read with the timeline's select_related)."""
    return _injection_of(slot)


def _injection_of(slot: DoseSlot) -> Injection | None:
    # select_related("injection") caches a missing row as None; the reverse accessor then
    # raises RelatedObjectDoesNotExist, an AttributeError.
    return getattr(slot, "injection", None)


class Timeline:
    """One patient's doses around a span of time, with their windows and injections.

    Two queries whatever the history: the regimen versions in force around the span and
    the stored slots (with their injections) a few days either side of it.
    """

    def __init__(self, patient: Patient, regimens: list[Regimen], slots: list[DoseSlot]):
        self.patient = patient
        self.zone = patient.zone
        for version in regimens:
            version.patient = patient  # slot_datetimes needs the zone; no query per version
        self.rule_times = RuleTimes(self.zone, regimens)
        self.regimens = regimens
        self.slots = sorted(slots, key=lambda s: s.scheduled_at)
        self._at = [_utc(s.scheduled_at) for s in self.slots]
        self._timings: dict[int, Timing] = {}

    @property
    def current_regimen(self) -> Regimen | None:
        return next((version for version in self.regimens if version.ends_on is None), None)

    def slot(self, slot_id: int) -> DoseSlot | None:
        return next((s for s in self.slots if s.pk == slot_id), None)

    def timing(self, slot: DoseSlot) -> Timing:
        key = slot.pk
        found = self._timings.get(key)
        if found is None or found.scheduled_at != _utc(slot.scheduled_at):
            found = self._timings[key] = self.rule_times.timing(slot.scheduled_at, slot.regimen_id)
        return found

    def window(self, slot: DoseSlot) -> dose_timing.DoseWindow:
        return self.timing(slot).window

    def _neighbour_injection(self, slot: DoseSlot, step: int) -> tuple[DoseSlot, Injection] | None:
        """The nearest accepted injection of another dose before (step -1) or after (+1) `slot`.

        Windows never overlap, so injections come in the order of their doses.
        """
        index = bisect.bisect_left(self._at, _utc(slot.scheduled_at)) + (step if step < 0 else 0)
        while 0 <= index < len(self.slots):
            other = self.slots[index]
            if other.pk != slot.pk:
                injection = _injection_of(other)
                if injection is not None:
                    return other, injection
            index += step
        return None

    def log_span(self, slot: DoseSlot) -> LogSpan:
        """MISS-NODOUBLE: when `slot` can be logged, window and spacing together."""
        timing = self.timing(slot)
        hours = skip_within_hours()
        before = self._neighbour_injection(slot, -1)
        after = self._neighbour_injection(slot, +1)
        log_from = timing.opens_at
        if before is not None:
            gap = dose_timing.minimum_gap(before[0].scheduled_at, slot.scheduled_at, hours)
            log_from = dose_timing.earliest_log_at(timing.window, before[1].taken_at, gap)
        log_until = timing.closes_at
        if after is not None:
            gap = dose_timing.minimum_gap(slot.scheduled_at, after[0].scheduled_at, hours)
            log_until = min(log_until, dose_timing.latest_log_before(after[1].taken_at, gap))
        return LogSpan(slot, timing, log_from, log_until, before[1] if before else None, after[1] if after else None)

    def slot_for_time(self, moment: datetime) -> DoseSlot | None:
        """MISS-NODOUBLE: the stored dose whose window contains `moment`, if any (at most one)."""
        at = _utc(moment)
        span = timedelta(days=NEIGHBOUR_DAYS)
        nearby = self.slots[bisect.bisect_left(self._at, at - span) : bisect.bisect_right(self._at, at + span)]
        # Nearest first: the window holding a moment belongs to a dose within a few days of it.
        for candidate in sorted(nearby, key=lambda s: abs(s.scheduled_at - at)):
            if at in self.window(candidate):
                return candidate
        return None

    def next_slot_after(self, moment: datetime) -> DoseSlot | None:
        """The first stored dose whose window opens after `moment`."""
        at = _utc(moment)
        for slot in self.slots[bisect.bisect_left(self._at, at - timedelta(days=2)) :]:
            if self.window(slot).opens_at > at:
                return slot
        return None

    def dose_due(self, moment: datetime) -> DoseSlot | None:
        """The dose due at `moment`: the one whose window holds it, else (between two windows) the last
        one whose window has closed, until the next one opens.

        "Done for today" on the log page asks this, so it is about the dose due, not the calendar
        day: on an every-other-day regimen (SCHED-RENAL) the day between two doses belongs to the
        last one, and a daily dose logged stays done after its cut-off (MISS-NODOUBLE).
        """
        return self.slot_for_time(moment) or self.previous_slot_before(moment)

    def previous_slot_before(self, moment: datetime) -> DoseSlot | None:
        """The last stored dose whose window closed at or before `moment`."""
        at = _utc(moment)
        found = None
        for slot in self.slots[: bisect.bisect_right(self._at, at)]:
            if self.window(slot).closes_at <= at:
                found = slot
        return found

    # --- decisions -------------------------------------------------------------

    def _when(self, moment: datetime, now: datetime) -> str:
        return local_when(moment, self.patient.local_today(now), self.zone)

    def _taken_detail(self, slot: DoseSlot, now: datetime) -> str:
        """When the dose already logged was taken, and by whom it was logged (MISS-NODOUBLE)."""
        injection = _injection_of(slot)
        if injection is None:
            return ""
        who = injection.logged_by.display_name if injection.logged_by else "someone"
        return f" It was taken at {self._when(injection.taken_at, now)}, logged by {who}."

    def decide(self, moment: datetime, *, now: datetime | None = None, slot: DoseSlot | None = None) -> Decision:
        """Would an injection at `moment` be accepted, and for which dose? Why not?

        `slot`: the dose the caller means (the service re-checks the form's choice under its
        lock); a moment outside that dose's window is refused even if it fits another one.
        """
        now = now or timezone.now()
        found = self.slot_for_time(moment)
        if slot is not None and (found is None or found.pk != slot.pk):
            window = self.window(slot)
            return Decision(
                moment,
                slot,
                False,
                "MISS-SKIP",
                f"That time is outside this dose's window ({self._when(window.opens_at, now)} to "
                f"{self._when(window.closes_at, now)}): one dose per window (MISS-NODOUBLE, MISS-SKIP).",
                window.opens_at,
            )
        if found is None:
            return self._between_windows(moment, now)
        if slot is not None:
            found = slot  # the caller's (locked) row is the authority on its status
        if found.status == SlotStatus.TAKEN:
            return Decision(
                moment,
                found,
                False,
                "MISS-NODOUBLE",
                f"The dose due {self._when(found.scheduled_at, now)} is already logged.{self._taken_detail(found, now)} "
                "Never take a double dose to make up for a missed one (MISS-NODOUBLE).",
            )
        span = self.log_span(found)
        if moment < span.log_from:
            last = span.previous_injection
            return Decision(
                moment,
                found,
                False,
                "MISS-NODOUBLE",
                f"Your last injection was at {self._when(last.taken_at, now)}; the next one can be logged from "
                f"{self._when(span.log_from, now)}, "
                f"{hours_text((span.log_from - _utc(last.taken_at)).total_seconds() / 3600)} later: never two "
                "doses close together (MISS-NODOUBLE, MISS-SKIP).",
                span.log_from,
            )
        if moment >= span.log_until:
            later = span.next_injection
            gap = _utc(later.taken_at) - span.log_until
            return Decision(
                moment,
                found,
                False,
                "MISS-NODOUBLE",
                f"The next injection was logged at {self._when(later.taken_at, now)}; a dose before it must be at "
                f"least {hours_text(gap.total_seconds() / 3600)} earlier, before "
                f"{self._when(span.log_until, now)} (MISS-NODOUBLE, MISS-SKIP).",
                span.log_from,
            )
        return Decision(moment, found, True, log_from=span.log_from)

    def _between_windows(self, moment: datetime, now: datetime) -> Decision:
        """MISS-NODOUBLE / MISS-SKIP: a moment after one dose's cut-off and before the next one opens."""
        previous = self.previous_slot_before(moment)
        following = self.next_slot_after(moment)
        if previous is None and following is None:
            return Decision(
                moment,
                None,
                False,
                "MISS-NODOUBLE",
                "No dose is scheduled around that time, so it cannot be logged. Check the date and time.",
            )
        parts = [f"No dose can be logged at {self._when(moment, now)} (MISS-NODOUBLE)."]
        rule_id = "MISS-NODOUBLE"
        if previous is not None and previous.status in (SlotStatus.PENDING, SlotStatus.MISSED):
            rule_id = "MISS-SKIP"
            parts.append(
                f"The dose due {self._when(previous.scheduled_at, now)} is past its cut-off "
                f"({self._when(self.window(previous).closes_at, now)}), so skip it and keep to your schedule "
                "(MISS-SKIP)."
            )
        log_from = None
        if following is not None:
            log_from = self.log_span(following).log_from
            parts.append(
                f"The next dose, due {self._when(following.scheduled_at, now)}, can be logged from "
                f"{self._when(log_from, now)}."
            )
        return Decision(moment, None, False, rule_id, " ".join(parts), log_from)


def timeline(
    patient: Patient, start: datetime, end: datetime | None = None, *, related: Iterable[str] = (), lock: bool = False
) -> Timeline:
    """The patient's doses from `start` to `end` (a few days either side): two queries.

    `related`: extra select_related paths the caller's page shows.
    `lock`: the slot rows are locked for the caller's transaction (the service logging a dose,
    after the patient row: the order every writer takes), so the decision it makes on them
    (MISS-NODOUBLE) holds until it commits.
    """
    end = end or start
    zone = patient.zone
    first_day, last_day = start.astimezone(zone).date(), end.astimezone(zone).date()
    # The versions around every loaded slot (slots reach NEIGHBOUR_DAYS beyond the span, and
    # each slot's neighbours NEIGHBOUR_DAYS beyond that), so every window here is the one
    # window_for_slot gives.
    reach = timedelta(days=NEIGHBOUR_DAYS)
    regimens = list(Regimen.objects.filter(_versions_overlapping(first_day - reach, last_day + reach), patient=patient))
    span = timedelta(days=NEIGHBOUR_DAYS)
    slots = DoseSlot.objects.filter(patient=patient, scheduled_at__gte=start - span, scheduled_at__lte=end + span)
    if lock:
        slots = slots.select_for_update(of=("self",))
    # Who logged a dose is part of the refusal of a second one (MISS-NODOUBLE).
    slots = list(slots.select_related("injection__logged_by", *related).order_by("scheduled_at"))
    for slot in slots:
        slot.patient = patient  # the caller's instance: slot.patient reads no row again
    return Timeline(patient, regimens, slots)


def timeline_of(slot: DoseSlot) -> Timeline:
    return timeline(slot.patient, slot.scheduled_at)


def window_for_slot(slot: DoseSlot) -> dose_timing.DoseWindow:
    """MISS-NODOUBLE / MISS-SKIP: the window of one slot (one query: the versions around it)."""
    regimens = Regimen.objects.filter(
        _versions_overlapping(slot.local_date, slot.local_date), patient_id=slot.patient_id
    ).select_related("patient")
    versions = list(regimens)
    zone = versions[0].patient.zone if versions else slot.patient.zone
    return RuleTimes(zone, versions).timing(slot.scheduled_at, slot.regimen_id).window


def slot_for_time(*, patient: Patient, moment: datetime) -> DoseSlot | None:
    """MISS-NODOUBLE: the stored dose whose window contains `moment`, if any."""
    return timeline(patient, moment).slot_for_time(moment)




# ---------------------------------------------------------------------------
# The jobs: windows for many patients at once (a fixed number of queries)
# ---------------------------------------------------------------------------


def windows_of(rows: Iterable[tuple[int, int, datetime, int]]) -> dict[int, dose_timing.DoseWindow]:
    """The window of every slot in `rows` (slot id, patient id, scheduled_at, regimen id).

    One query for all the patients' regimen versions; the rule times are computed in
    Python per patient and day, never one query per slot.
    """
    rows = list(rows)
    if not rows:
        return {}
    by_patient: dict[int, list[tuple[int, datetime, int]]] = defaultdict(list)
    for slot_id, patient_id, scheduled_at, regimen_id in rows:
        by_patient[patient_id].append((slot_id, scheduled_at, regimen_id))
    earliest = min(row[2] for row in rows) - timedelta(days=2)  # the widest zone offset is a day
    versions: dict[int, list[Regimen]] = defaultdict(list)
    zones: dict[int, zoneinfo.ZoneInfo] = {}
    for version in (
        Regimen.objects.filter(patient_id__in=list(by_patient))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=earliest.date() - timedelta(days=NEIGHBOUR_DAYS)))
        .select_related("patient")
    ):
        versions[version.patient_id].append(version)
        zones[version.patient_id] = version.patient.zone
    found = {}
    for patient_id, slots in by_patient.items():
        if patient_id not in zones:
            continue  # a slot without any regimen version cannot exist (cascade); nothing to say
        times = RuleTimes(zones[patient_id], versions[patient_id])
        for slot_id, scheduled_at, regimen_id in slots:
            found[slot_id] = times.timing(scheduled_at, regimen_id).window
    return found


def slots_past_cutoff(slots, now: datetime) -> list[int]:
    """MISS-SKIP: the slots of a queryset whose window has closed by `now` (the missed-dose job)."""
    rows = slots.values_list("id", "patient_id", "scheduled_at", "regimen_id")
    return [slot_id for slot_id, window in windows_of(rows).items() if now >= window.closes_at]


def slots_still_open(slots, now: datetime) -> list[int]:
    """The slots of a queryset whose window is still open at `now` (worth an escalation)."""
    rows = slots.values_list("id", "patient_id", "scheduled_at", "regimen_id")
    return [slot_id for slot_id, window in windows_of(rows).items() if now < window.closes_at]


# ---------------------------------------------------------------------------
# Materialising slots
# ---------------------------------------------------------------------------


def new_slot(regimen: Regimen, moment: datetime) -> DoseSlot:
    """The one place a DoseSlot object is built (a held day's status is set by materialise)."""
    return DoseSlot(
        patient_id=regimen.patient_id,
        regimen=regimen,
        scheduled_at=moment,
        local_date=moment.astimezone(regimen.patient.zone).date(),
        dose_mg=regimen.dose_per_administration_mg,
    )


@dataclass(frozen=True)
class Plan:
    """Materialise `regimen`'s doses between two local days (inclusive).

    `after`: only doses after this moment. `last_due`: SCHED-TZ travel: no dose less than
    half a dose interval after this one, already due (MISS-NODOUBLE).
    """

    regimen: Regimen
    from_day: date
    to_day: date
    after: datetime | None = None
    last_due: datetime | None = None


def materialise(plans: Iterable[Plan], *, patients=None, read_stored: bool = True) -> int:
    """Create the planned dose slots that do not exist yet. Idempotent; returns how many were due.

    MISS-NODOUBLE: a local day that already has a taken, missed or not-taken dose from
    another version (the day of a regimen change) keeps it and gets no slot from this one.
    One read of the stored slots for all plans; `read_stored=False` (the beat job, for every
    patient) reads only the closed ones and lets the unique (patient, time) constraint skip
    the rest. `patients`: the patients' ids as a queryset, for a bulk job.
    """
    plans = list(plans)
    if not plans:
        return 0
    if patients is None:
        patients = sorted({plan.regimen.patient_id for plan in plans})
    stored = DoseSlot.objects.filter(
        patient_id__in=patients,
        local_date__gte=min(plan.from_day for plan in plans),
        local_date__lte=max(plan.to_day for plan in plans),
    )
    if not read_stored:
        stored = stored.exclude(status=SlotStatus.PENDING)
    closed: dict[tuple[int, date], set[int]] = defaultdict(set)
    stored_times: set[tuple[int, datetime]] = set()
    for patient_id, local_date, scheduled_at, status, regimen_id in stored.values_list(
        "patient_id", "local_date", "scheduled_at", "status", "regimen_id"
    ):
        stored_times.add((patient_id, scheduled_at))
        if status != SlotStatus.PENDING:
            closed[(patient_id, local_date)].add(regimen_id)
    due: list[DoseSlot] = []
    for plan in plans:
        regimen = plan.regimen
        half_gap = timedelta(days=regimen.interval_days) / regimen.administrations_per_day / 2
        for moment in regimen.slot_datetimes(plan.from_day, plan.to_day):
            if plan.after is not None and moment <= plan.after:
                continue
            if plan.last_due is not None and moment - plan.last_due < half_gap:
                continue
            slot = new_slot(regimen, moment)
            if closed.get((regimen.patient_id, slot.local_date), set()) - {regimen.pk}:
                continue
            due.append(slot)
    missing = [slot for slot in due if (slot.patient_id, slot.scheduled_at) not in stored_times]
    if missing:
        _hold_what_open_holds_cover(missing)
        # ignore_conflicts: a second worker racing this one creates nothing new.
        DoseSlot.objects.bulk_create(missing, ignore_conflicts=True, batch_size=1000)
        # bulk_create sends no signal: a slot of a day already on a page (today) changes that page.
        soon = timezone.now() + timedelta(days=1)
        record_version.record_changed({slot.patient_id for slot in missing if slot.scheduled_at <= soon})
    return len(due)


def _hold_what_open_holds_cover(slots: list[DoseSlot]) -> None:
    """A new slot on a day an open hold covers is created HELD (AE-ALLERGY, AE-INFECTION, a
    clinician's hold): no reminder, never missed, not loggable. One query, only when slots are
    created; the same days as doses.services.holds.covering_hold (from starts_on to until)."""
    covered: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for patient_id, starts_on, until in (
        TreatmentHold.objects.open()
        .filter(patient_id__in={slot.patient_id for slot in slots})
        .values_list("patient_id", "starts_on", "until")
    ):
        covered[patient_id].append((starts_on, until))
    for slot in slots:
        if any(
            starts_on <= slot.local_date and (until is None or slot.local_date <= until)
            for starts_on, until in covered.get(slot.patient_id, ())
        ):
            slot.status = SlotStatus.HELD


def horizon(today: date) -> date:
    """The last local day whose doses exist ahead of `today` (SCHEDULE_HORIZON_DAYS): the
    materialisers, a regimen change, a time-zone move and the calendar feed all stop here."""
    return today + timedelta(days=settings.SCHEDULE_HORIZON_DAYS)


def upcoming_plan(regimen: Regimen, now: datetime | None = None) -> Plan:
    """From yesterday (so a late dose still shows) to the horizon."""
    today = regimen.patient.local_today(now)
    return Plan(regimen, today - timedelta(days=1), horizon(today))


def extend_all(now: datetime) -> int:
    """The beat job: every current regimen's doses from each patient's today to the horizon."""
    plans = []
    for regimen in Regimen.objects.current().select_related("patient"):
        today = regimen.patient.local_today(now)
        plans.append(Plan(regimen, today, horizon(today)))
    return materialise(plans, patients=Regimen.objects.current().values("patient_id"), read_stored=False)
