"""Logging an injection, a dose not taken, and a discarded syringe (caregivers too)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from companion.access import Capability, patient_for
from doses.rules import catalogue, dosing, recorded_doses, regimen_review, syringe_supply

from .. import schedule, sites
from ..forms.injection import DiscardForm, InjectionForm, NotTakenForm, build_body_map
from ..models import DoseSlot, InjectedBy, SlotStatus
from ..presenters import holds as hold_presenters
from ..presenters import log_page as log_presenters
from ..selectors import log_page
from ..selectors import today as today_selectors
from ..services import holds, refusals
from ..services import injections as injection_services
from ..services import records as record_services
from ..services import slots as slot_services


def _hinted_slot(request, patient) -> DoseSlot | None:
    """?slot=<id>: the dose the person tapped on Today (only to choose the defaults)."""
    slot_id = request.GET.get("slot", "")
    if not slot_id:
        return None
    # ASCII digits only: "²".isdigit() is True, and int("²") a ValueError (a 500).
    if not (slot_id.isascii() and slot_id.isdigit()):
        return None
    return get_object_or_404(DoseSlot.objects.select_related("regimen"), pk=int(slot_id), patient=patient)


def _default_time(slot: DoseSlot | None, now):
    """Now, unless the tapped dose's window has already closed: then its scheduled time (back-dating)."""
    now = now.replace(second=0, microsecond=0)
    if slot is None:
        return now
    window = schedule.window_for_slot(slot)
    if window.closes_at <= now and slot.scheduled_at <= now:
        return slot.scheduled_at
    return now


@login_required
def log_injection(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.LOG)
    now = timezone.now()
    if request.method != "POST":
        # A posted form was served by this page's GET (or Today's), which made the doses up to
        # the horizon; the hourly job does too. A dose logged reads none of it again.
        slot_services.materialise_upcoming_slots(patient=patient, now=now)
    # The time typed in is the patient's local clock time (SCHED-TZ), whoever logs it.
    with timezone.override(patient.zone):
        hint = _hinted_slot(request, patient)
        taken_at = _default_time(hint, now)
        # The dose the default time counts for; a tapped dose whose window has not opened
        # yet cannot be logged now (MISS-NODOUBLE), and the page says so. A posted form
        # (whose initial values are not shown) looks for it only if the page is shown again:
        # a dose logged reads no timeline but the form's and the service's.
        timeline = None if request.method == "POST" else schedule.timeline(patient, taken_at)
        if timeline is not None and (hint is None or hint.status == SlotStatus.TAKEN):
            # The dose due (or the one tapped) is already logged: say so, not the form. The
            # service still refuses a second dose in one window (MISS-NODOUBLE).
            done = log_page.done_dose(timeline, now, slot=hint)
            if done is not None:
                return _render_done_page(request, patient, done, now)
        history = today_selectors.site_history(patient)
        logged_by_patient = today_selectors.viewer_is_patient(patient.access_role)
        # SITE-SELF / SITE-OTHER: who is expected to inject, and so the spot suggested, come from
        # the one rule Today asks too (sites.expects_someone_else): one person, one suggestion.
        someone_else = sites.expects_someone_else(viewer_is_patient=logged_by_patient)
        injected_by = InjectedBy.OTHER if someone_else else InjectedBy.SELF
        decision = None if timeline is None else timeline.decide(taken_at, now=now)
        target = decision.slot if decision is not None else None
        typed = None
        above_prescribed = False  # AE-OVERDOSE: the dose typed is above the one it counts for
        initial = {
            "taken_at": taken_at,
            "dose_mg": target.dose_mg if target else None,
            "injected_by": injected_by,
            "site_spot": history.suggested_for(patient.access_role),
        }
        boxes = _BoxesOnHand(patient, now)
        if request.method != "POST":
            initial["batch"] = boxes.default  # TRACE-BATCH: first-expiring first
        form = InjectionForm(
            request.POST if request.method == "POST" else None,
            initial=initial,
            patient=patient,
            now=now,
            history=history,
            logged_by_patient=logged_by_patient,
            batch_choices=boxes.choices,
        )
        if request.method == "POST":
            # A "No" on a check that means "do not use this syringe" no longer writes it off:
            # the page shows the advice and asks first (PREP-24H, PREP-LOOK, PREP-ONCE).
            valid = form.is_valid()
            dose_typed = form.cleaned_data.get("dose_mg")  # before a refusal takes it off cleaned_data
            if valid:
                response = _record_dose(request, patient, form, history, now)
                if response is not None:
                    return response
            decision = schedule.timeline(patient, taken_at).decide(taken_at, now=now)
            typed = _typed_dose(form, patient, now, dose_typed)
            above_prescribed = typed is not None and dose_typed is not None and dose_typed > typed.dose_mg
            if typed is None or hint is not None:
                target = decision.slot
        not_yet = hint if hint is not None and target != hint else None
        if typed is not None:
            target = typed
        return _render_log_page(
            request,
            patient,
            form,
            history,
            now,
            target=target,
            not_yet=not_yet,
            decision=decision,
            above_prescribed=above_prescribed,
        )


