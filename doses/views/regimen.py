"""Regimen page, regimen form, clinician confirmation and the paediatric dose calculator.

Thin views: the permission helper first, then doses/forms/regimen.py and
doses/services; every number shown carries the rule it comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from companion.access import Capability, patient_for, role_can
from doses.rules import catalogue, dosing, regimen_review

from ..forms.regimen import CalculatorForm, RegimenForm, suggest_interval
from ..models import Regimen, RegimenProposal
from ..presenters import proposals as proposal_presenters
from ..presenters.regimen import (  # regimen_facts: also views/dashboard.py's
    calculator_facts,
    calculator_warnings,
    regimen_facts,
)
from ..selectors import proposals as proposal_selectors
from ..services import regimens as regimen_services
from .kidney import KidneySection

# change_reason: the kidney section's "Propose every other day" link says why (SCHED-RENAL).
PREFILL_KEYS = ("dose_basis", "weight_kg", "mg_per_kg", "administrations_per_day", "interval_days", "change_reason")


def _prefill(request) -> dict[str, str]:
    """Values handed over from the calculator's "Use this in the regimen" link."""
    return {key: request.GET[key] for key in PREFILL_KEYS if request.GET.get(key)}


@login_required
def regimen(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    return _regimen_page(request, patient)


def _regimen_page(request, patient, *, decline_error: str = "", status: int = 200):
    history = proposal_selectors.regimen_history(patient)
    current, open_proposal = history.current, history.open_proposal
    return render(
        request,
        "doses/regimen.html",
        {
            "patient": patient,
            "current": current,
            "current_facts": regimen_facts(current) if current else [],
            "versions": [(v, regimen_facts(v)) for v in history.versions],
            "proposals": [(p, regimen_facts(p)) for p in history.proposals],
            "open_proposal": open_proposal,
            "open_proposal_facts": regimen_facts(open_proposal) if open_proposal else [],
            "notice": proposal_presenters.proposal_notice_text(history.notice),
            "decline_error": decline_error,
            "next_doses": history.next_doses,
            "can_prescribe": role_can(patient.access_role, Capability.PRESCRIBE),
            "can_confirm": role_can(patient.access_role, Capability.CONFIRM),
            "kidney": KidneySection(patient),  # SCHED-RENAL: every other day to consider, with its link
            "weight_changed": bool(
                current
                and current.weight_kg_basis is not None
                and patient.weight_kg is not None
                and patient.weight_kg != current.weight_kg_basis
            ),
        },
        status=status,
    )


@login_required
def regimen_new(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.PRESCRIBE)
    current = Regimen.objects.current().filter(patient=patient).first()
    kidney = KidneySection(patient)  # SCHED-RENAL: the latest kidney result, and where it comes from
    try:
        suggestion = suggest_interval(
            kidney.status.clearance_ml_min, end_stage=kidney.status.end_stage, source=kidney.source
        )
    except catalogue.DoseRuleError:
        suggestion = None
    form = RegimenForm(
        request.POST or None,
        patient=patient,
        role=patient.access_role,
        current=current,
        initial=_initial(patient, current, suggestion, _prefill(request)),
    )
    review = []
    if request.method == "POST" and form.is_valid():
        arguments = form.regimen_arguments()
        can_confirm = role_can(patient.access_role, Capability.CONFIRM)
        try:
            saved = regimen_services.save_regimen(
                patient=patient, entered_by=request.user, can_confirm=can_confirm, **arguments
            )
        except regimen_services.RegimenNeedsReview as needs:
            # The review step: the flags are shown before saving, what was typed is kept.
            review = [f for f in needs.findings if not f.refuses]
            form.show_review(needs.findings)
        except regimen_services.RegimenRefused as refused:
            form.show_review(
                refused.findings or [regimen_review.RegimenFinding(refused.rule_id, regimen_review.REFUSE, str(refused), refused.field)]
            )
        else:
            _saved_message(request, saved)
            return redirect("doses:regimen", patient_id=patient.pk)
    return render(
        request,
        "doses/regimen_form.html",
        {
            "patient": patient,
            "form": form,
            "current": current,
            "current_facts": regimen_facts(current) if current else [],
            "suggestion": suggestion,
            "review": review,
            "is_proposal": form.is_proposal,
        },
    )


def _saved_message(request, saved) -> None:
    if saved.proposal is not None:
        messages.success(
            request,
            "Your change was sent to the clinician. Until a clinician confirms it, the confirmed regimen "
            "stays in force: keep following it.",
        )
    elif saved.regimen.is_confirmed:
        messages.success(request, f"Regimen version {saved.regimen.version} saved and confirmed.")
    else:
        messages.success(
            request,
            f"Regimen version {saved.regimen.version} saved. It is awaiting confirmation by a clinician "
            "in the care circle.",
        )
    for finding in saved.findings:
        if not finding.refuses:
            messages.warning(request, catalogue.without_rule_ids(finding.text))  # the rule: on the version's "Why?"


def _initial(patient, current: Regimen | None, suggestion, prefill: dict) -> dict:
    initial = {
        "dose_basis": Regimen.DoseBasis.WEIGHT_BASED if patient.is_child() else Regimen.DoseBasis.FIXED_ADULT,
        "weight_kg": patient.weight_kg,
        "interval_days": suggestion.interval_days if suggestion else 1,
        "administrations_per_day": 1,
        "starts_on": patient.local_today(),
    }
    if current is not None:
        initial.update(
            dose_basis=current.dose_basis,
            mg_per_kg=current.mg_per_kg,
            interval_days=current.interval_days,
            administrations_per_day=current.administrations_per_day,
            time_1=current.times_of_day[0],
            time_2=current.times_of_day[1] if len(current.times_of_day) > 1 else None,
        )
    initial.update(prefill)
    return initial


@login_required
@require_POST
def regimen_confirm(request, patient_id, regimen_id):
    patient = patient_for(request.user, patient_id, Capability.CONFIRM)
    version = get_object_or_404(Regimen, pk=regimen_id, patient=patient)
    try:
        regimen_services.confirm_regimen(regimen=version, clinician=request.user)
    except regimen_services.RegimenNotConfirmable as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Regimen version {version.version} confirmed.")
    return redirect("doses:regimen", patient_id=patient.pk)


def _back(request, patient) -> str:
    """Back to the page the clinician decided on: the patient page or the regimen page."""
    if request.POST.get("back") == "overview":
        return reverse("doses:patient", args=[patient.pk])
    return reverse("doses:regimen", args=[patient.pk])


def _regimen_page_url(request, patient) -> str:
    return reverse("doses:regimen", args=[patient.pk])


def _proposal_action(
    request,
    patient_id: int,
    proposal_id: int,
    *,
    capability: Capability,
    decide: Callable[[RegimenProposal], object],
    done_message: Callable[[object], str],
    refused: Callable[[object, object, regimen_services.RegimenRefused], HttpResponse | None] | None = None,
    back: Callable[[object, object], str] = _back,
) -> HttpResponse:
    """Confirm, decline or withdraw a proposal: the one shape of the three actions.

    The patient with `capability` (a 404 otherwise), the proposal of that patient, one
    service call (`decide`). A proposal no longer open is an error message; a refusal by
    the rules goes to `refused` (a message, or a page of its own); then back to the page.
    """
    patient = patient_for(request.user, patient_id, capability)
    proposal = get_object_or_404(RegimenProposal, pk=proposal_id, patient=patient)
    try:
        done = decide(proposal)
    except regimen_services.ProposalNotOpen as not_open:
        messages.error(request, str(not_open))
    except regimen_services.RegimenRefused as refusal:
        if refused is None:
            raise
        page = refused(request, patient, refusal)
        if page is not None:
            return page
    else:
        messages.success(request, done_message(done))
    return redirect(back(request, patient))


def _cannot_confirm(request, patient, refusal) -> None:
    # The rules changed their answer since the proposal was made (e.g. a birthday).
    messages.error(request, f"This change cannot be confirmed: {refusal}")


def _decline_page_again(request, patient, refusal) -> HttpResponse:
    return _regimen_page(request, patient, decline_error=str(refusal), status=400)


@login_required
@require_POST
def proposal_confirm(request, patient_id, proposal_id):
    return _proposal_action(
        request,
        patient_id,
        proposal_id,
        capability=Capability.CONFIRM,
        decide=lambda proposal: regimen_services.confirm_proposal(proposal=proposal, clinician=request.user),
        done_message=lambda created: (
            f"Change confirmed: regimen version {created.version} starts on {created.starts_on:%a %d %b %Y}."
        ),
        refused=_cannot_confirm,
    )


@login_required
@require_POST
def proposal_decline(request, patient_id, proposal_id):
    return _proposal_action(
        request,
        patient_id,
        proposal_id,
        capability=Capability.CONFIRM,
        decide=lambda proposal: regimen_services.decline_proposal(
            proposal=proposal, clinician=request.user, reason=request.POST.get("decline_reason", "")
        ),
        done_message=lambda _declined: "Change declined. The family sees your reason; the confirmed regimen stays.",
        refused=_decline_page_again,
    )


@login_required
@require_POST
def proposal_withdraw(request, patient_id, proposal_id):
    return _proposal_action(
        request,
        patient_id,
        proposal_id,
        capability=Capability.PRESCRIBE,
        decide=lambda proposal: regimen_services.withdraw_proposal(proposal=proposal, by=request.user),
        done_message=lambda _withdrawn: "Change withdrawn. The confirmed regimen stays in force.",
        back=_regimen_page_url,
    )


def _calculator_context(request, form: CalculatorForm, patient=None) -> dict:
    context = {"form": form, "patient": patient, "resolution": dosing.ML_RESOLUTION, "syringe_ml": dosing.SYRINGE_ML}
    if form.is_bound and form.is_valid() and form.dose is not None:
        context["dose"] = form.dose
        context["facts"] = calculator_facts(form)
        context["warnings"] = calculator_warnings(form)
        if patient is not None and role_can(patient.access_role, Capability.PRESCRIBE):
            handover = {
                "dose_basis": Regimen.DoseBasis.WEIGHT_BASED,
                "weight_kg": form.dose.weight_kg,
                "mg_per_kg": form.dose.mg_per_kg,
                "administrations_per_day": form.administrations,
            }
            if form.suggestion is not None:
                handover["interval_days"] = form.suggestion.interval_days
            context["use_action"] = reverse("doses:regimen_new", args=[patient.pk])
            context["use_fields"] = list(handover.items())
            context["use_url"] = context["use_action"] + "?" + urlencode(handover)
    return context


@login_required
def calculator(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    data = request.GET if request.GET else None
    clearance = KidneySection(patient).status.clearance_ml_min  # SCHED-RENAL: the latest kidney result
    initial = {"weight_kg": patient.weight_kg, "creatinine_clearance_ml_min": clearance}
    form = CalculatorForm(data, initial={k: v for k, v in initial.items() if v is not None})
    return render(request, "doses/calculator.html", _calculator_context(request, form, patient))


@login_required
def calculator_any(request):
    form = CalculatorForm(request.GET if request.GET else None)
    return render(request, "doses/calculator.html", _calculator_context(request, form))
