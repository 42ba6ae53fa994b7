"""Clinician panel, patient page, exports (CSV, FHIR R4 Bundle) and the printable report.

The panel lists only patients who linked the signed-in person as their clinician;
anyone else signed in gets the same page with no rows (it reveals nothing, and a
clinician whose first patient has not linked them yet sees the same). Everything about
one patient starts with `patient_for(..., VIEW)`: the patient, a parent, a caregiver or
a clinician in the circle; everyone else gets a 404.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from companion.access import Capability, may_download_record, patient_for, role_can
from companion.models import Indication
from doses.rules import syringe_supply

from .. import charts, fhir, record_version
from ..forms.holds import HoldForm, ResumeForm, StopForm
from ..models import (
    InjectedBy,
    Injection,
    NotTakenReason,
    RegimenProposal,
    Severity,
    SlotStatus,
    TreatmentStop,
)
from ..presenters import records as record_presenters
from ..presenters.advice import rules_of
from ..selectors import adherence_abc, log_page, proposals
from ..selectors import exports as export_selectors
from ..selectors import panel as panel_selectors
from ..selectors import patient_page as patient_page_selectors
from ..selectors.holds import HoldHistory, hold_history, holds_overlapping
from ..services import summaries as summary_services
from .kidney import KidneySection
from .regimen import regimen_facts


@login_required
@require_GET
def panel(request):
    filters = panel_selectors.PanelFilters(
        q=request.GET.get("q", ""),
        flag=request.GET.get("flag", ""),
        indication=request.GET.get("indication", ""),
        age=request.GET.get("age", ""),
    )
    sort = request.GET.get("sort", "attention")
    sort = sort if sort in panel_selectors.PANEL_SORTS else "attention"
    page_number = request.GET.get("page") or 1
    # Selectors never write: whoever in the panel has no current summary row is summarised
    # first (usually nobody: writes and the 15-minute job keep them current), then the page is read.
    # Who is in the panel is read on every look (the access question is never cached).
    members_key = panel_selectors.panel_members_key(request.user)
    summary_services.refresh_expired_summaries_when_due(clinician=request.user, members_key=members_key)
    # The page's rows and counts are read only inside the template's cached fragment, keyed on
    # the panel's version (record_version.panel_current: new with every summary row written and
    # every profile saved) and on who is in it: a second look at an unchanged panel reads none of them.
    result = SimpleLazyObject(lambda: panel_selectors.panel_rows(request.user, filters, sort, page_number))
    keep = {
        k: v
        for k, v in {"q": filters.q, "flag": filters.flag, "indication": filters.indication, "age": filters.age}.items()
        if v
    }
    return render(
        request,
        "doses/dashboard/panel.html",
        {
            "result": result,
            # The rows are a hot partial (25 a page), drawn by Django's Jinja2 backend.
            "panel_rows_html": SimpleLazyObject(
                lambda: mark_safe(
                    render_to_string("doses/dashboard/_panel_rows.html", {"rows": result.rows}, using="jinja2")
                )
            ),
            "panel_version": record_version.panel_current(),
            "members_key": members_key,
            "page_number": str(page_number),  # as typed: {% cache %} hashes it into the key
            "fragment_seconds": record_version.FRAGMENT_SECONDS,
            "filters": filters,
            "sort": sort,
            "sort_label": panel_selectors.PANEL_SORTS[sort],
            "sorts": panel_selectors.PANEL_SORTS,
            "flags": panel_selectors.PANEL_FLAGS,
            "indications": Indication.choices,
            "filter_query": urlencode(keep),
            "page_query": urlencode({**keep, "sort": sort}),
            "pdc_days": panel_selectors.PDC_DAYS,
        },
    )


def _range_or_400(request, patient, template_context: dict):
    """The date range asked for, or a 400 page that says why and keeps what was typed."""
    try:
        return patient_page_selectors.parse_date_range(
            request.GET.get("start"), request.GET.get("end"), today=patient.local_today()
        ), None
    except patient_page_selectors.BadDateRange as error:
        context = {
            "patient": patient,
            "reason": str(error),
            "start": request.GET.get("start", "")[:20],
            "end": request.GET.get("end", "")[:20],
            **template_context,
        }
        return None, render(request, "doses/dashboard/bad_range.html", context, status=400)


def _range_query(date_range) -> str:
    return urlencode({"start": date_range.start.isoformat(), "end": date_range.end.isoformat()})


@dataclass(frozen=True)
class RecordFacts:
    """What the patient page needs to know of the record beside its fragments, kept in the
    cache under the record version (doses/record_version.py): plain values, no model
    instances (no account rows in the cache). A patient with no hold or stop, no open
    proposal and no dose above the prescription (most of them) costs no query for those
    sections on a second look; one with them reads them as before."""

    has_holds_or_stops: bool
    has_open_proposal: bool
    has_doses_above_prescribed: bool
    dose_times_today: tuple[datetime, ...]  # when today's doses are due (the weekly chart's cache key)


@dataclass(frozen=True)
class PageReads:
    facts: RecordFacts
    treatment: HoldHistory
    open_proposal: RegimenProposal | None
    above_prescribed: list[Injection]


NO_HOLDS = HoldHistory(open_hold=None, holds=[], stops=[], stopped=None)


class PatientPage:
    """What the patient page and the report draw about the record over a range.

    The record's parts (`records` and the charts made from it) are read only when a
    template asks for them, which it does only inside a `{% cache %}` fragment that is
    not cached yet: a page whose fragments are cached reads none of them. The fragments'
    key (`cache_key`) holds the patient's record version (doses/record_version.py, new on
    every write), the patient's today, the range and how many of today's doses have
    come due (the weekly chart counts a dose once its time has passed). What the page shows
    outside the fragments is known once per version too (`reads`: whether there are holds,
    an open proposal, doses above the prescription; `summary`: the stored summary row under
    the panel's version), so a second look costs the session, the account, the access
    check, the navigation and the audit row, and three cache reads (two more for the blank
    hold and stop forms a clinician sees).
    """

    def __init__(self, patient, date_range, *, now=None):
        self.patient = patient
        self.range = date_range
        self.now = now or timezone.now()
        self.today = patient.local_today(self.now)
        # Issue 16 (point 6): clinicians read rule IDs and "PDC"; the patient and the family read plain
        # words, with the IDs behind "Why?". The fragments differ, so their key says for whom.
        self.is_clinician = role_can(getattr(patient, "access_role", ""), Capability.CONFIRM)

    @cached_property
    def versions(self) -> tuple[str, str]:
        # Read before anything of the record: a write committing meanwhile gives newer ones.
        return record_version.current_and_panel(self.patient.pk)

    @cached_property
    def version(self) -> str:
        return self.versions[0]

    @cached_property
    def _facts_key(self) -> str:
        return ":".join(
            ["doses:patient-page-facts", str(self.patient.pk), self.version, self.today.isoformat()]
            + [self.range.start.isoformat(), self.range.end.isoformat()]
        )

    @cached_property
    def _summary_key(self) -> str:
        return f"doses:patient-page-summary:{self.patient.pk}:{self.versions[1]}"

    @cached_property
    def _cached(self) -> dict:
        """The page's facts and its summary row from the cache, in one read."""
        return caches[record_version.FRAGMENT_CACHE].get_many([self._facts_key, self._summary_key])

    @cached_property
    def summary(self) -> panel_selectors.PanelRow:
        """The panel's row for this patient (the summary cards and the attention list). Its
        stored summary row is kept in the cache under the panel's version, which every write
        to a summary row replaces (record_version.panel_current), and used while it is current;
        an expired one is computed afresh, as the panel would."""
        key = self._summary_key
        stored = self._cached.get(key)
        if stored is None or not stored.is_current(self.now):
            stored = patient_page_selectors.stored_summary(self.patient)
            if stored is None or not stored.is_current(self.now):
                return patient_page_selectors.patient_summary(self.patient, self.now)
            caches[record_version.FRAGMENT_CACHE].set(key, stored, timeout=record_version.FRAGMENT_SECONDS)
        return patient_page_selectors.summary_row(self.patient, stored)

    @cached_property
    def reads(self) -> PageReads:
        """The treatment history, the open proposal and the doses above the prescription:
        read when the record version's facts (RecordFacts) say there is something to read."""
        patient = self.patient
        key = self._facts_key
        facts = self._cached.get(key)
        if facts is None:
            treatment = hold_history(patient)
            proposal = proposals.open_proposal(patient)
            above = log_page.doses_above_prescribed(patient, self.range)  # AE-OVERDOSE
            facts = RecordFacts(
                has_holds_or_stops=bool(treatment.holds or treatment.stops),
                has_open_proposal=proposal is not None,
                has_doses_above_prescribed=bool(above),
                dose_times_today=self._dose_times_today(),
            )
            caches[record_version.FRAGMENT_CACHE].set(key, facts, timeout=record_version.FRAGMENT_SECONDS)
            return PageReads(facts, treatment, proposal, above)
        return PageReads(
            facts,
            hold_history(patient) if facts.has_holds_or_stops else NO_HOLDS,
            proposals.open_proposal(patient) if facts.has_open_proposal else None,
            log_page.doses_above_prescribed(patient, self.range) if facts.has_doses_above_prescribed else [],
        )

    def _dose_times_today(self) -> tuple[datetime, ...]:
        if self.range.end < self.today:
            return ()  # only today's doses come due with time: a range ending earlier has none
        # The range ends today (never later): today's doses are among the record's, read for the
        # fragment anyway when these facts are not cached (both are keyed on the record version).
        return tuple(
            dose.scheduled_at for day in self.records.calendar_days if day.day == self.today for dose in day.doses
        )

    @cached_property
    def cache_key(self) -> str:
        due_today = 0
        if self.range.end >= self.today:  # only today's doses come due with time; earlier ones have
            due_today = sum(1 for due_at in self.reads.facts.dose_times_today if due_at <= self.now)
        return ":".join(
            [
                str(self.patient.pk),
                self.version,
                self.today.isoformat(),
                self.range.start.isoformat(),
                self.range.end.isoformat(),
                str(due_today),
                "clinician" if self.is_clinician else "family",
            ]
        )

    @cached_property
    def records(self) -> patient_page_selectors.PatientRecords:
        return patient_page_selectors.patient_records(self.patient, self.range, now=self.now)

    @cached_property
    def abc(self) -> adherence_abc.AbcMeasures:
        """Timing adherence, drug holidays, persistence, initiation (asked for inside a cached fragment)."""
        return adherence_abc.abc_measures(self.records, now=self.now)

    @cached_property
    def calendar(self) -> dict:
        return charts.calendar(self.records.weeks)

    @cached_property
    def calendar_html(self) -> SafeString:
        """The calendar and its table, asked for only inside the page's cached fragment. A hot
        partial (365 cells and rows for a year), so Django's Jinja2 backend draws it
        (templates/jinja2/doses/dashboard/_calendar.html); Jinja2 escapes every value."""
        context = {
            "o": self,
            "is_clinician": self.is_clinician,
            "zone": self.patient.zone,
            "range_from": panel_selectors.date_text(self.range.start),
            "range_to": panel_selectors.date_text(self.range.end),
        }
        return mark_safe(render_to_string("doses/dashboard/_calendar.html", context, using="jinja2"))

    def _partial(self, template: str, **context) -> SafeString:
        """A hot partial of the page's cached fragment, drawn by Django's Jinja2 backend
        (templates/jinja2/doses/dashboard/); Jinja2 escapes every value."""
        # rules_of: the catalogue rules for a "Why?" disclosure (templates/jinja2/_why.html).
        context.update(o=self, zone=self.patient.zone, is_clinician=self.is_clinician, rules_of=rules_of)
        context.update(
            range_from=panel_selectors.date_text(self.range.start), range_to=panel_selectors.date_text(self.range.end)
        )
        return mark_safe(render_to_string(template, context, using="jinja2"))

    @cached_property
    def weekly_html(self) -> SafeString:
        """The weekly chart and its table (52 bars and rows for a year), table folded."""
        return self._partial("doses/dashboard/_weekly.html", report=False)

    @cached_property
    def weekly_report_html(self) -> SafeString:
        """The same for the printed report: the table open."""
        return self._partial("doses/dashboard/_weekly.html", report=True)

    @cached_property
    def records_html(self) -> SafeString:
        """Side effects, injection sites, supply, regimen versions, labs and other medicines."""
        return self._partial("doses/dashboard/_records.html")

    @cached_property
    def side_effect_entries(self) -> list[record_presenters.SideEffectEntry]:
        """The side effects by their labels, with the injection each followed (inside the fragment)."""
        return [record_presenters.side_effect_entry(effect, self.patient.zone) for effect in self.records.side_effects]

    @cached_property
    def bars(self) -> dict:
        return charts.weekly_bars(self.records.weekly)

    @cached_property
    def body(self) -> dict:
        return charts.body_map(self.records.zone_counts)

    day_styles = charts.day_styles()


@login_required
@require_GET
def patient(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    date_range, bad = _range_or_400(request, patient, {"action": "doses:patient"})
    if bad:
        return bad
    context = patient_page_context(patient, date_range)
    context["may_download"] = may_download_record(request.user, patient)  # ACCESS-DOWNLOAD
    reads = context["o"].reads
    context["above_prescribed"] = reads.above_prescribed  # AE-OVERDOSE
    # Issue 13: an open regimen proposal comes first, with its checks and Confirm / Decline.
    proposal = reads.open_proposal
    if proposal is not None:
        proposal.patient = patient
        context.update(
            open_proposal=proposal,
            open_proposal_facts=regimen_facts(proposal),
            can_confirm=role_can(patient.access_role, Capability.CONFIRM),
        )
    return render(request, "doses/dashboard/patient.html", context)


def download_refused(request, patient):
    """ACCESS-DOWNLOAD: a caregiver asked for the full record while the patient has not allowed it."""
    return render(request, "doses/dashboard/download_refused.html", {"patient": patient}, status=403)


def patient_page_context(patient, date_range, *, now=None) -> dict:
    """The context of the patient page and the report (also the hold forms' page again)."""
    page = PatientPage(patient, date_range, now=now)
    row = page.summary
    if row.display is None:
        row.display = panel_selectors.panel_row_display(row)
    return {
        # Holds and stops (views/holds.py): the state, the history and, for clinicians, the forms.
        "treatment": page.reads.treatment,
        "can_hold": role_can(patient.access_role, Capability.CONFIRM),
        "hold_form": HoldForm(prefix="hold"),
        "resume_form": ResumeForm(prefix="resume"),
        "stop_form": StopForm(prefix="stop"),
        "patient": patient,
        "o": page,
        "is_clinician": page.is_clinician,  # rule IDs and "PDC" for clinicians; plain words for the family
        "row": row,
        "fragment_seconds": record_version.FRAGMENT_SECONDS,
        "range_query": _range_query(date_range),
        "range_from": panel_selectors.date_text(date_range.start),
        "range_to": panel_selectors.date_text(date_range.end),
        "pdc_days": panel_selectors.PDC_DAYS,
        "kidney": KidneySection(patient),  # SCHED-RENAL, AE-LABS: read only inside its cached fragment
    }


@login_required
@require_GET
def report(request, patient_id):
    """A printable report to bring to an appointment (print stylesheet in app.css)."""
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    date_range, bad = _range_or_400(request, patient, {"action": "doses:report"})
    if bad:
        return bad
    context = patient_page_context(patient, date_range)
    context["doses"] = [
        (slot, _spot(slot.injection.site_spot) if slot.status == SlotStatus.TAKEN else "")
        for slot in export_selectors.export_doses(patient, date_range)
    ]
    context["batch_not_recorded"] = syringe_supply.BATCH_NOT_RECORDED  # TRACE-BATCH: a dose from before batches
    context["report"] = True
    context["can_hold"] = False  # the printed report shows the holds, not the forms
    context["printed_at"] = timezone.localtime(timezone.now(), patient.zone)
    return render(request, "doses/dashboard/report.html", context)


CSV_COLUMNS = [
    "record",
    "local_date",
    "scheduled_at",
    "status",
    "not_taken_reason",
    "taken_at",
    "dose_mg",
    "site",
    "injected_by",
    "symptom",
    "description",
    "severity",
    "serious",
    "site_reaction",
    "started_on",
    "resolved_at",
    "above_prescribed",  # AE-OVERDOSE: a dose recorded above the prescribed one (yes/no)
    "prescribed_mg",
    "batch_number",  # TRACE-BATCH: the lot of the box a dose came from ("batch not recorded" before)
    "batch_expires_on",
]
BATCH_COLUMNS = 2  # batch_number, batch_expires_on: empty on rows that are not a dose given
SIDE_EFFECT_COLUMNS = 7  # symptom .. resolved_at


def _cell(value) -> str:
    """Text typed by people could start a spreadsheet formula; a leading quote keeps it text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _filename(patient, date_range, extension: str) -> str:
    return f"anakinra-{patient.pk}-{date_range.start}-{date_range.end}.{extension}"


@login_required
@require_GET
def export_csv(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    if not may_download_record(request.user, patient):  # ACCESS-DOWNLOAD
        return download_refused(request, patient)
    date_range, bad = _range_or_400(request, patient, {"action": "doses:export_csv"})
    if bad:
        return bad
    zone = patient.zone
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(patient, date_range, "csv")}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    statuses, reasons = dict(SlotStatus.choices), dict(NotTakenReason.choices)
    injected, severities = dict(InjectedBy.choices), dict(Severity.choices)
    for slot in export_selectors.export_doses(patient, date_range):
        injection = getattr(slot, "injection", None)
        writer.writerow(
            [
                "dose",
                slot.local_date.isoformat(),
                timezone.localtime(slot.scheduled_at, zone).isoformat(),
                statuses.get(slot.status, slot.status),
                reasons.get(slot.not_taken_reason, ""),
                timezone.localtime(injection.taken_at, zone).isoformat() if injection else "",
                injection.dose_mg if injection else slot.dose_mg,
                _cell(_spot(injection.site_spot)) if injection else "",
                injected.get(injection.injected_by, "") if injection else "",
            ]
            + [""] * SIDE_EFFECT_COLUMNS
            + [
                ("yes" if injection.above_prescribed else "no") if injection else "",
                (injection.prescribed_mg or slot.dose_mg) if injection else slot.dose_mg,
                _cell(injection.batch_number or syringe_supply.BATCH_NOT_RECORDED) if injection else "",
                injection.batch_expires_on.isoformat() if injection and injection.batch_expires_on else "",
            ]
        )
    # Holds and stops (doses/services/holds.py), one row each, in the columns they share with
    # doses and side effects: status, reason (not_taken_reason), rule ID or who stopped
    # (symptom), note (description), first and last day held (started_on, resolved_at).
    for hold in holds_overlapping(patient, date_range.start, date_range.end):
        span = hold.held_span(today=patient.local_today(), zone=zone)
        writer.writerow(
            ["hold", hold.starts_on.isoformat(), timezone.localtime(hold.starts_at, zone).isoformat()]
            + [hold.get_outcome_display() or "On hold", hold.get_reason_display()]
            + [""] * 4
            + [_cell(f"{hold.rule_id}{' (automatic)' if hold.is_automatic else ''}"), _cell(hold.note), "", "", ""]
            + [hold.starts_on.isoformat(), span[1].isoformat() if span and hold.ended_at else ""]
            + [""] * (2 + BATCH_COLUMNS)
        )
    for stop in TreatmentStop.objects.filter(
        patient=patient, stopped_on__gte=date_range.start, stopped_on__lte=date_range.end
    ).select_related("stopped_by"):
        by = f"Stopped by {stop.stopped_by.display_name}" if stop.stopped_by else "Stopped"
        writer.writerow(
            ["stop", stop.stopped_on.isoformat(), timezone.localtime(stop.stopped_at, zone).isoformat()]
            + ["Treatment stopped", stop.get_reason_display()]
            + [""] * 4
            + [_cell(by), _cell(stop.note), "", "", ""]
            + [stop.stopped_on.isoformat(), ""]
            + [""] * (2 + BATCH_COLUMNS)
        )
    for effect in export_selectors.export_side_effects(patient, date_range):
        writer.writerow(
            ["side_effect", effect.started_on.isoformat()]
            + [""] * 7
            + [
                # Issue 16 (point 6): the symptom by its label, as a person reads it (nothing
                # machine-reads this file; the FHIR export keeps the codes).
                _cell(record_presenters.symptom_label(symptom=effect.symptom, description=effect.description)),
                _cell(effect.description),
                severities.get(effect.severity, effect.severity),
                "yes" if effect.is_serious else "no",
                "yes" if effect.is_site_reaction else "no",
                effect.started_on.isoformat(),
                timezone.localtime(effect.resolved_at, zone).isoformat() if effect.resolved_at else "",
                "",
                "",
            ]
            + [""] * BATCH_COLUMNS
        )
    return response


def _spot(spot: str) -> str:
    return record_presenters.site_label(spot)


@login_required
@require_GET
def export_fhir(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    if not may_download_record(request.user, patient):  # ACCESS-DOWNLOAD
        return download_refused(request, patient)
    date_range, bad = _range_or_400(request, patient, {"action": "doses:export_fhir"})
    if bad:
        return bad
    bundle = fhir.patient_bundle(patient, date_range)
    response = HttpResponse(
        json.dumps(json.loads(bundle.model_dump_json(exclude_none=True)), indent=2),
        content_type="application/fhir+json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(patient, date_range, "fhir.json")}"'
    return response