def _typed_dose(form: InjectionForm, patient, now, dose) -> DoseSlot | None:
    """The page shown again: the dose the time typed counts for, with what logging it would refuse.

    The service decides under its lock and names the field it refuses; a form that did not
    reach it (another field wrong) gets the same answers here, so every problem shows at once
    (MISS-NODOUBLE, AE-OVERDOSE).
    """
    taken_at = form.cleaned_data.get("taken_at") if hasattr(form, "cleaned_data") else None
    if taken_at is None:
        return None
    decision = schedule.timeline(patient, taken_at).decide(taken_at, now=now)
    if not decision.accepted and "taken_at" not in form.errors:
        form.add_error("taken_at", decision.reason)
    if decision.slot is None or dose is None or "dose_mg" in form.errors or not decision.accepted:
        return decision.slot
    try:  # AE-OVERDOSE: what was really injected is recorded, above the prescription once confirmed
        recorded_doses.check_recorded_dose(
            dose, decision.slot.dose_mg, confirmed_above_prescribed=form.cleaned_data.get("confirm_above_prescribed")
        )
    except catalogue.DoseRuleError as refused:
        form.add_error("dose_mg", str(refused))
    return decision.slot


def _record_dose(request, patient, form: InjectionForm, history, now):
    """Save the dose, or put the service's refusal on the form (a race lost to another logger)."""
    try:
        injection = injection_services.record_injection(
            patient=patient,
            taken_at=form.cleaned_data["taken_at"],
            site_spot=form.cleaned_data["site_spot"],
            by=request.user,
            dose_mg=form.cleaned_data["dose_mg"],
            injected_by=form.cleaned_data["injected_by"],
            prep_checks=form.prep_answers(),
            notes=form.cleaned_data["notes"],
            confirm_above_prescribed=form.cleaned_data["confirm_above_prescribed"],
            fresh_syringe_used=form.cleaned_data["fresh_syringe_used"],
            batch_pickup_id=form.cleaned_data["batch"],
            now=now,
        )
    except refusals.DoseRefused as refused:  # MISS-NODOUBLE (a race lost), AE-OVERDOSE, PREP-24H, TRACE-BATCH
        form.add_error(refused.field if refused.field in form.fields else None, str(refused))
        return None
    messages.success(
        request,
        log_presenters.logged_message(
            injection,
            last_used=history.last_used,
            today=patient.local_today(now),
            zone=patient.zone,
            viewer_is_patient=today_selectors.viewer_is_patient(patient.access_role),
        ),
    )
    if injection.above_prescribed:
        # AE-OVERDOSE: the advice at once, after the record, with the patient's country's numbers.
        messages.warning(
            request,
            log_presenters.above_prescribed_message(
                injection, patient_name=patient.display_name, numbers=patient.emergency_numbers
            ),
        )
    return redirect("doses:today", patient_id=patient.pk)


class _BoxesOnHand:
    """TRACE-BATCH: the boxes on hand for the batch field, read once and only when needed
    (the page shown; a dose posted and saved reads them in the service, not here)."""

    def __init__(self, patient, now):
        self.patient = patient
        self.today = patient.local_today(now)

    @cached_property
    def boxes(self):
        return log_page.boxes_on_hand(self.patient)

    @property
    def default(self) -> str:
        box = syringe_supply.first_expiring_box(self.boxes, self.today)
        return str(box.pickup_id) if box is not None else ""

    def choices(self) -> list[tuple[str, str]]:
        return log_presenters.batch_choices(self.boxes, today=self.today)


def _log_from(slot: DoseSlot | None):
    """MISS-NODOUBLE: when the dose can be logged (its window and the spacing from the last injection)."""
    if slot is None:
        return None
    return schedule.timeline(slot.patient, slot.scheduled_at).log_span(slot).log_from


