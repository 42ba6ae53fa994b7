"""Repeated rows of the patient page and the printable report, built as markup in Python.

The same markup the templates drew with loops, filters and `{% if %}` per row; plain
string building skips the template engine's per-variable lookups and the locale's
number and date formatting (the patient page's server time is bounded: issue 6). Every
piece of text typed by people or taken from a label goes through `escape`; dates are
shown as "5 Mar 2026" in the patient's own time zone, as the `|day` filter does.
"""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from django.utils.safestring import mark_safe

from .charts import DAY_STYLES, escape, month_abbr, ratio_numbers


def _day(value, zone) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(zone)
    return f"{value.day} {value:%b %Y}" if isinstance(value, date) else ""


def body_zones_svg(body: dict) -> str:
    parts = []
    for z in body["zones"]:
        s = "" if z["count"] == 1 else "s"
        parts.append(
            f'<g class="zone zone-level-{z["level"]}"><title>{escape(z["label"])}: {z["count"]} injection{s}</title>'
            f'<rect x="{z["x"]}" y="{z["y"]}" width="{z["w"]}" height="{z["h"]}" rx="3"/>'
            f'<text x="{z["tx"]}" y="{z["ty"]}" text-anchor="middle">{z["count"]}</text></g>'
        )
    return mark_safe("".join(parts))  # numbers and escaped text


def body_zones_rows(body: dict) -> str:
    parts = []
    for z in body["zones"]:
        other = "" if z["self_injection"] else ' <span class="small text-body-secondary">(someone else injects)</span>'
        parts.append(f'<tr><th scope="row">{escape(z["label"])}{other}</th><td class="text-end">{z["count"]}</td></tr>')
    return mark_safe("".join(parts))


def _legend_shape(shape: str) -> str:
    if shape in ("circle", "ring"):
        return '<circle cx="11" cy="11" r="10"/>'
    if shape == "diamond":
        return '<polygon points="11,0 22,11 11,22 0,11"/>'
    if shape == "dot":
        return '<circle cx="11" cy="11" r="3"/>'
    return '<rect x="1" y="1" width="20" height="20" rx="2"/>'


def _legend() -> str:
    items = []
    for state, (shape, letter, words) in DAY_STYLES.items():
        text = f'<text x="11" y="11" dy="0.35em" text-anchor="middle">{escape(letter)}</text>' if letter else ""
        items.append(
            f'<li class="list-inline-item"><svg width="18" height="18" viewBox="0 0 22 22" aria-hidden="true" '
            f'focusable="false"><g class="cal cal-{state}">{_legend_shape(shape)}{text}</g></svg> {escape(words)}</li>'
        )
    return "".join(items)


LEGEND = mark_safe(_legend())  # the same for every page: built once


def side_effect_items(effects, zone) -> str:
    parts = []
    for e in effects:
        serious = " timeline-serious" if e.is_serious else ""
        resolved = f"resolved {_day(e.resolved_at, zone)}" if e.resolved_at else "<strong>still open</strong>"
        badges = ""
        if e.is_serious:
            badges += ' <span class="badge text-bg-danger">Serious (AE-SERIOUS)</span>'
        if e.is_site_reaction:
            badges += ' <span class="badge text-bg-light border">Site reaction</span>'
        parts.append(
            f'<li class="timeline-item{serious}"><span class="fw-semibold">{_day(e.started_on, zone)}</span> – '
            f"{resolved}: {escape(e.description or e.symptom)} ({escape(e.get_severity_display()).lower()}){badges}</li>"
        )
    return mark_safe("".join(parts))


def supply_rows(events, zone) -> str:
    parts = []
    for s in events:
        boxes = f" ({s.boxes} box{'' if s.boxes == 1 else 'es'})" if s.boxes else ""
        parts.append(
            f"<tr><td>{_day(s.occurred_at, zone)}</td><td>{escape(s.get_kind_display())}{boxes}</td>"
            f'<td class="text-end">{s.syringes:+d}</td><td>{escape(s.note)}</td></tr>'
        )
    return mark_safe("".join(parts))


