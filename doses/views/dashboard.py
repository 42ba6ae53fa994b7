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
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from companion.access import Capability, patient_for, role_can
from companion.models import Indication

from .. import charts, dashboard_html, fhir, sites
from ..forms.holds import HoldForm, ResumeForm, StopForm
from ..models import InjectedBy, NotTakenReason, Severity, SlotStatus, TreatmentStop
from ..selectors import exports as export_selectors
from ..selectors import log_page, proposals
from ..selectors import panel as panel_selectors
from ..selectors import patient_page as patient_page_selectors
from ..selectors.holds import hold_history, holds_overlapping
from ..services import summaries as summary_services
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
    # Selectors never write: whoever in the panel has no current summary row is summarised
    # first (usually nobody: writes and the 15-minute job keep them current), then the page is read.
    summary_services.refresh_expired_summaries(patients=panel_selectors.clinician_patients(request.user))
    result = panel_selectors.panel_rows(request.user, filters, sort, request.GET.get("page") or 1)
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
            "panel_rows": dashboard_html.panel_table_rows(result.rows),
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


@login_required
@require_GET
def patient(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    date_range, bad = _range_or_400(request, patient, {"action": "doses:patient"})
    if bad:
        return bad
    overview = patient_page_selectors.patient_overview(patient, date_range)
    context = _patient_context(patient, overview)
    context["above_prescribed"] = log_page.doses_above_prescribed(patient, date_range)  # AE-OVERDOSE
    # Issue 13: an open regimen proposal comes first, with its checks and Confirm / Decline.
    proposal = proposals.open_proposal(patient)
    if proposal is not None:
        proposal.patient = patient
        context.update(
            open_proposal=proposal,
            open_proposal_facts=regimen_facts(proposal),
            can_confirm=role_can(patient.access_role, Capability.CONFIRM),
        )
    return render(request, "doses/dashboard/patient.html", context)


def _patient_context(patient, overview) -> dict:
    bars = charts.weekly_bars(overview.weekly)
    body = charts.body_map(overview.zone_counts)
    zone = patient.zone
    return {
        # Holds and stops (views/holds.py): the state, the history and, for clinicians, the forms.
        "treatment": hold_history(patient),
        "can_hold": role_can(patient.access_role, Capability.CONFIRM),
        "hold_form": HoldForm(prefix="hold"),
        "resume_form": ResumeForm(prefix="resume"),
        "stop_form": StopForm(prefix="stop"),
        "patient": patient,
        "o": overview,
        "row": overview.summary,
        "summary_cards": dashboard_html.summary_cards(overview.summary, panel_selectors.PDC_DAYS, zone),
        "calendar_svg": charts.calendar_svg(
            overview.weeks,
            f"Calendar of doses from {overview.range.start:%d %b %Y} to {overview.range.end:%d %b %Y}, one column "
            "per week. The same information is in the table that follows.",
        ),
        "calendar_rows": charts.calendar_table(overview.calendar_days),
        "legend": dashboard_html.LEGEND,
        "bars": bars,
        "weekly_svg_bars": _weekly_svg_bars(bars),
        "weekly_rows": _weekly_table_rows(overview.weekly, bars),
        "body": body,
        "body_zones_svg": dashboard_html.body_zones_svg(body),
        "body_zones_rows": dashboard_html.body_zones_rows(body),
        "side_effect_items": dashboard_html.side_effect_items(overview.side_effects, zone),
        "supply_rows": dashboard_html.supply_rows(overview.supply_events, zone),
        "regimen_rows": dashboard_html.regimen_rows(overview.regimens, zone),
        "lab_rows": dashboard_html.lab_rows(overview.labs, overview.summary.today, zone),
        "medicine_items": dashboard_html.medicine_items(overview.medicines, zone),
        "range_query": _range_query(overview.range),
        # "j M Y" and "Y-m-d" of the range, worked out once for the headings and captions that repeat them
        "range_from": panel_selectors.date_text(overview.range.start),
        "range_to": panel_selectors.date_text(overview.range.end),
        "pdc_days": panel_selectors.PDC_DAYS,
    }


def _weekly_svg_bars(bars: dict) -> str:
    """The weekly chart's bars as markup: a year is 53 of them, too many for template loops."""
    parts = []
    for b in bars["bars"]:
        below = " bar-below" if b["below"] else ""
        if b["percent"] is None:
            shape = f'<text class="chart-label" x="{b["x"]}" y="{bars["baseline_y"]}" dy="-4">–</text>'
        else:
            mark = f'<text class="chart-label" x="{b["x"]}" y="{b["label_y"]}">!</text>' if b["below"] else ""
            shape = f'<rect x="{b["x"]}" y="{b["y"]}" width="{bars["bar_width"]}" height="{b["height"]}"/>{mark}'
        parts.append(f'<g class="bar{below}"><title>{escape(b["title"])}</title>{shape}</g>')
    return mark_safe("".join(parts))  # numbers and escaped text


def _weekly_table_rows(weekly, bars: dict) -> str:
    """The weekly numbers' table rows (the chart's text alternative), with the bars' percents."""
    rows = []
    for week, bar in zip(weekly, bars["bars"], strict=True):
        percent, below = bar["percent"], bar["below"]
        shown = "—" if percent is None else f"{percent}%" + (" (below 80%)" if below else "")
        starts = week.starts_on
        rows.append(
            f'<tr><th scope="row">{starts.day} {charts.month_abbr(starts)} {starts.year}</th>'
            f'<td class="text-end">{week.adherence.numerator}</td><td class="text-end">{week.adherence.denominator}</td>'
            f'<td class="text-end">{shown}</td></tr>'
        )
    return mark_safe("".join(rows))  # numbers and dates only


@login_required
@require_GET
def report(request, patient_id):
    """A printable report to bring to an appointment (print stylesheet in app.css)."""
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    date_range, bad = _range_or_400(request, patient, {"action": "doses:report"})
    if bad:
        return bad
    overview = patient_page_selectors.patient_overview(patient, date_range)
    context = _patient_context(patient, overview)
    context["doses"] = [
        (slot, _spot(slot.injection.site_spot) if slot.status == SlotStatus.TAKEN else "")
        for slot in export_selectors.export_doses(patient, date_range)
    ]
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
]
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
        )
    for effect in export_selectors.export_side_effects(patient, date_range):
        writer.writerow(
            ["side_effect", effect.started_on.isoformat()]
            + [""] * 7
            + [
                _cell(effect.symptom),
                _cell(effect.description),
                severities.get(effect.severity, effect.severity),
                "yes" if effect.is_serious else "no",
                "yes" if effect.is_site_reaction else "no",
                effect.started_on.isoformat(),
                timezone.localtime(effect.resolved_at, zone).isoformat() if effect.resolved_at else "",
                "",
                "",
            ]
        )
    return response


def _spot(spot: str) -> str:
    try:
        return sites.spot_label(spot)
    except ValueError:
        return spot


@login_required
@require_GET
def export_fhir(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
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