def _render_log_page(
    request, patient, form: InjectionForm, history, now, *, target, not_yet, decision, above_prescribed=False
):
    body_map = build_body_map(
        history,
        patient=patient,
        now=now,
        selected=form["site_spot"].value(),
        someone_else=form["injected_by"].value() == InjectedBy.OTHER,
    )
    error_rules = _plain_errors(form)
    chosen = form["site_spot"].value()
    chosen_label = sites.spot_label(chosen) if chosen in sites.ALL_SPOTS else "No spot chosen yet"
    refusal = decision if not decision.accepted and not target_taken(target) else None
    return render(
        request,
        "doses/log.html",
        {
            "patient": patient,
            "form": form,
            "body_map": body_map,
            # Hot partials through Django's Jinja2 backend (templates/jinja2/doses/).
            "body_map_html": _jinja2_partial("doses/_body_map.html", body_map=body_map, field=form["site_spot"]),
            "injected_by_options": _choice_options(form["injected_by"], css="choice-option"),
            "prep_rows": [
                (check, field, _choice_options(field, css="choice-option prep-answer", value_class="prep-answer-"))
                for check, field in form.prep_fields
            ],
            "target": target,
            "target_window": schedule.window_for_slot(target) if target else None,
            "target_taken": target is not None and target.status == SlotStatus.TAKEN,
            # The refusal for the time shown (between two windows, or too soon after the last
            # injection), with when the dose can be logged (MISS-NODOUBLE / MISS-SKIP).
            "refusal": refusal,
            "refusal_words": log_presenters.plain_words(refusal.reason) if refusal is not None else None,
            # The error summary: the checks left unanswered, by name, then the other fields wrong.
            "unanswered": [(check, field) for check, field in form.prep_fields if field.errors and not field.value()],
            "other_errors": _other_errors(form),
            "error_rules": error_rules,
            "chosen_spot_label": chosen_label,
            "chosen_is_suggested": chosen_label == body_map.suggested_label,
            "not_yet": not_yet,
            "not_yet_window": schedule.window_for_slot(not_yet) if not_yet else None,
            "not_yet_log_from": _log_from(not_yet),
            "discard_ml": _discard_ml(target),
            **_log_records_context(patient, form, now, target=target, above_prescribed=above_prescribed),
            "held": hold_presenters.hold_notice(holds.hold_in_force(patient, now)),
        },
    )


def _plain_errors(form: InjectionForm) -> list:
    """The form's messages in plain words: each "(RULE-ID)" leaves the sentence for the error
    summary's "Why?", which lists the rules named, with their sources (issue 16: plain words)."""
    if not form.is_bound:
        return []
    named: dict[str, None] = {}
    for field, errors in form.errors.items():
        plain = [log_presenters.plain_words(str(error)) for error in errors]
        for words in plain:
            named.update(dict.fromkeys(words.rule_ids))
        form.errors[field] = form.error_class([words.text for words in plain], renderer=form.renderer)
    return log_presenters.PlainWords("", tuple(named)).rules


_FIELD_ANCHORS = {
    "taken_at": ("Time taken", "id_taken_at"),
    "dose_mg": ("Dose", "id_dose_mg"),
    "injected_by": ("Who gave the injection", "id_injected_by_0"),
    "site_spot": ("Injection spot", "site-errors"),
    "batch": ("Batch", "id_batch"),
    "notes": ("Notes", "id_notes"),
    "fresh_syringe_used": ("The syringe used", "id_fresh_syringe_used"),
}


def _other_errors(form: InjectionForm) -> list[tuple[str, str]]:
    """The error summary's links to the fields wrong other than an unanswered check (a "No" included)."""
    if not form.is_bound:
        return []
    links = [_FIELD_ANCHORS[name] for name in _FIELD_ANCHORS if name in form.errors]
    links += [(check.short, f"{field.auto_id}_0") for check, field in form.prep_fields if field.errors and field.value()]
    return links


def _render_done_page(request, patient, done: log_page.DoneDose, now):
    """MISS-NODOUBLE: "Done for today", who logged the dose due and when (SCHED-TZ), instead of the form."""
    return render(
        request,
        "doses/log_done.html",
        {
            "patient": patient,
            "done": log_presenters.done_for_today(
                done,
                viewer=request.user,
                today=patient.local_today(now),
                zone=patient.zone,
                zone_name=patient.time_zone,
            ),
        },
    )