def regimen_rows(regimens, zone) -> str:
    parts = []
    for r in regimens:
        reason = f'<div class="small text-body-secondary">{escape(r.change_reason)}</div>' if r.change_reason else ""
        until = _day(r.ends_on, zone) if r.ends_on else "current"
        if r.is_confirmed:
            status = "Confirmed" + (f" by {escape(r.confirmed_by)}" if r.confirmed_by else "")
        else:
            status = "<strong>Awaiting confirmation</strong>"
        parts.append(
            f'<tr><th scope="row">v{r.version}</th><td>{escape(r.describe())}{reason}</td>'
            f"<td>{_day(r.starts_on, zone)}</td><td>{until}</td><td>{status}</td></tr>"
        )
    return mark_safe("".join(parts))


def lab_rows(labs, today: date, zone) -> str:
    parts = []
    for lab in labs:
        overdue = (
            ' <span class="badge text-bg-warning">overdue</span>' if not lab.done_on and lab.due_on < today else ""
        )
        done = _day(lab.done_on, zone) if lab.done_on else "—"
        value = lab.neutrophils_10e9_per_l
        parts.append(
            f'<tr><th scope="row">{escape(lab.label)}</th><td>{_day(lab.due_on, zone)}{overdue}</td><td>{done}</td>'
            f'<td class="text-end">{escape(value) if value else "—"}</td></tr>'
        )
    return mark_safe("".join(parts))


def medicine_items(medicines, zone) -> str:
    parts = []
    for m in medicines:
        if m.stopped_on:
            note = f", stopped {_day(m.stopped_on, zone)}"
        elif m.is_interaction:
            note = " <strong>– not to be combined with anakinra (IX-TNF / IX-BIOLOGIC)</strong>"
        else:
            note = ""
        parts.append(f"<li>{escape(m.name)} ({escape(m.get_category_display())}){note}</li>")
    return mark_safe("".join(parts))


def panel_table_rows(rows) -> str:
    """The clinician panel's table rows (25 a page): the markup panel.html drew per row."""
    parts = []
    for row in rows:
        patient, shown = row.patient, row.display
        url = reverse("doses:patient", args=[patient.pk])
        if row.flags:
            items = "".join(f'<li><span aria-hidden="true">⚠ </span>{escape(label)}</li>' for label in row.flag_labels)
            if row.interactions:
                items += (
                    f'<li class="text-body-secondary">({", ".join(escape(name) for name in row.interactions)})</li>'
                )
            if row.serious_open > 1:
                items += f'<li class="text-body-secondary">{row.serious_open} serious side effects open</li>'
            flags = (
                f'<span class="visually-hidden">Score {row.score}: </span>'
                f'<ul class="list-unstyled mb-0 small panel-flags">{items}</ul>'
            )
        else:
            flags = '<span class="text-body-secondary small">Nothing flagged</span>'
        if shown.adherence_30_percent is None:
            adherence_30 = '<span title="Nothing due">—</span>'
        else:
            low = "text-danger fw-semibold" if shown.adherence_30_low else ""
            adherence_30 = f'<span class="{low}">{shown.adherence_30_percent}%</span>'
        adherence_90 = "—" if shown.adherence_90_percent is None else f"{shown.adherence_90_percent}%"
        if shown.pdc_percent is None:
            pdc = '<span class="small text-body-secondary">no pick-ups</span>'
        elif shown.pdc_adherent:
            pdc = f'<span class="">{shown.pdc_percent}%</span>'
        else:
            pdc = (
                f'<span class="text-danger fw-semibold">{shown.pdc_percent}%</span>'
                '<span class="visually-hidden"> (below 80%)</span>'
            )
        if row.last_dose_at:
            last_dose = f'<time datetime="{shown.last_dose_iso}">{shown.last_dose_day}</time>'
        else:
            last_dose = '<span class="text-body-secondary">none logged</span>'
        days = row.supply_days_left
        supply = "—" if days is None else f"{days} day{'' if days == 1 else 's'}"
        if row.next_lab_due:
            overdue = ' <span class="badge text-bg-warning">overdue</span>' if shown.next_lab_overdue else ""
            lab = f"{shown.next_lab_day}{overdue}"
        else:
            lab = "—"
        parts.append(
            f'<tr class="{"panel-row-attention" if row.score else ""}">'
            f'<th scope="row"><a href="{url}">{escape(patient.display_name)}</a> '
            f'<div class="small text-body-secondary">{"Child" if shown.is_child else "Adult"} · '
            f"{escape(patient.get_indication_display())}</div></th>"
            f"<td>{flags}</td>"
            f'<td class="text-end">{adherence_30} / {adherence_90}</td>'
            f'<td class="text-end">{pdc}</td>'
            f'<td class="text-end">{row.missed_run}</td>'
            f'<td class="text-nowrap">{last_dose}</td>'
            f'<td class="text-end text-nowrap">{supply}</td>'
            f'<td class="text-nowrap">{lab}</td></tr>'
        )
    return mark_safe("".join(parts))  # numbers, dates and escaped text


def summary_cards(row, pdc_days: int, zone) -> str:
    """The patient page's and report's summary cards and attention list (the panel's row)."""
    percent_30, below_30 = ratio_numbers(row.adherence_30)
    percent_90 = ratio_numbers(row.adherence_90)[0]
    pdc_percent, pdc_below = ratio_numbers(row.pdc.ratio) if row.pdc else (None, False)
    if pdc_percent is None:
        pdc = '<dd class="fs-5 mb-0">No pick-ups recorded</dd>'
    else:
        verdict = "<strong>below 80%</strong>" if pdc_below else "adherent (80% or more)"
        pdc = (
            f'<dd class="fs-5 mb-0">{pdc_percent}%</dd>'
            f'<dd class="small mb-0">{row.pdc.covered_days} of {row.pdc.period_days} days; {verdict}</dd>'
        )
    if row.last_dose_at:
        last = row.last_dose_at.astimezone(zone)
        last_dose = f"{last.day} {month_abbr(last)} {last.year} {last.hour:02d}:{last.minute:02d}"
    else:
        last_dose = "none logged"
    on_hand, days_left = row.syringes_on_hand, row.supply_days_left
    supply = (
        "No current regimen"
        if days_left is None
        else f"about {days_left} day{'' if days_left == 1 else 's'} at the current regimen"
    )
    cards = (
        '<div class="row summary-cards g-2 mb-3">'
        '<div class="col-6 col-lg-3"><dl class="card card-body h-100 mb-0">'
        '<dt class="small text-body-secondary">Doses logged (30 / 90 days)</dt>'
        f'<dd class="fs-5 mb-0">{"—" if percent_30 is None else f"{percent_30}%"} / '
        f"{'—' if percent_90 is None else f'{percent_90}%'}</dd>"
        f'<dd class="small mb-0">{row.adherence_30.numerator} of {row.adherence_30.denominator} due in 30 days'
        f"{': <strong>below 80%</strong>' if below_30 else ''}</dd></dl></div>"
        '<div class="col-6 col-lg-3"><dl class="card card-body h-100 mb-0">'
        f'<dt class="small text-body-secondary">Days covered by supply (PDC, {pdc_days} days)</dt>{pdc}</dl></div>'
        '<div class="col-6 col-lg-3"><dl class="card card-body h-100 mb-0">'
        '<dt class="small text-body-secondary">Missed or not taken in a row</dt>'
        f'<dd class="fs-5 mb-0">{row.missed_run}</dd>'
        f'<dd class="small mb-0">Last dose: {last_dose}</dd></dl></div>'
        '<div class="col-6 col-lg-3"><dl class="card card-body h-100 mb-0">'
        '<dt class="small text-body-secondary">Supply on hand</dt>'
        f'<dd class="fs-5 mb-0">{on_hand} syringe{"" if on_hand == 1 else "s"}</dd>'
        f'<dd class="small mb-0">{supply}</dd></dl></div>'
        "</div>"
    )
    if row.flags:
        items = "".join(f"<li>{escape(label)}</li>" for label in row.flag_labels)
        if row.interactions:
            names = ", ".join(escape(name) for name in row.interactions)
            plural = "" if len(row.interactions) == 1 else "s"
            items += f"<li>Interacting medicine{plural}: {names} (IX-TNF / IX-BIOLOGIC)</li>"
        cards += (
            '<div class="alert alert-warning" role="note"><h2 class="h6 mb-1">Needs attention</h2>'
            f'<ul class="mb-0">{items}</ul></div>'
        )
    return mark_safe(cards)  # numbers, dates and escaped text