def _jinja2_partial(name: str, **context) -> SafeString:
    """A hot partial of the log page (32 body-map spots drawn and listed, twenty radio options),
    rendered by Django's Jinja2 backend: the same markup as a Django template for a fraction of the
    time. Jinja2 autoescapes every value; its backend returns a plain str, marked safe here."""
    return mark_safe(render_to_string(name, context, using="jinja2"))


def _choice_options(field, *, css: str, value_class: str = "") -> SafeString:
    return _jinja2_partial("doses/_choice_options.html", field=field, css=css, value_class=value_class)


def target_taken(slot: DoseSlot | None) -> bool:
    return slot is not None and slot.status == SlotStatus.TAKEN


def _log_records_context(patient, form: InjectionForm, now, *, target, above_prescribed) -> dict:
    """What the page needs to record what really happened (AE-OVERDOSE, PREP-24H, the write-off)."""
    taken_at = (form.cleaned_data.get("taken_at") if form.is_bound and hasattr(form, "cleaned_data") else None) or now
    expired = log_page.expired_fridge_syringes(patient, taken_at)
    warming = log_page.warming_syringe(patient, now)
    show_confirm_above = above_prescribed or bool(form["confirm_above_prescribed"].value())
    return {
        "prescribed_mg": target.dose_mg if target is not None else None,
        "show_confirm_above": show_confirm_above,
        "expired_fridge": expired,
        "write_off_checks": form.discard_checks,
        "write_off_fridge": warming,
        "on_hand": log_page.syringes_on_hand(patient),
        "emergency_numbers": patient.emergency_numbers,  # AE-OVERDOSE: the patient's country's
    }


def _discard_ml(slot: DoseSlot | None):
    """DOSE-SYRINGE: for a dose below 100 mg, how much to push out of the syringe first."""
    if slot is None or slot.dose_mg >= dosing.SYRINGE_MG:
        return None
    return regimen_review.discard_before_injecting_ml(slot.dose_mg)


@login_required
def not_taken(request, patient_id, slot_id):
    patient = patient_for(request.user, patient_id, Capability.LOG)
    slot = get_object_or_404(DoseSlot.objects.select_related("regimen"), pk=slot_id, patient=patient)
    now = timezone.now()
    with timezone.override(patient.zone):
        form = NotTakenForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                injection_services.record_not_taken(slot=slot, reason=form.cleaned_data["reason"], by=request.user, now=now)
            except refusals.DoseRefused as refused:
                form.add_error(None, str(refused))
            else:
                when = schedule.local_when(slot.scheduled_at, patient.local_today(now), patient.zone)
                reason = dict(form.fields["reason"].choices)[form.cleaned_data["reason"]]
                messages.success(request, log_presenters.not_taken_message(when=when, reason=reason))
                return redirect("doses:today", patient_id=patient.pk)
        return render(
            request,
            "doses/log_not_taken.html",
            {
                "patient": patient,
                "slot": slot,
                "form": form,
                "when": schedule.local_when(slot.scheduled_at, patient.local_today(now), patient.zone),
                "already_taken": slot.status == SlotStatus.TAKEN,
            },
        )


@login_required
@require_POST
def discard(request, patient_id):
    """A syringe that must not be used leaves the supply (PREP-24H, PREP-LOOK, PREP-ONCE)."""
    patient = patient_for(request.user, patient_id, Capability.LOG)
    form = DiscardForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose why the syringe is discarded, then try again.")
        return redirect("doses:today", patient_id=patient.pk)
    event = record_services.write_off_syringe(
        patient=patient,
        reason=form.reason_text(),
        by=request.user,
        fridge_syringe_id=form.cleaned_data["fridge_syringe"],
    )
    messages.success(request, log_presenters.discarded_message(shortfall=bool(event.shortfall)))
    if not form.cleaned_data["back_to_log"]:
        return redirect("doses:today", patient_id=patient.pk)
    messages.info(request, "Take a new syringe from the fridge and go through the checks again.")
    url = reverse("doses:log", args=[patient.pk])
    slot_id = form.cleaned_data["slot"]
    if slot_id and DoseSlot.objects.filter(pk=slot_id, patient=patient).exists():
        url += "?" + urlencode({"slot": slot_id})
    return redirect(url)
