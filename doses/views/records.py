"""Side effects, supply, fridge, medicines and vaccines, the before-you-start checklist, labs.

Thin views: the permission helper first (VIEW to read, LOG to write: patient, parent,
caregiver; clinicians read), then a selector or service, then render. Each page runs
with the patient's time zone active, so typed times mean the patient's local clock and
times are shown the same way (SCHED-TZ).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from companion import care_team
from companion.access import Capability, can, patient_for
from companion.models import CareRole
from doses import before_you_start as start_checks
from doses import vaccines as vaccine_rules
from doses.rules import catalogue
from doses.rules import lab_checks as neutrophil_rules

from .. import medicines as medicine_rules
from .. import triage as triage_rules
from ..forms.kidney import KidneyFunctionForm
from ..forms.records import (
    BaselineChecklistForm,
    FridgeCloseForm,
    FridgeOutForm,
    LabResultForm,
    MedicineForm,
    PickupForm,
    SideEffectForm,
    SupplyCountForm,
    VaccinationForm,
)
from ..models import FridgeSyringe, OtherMedicine, SideEffect, TreatmentHold
from ..presenters import kidney as kidney_presenters
from ..presenters import records as record_presenters
from ..selectors import records as record_selectors
from ..services import holds, refusals
from ..services import kidney as kidney_services
from ..services import records as record_services
from .kidney import KidneySection

READ_OR_WRITE = require_http_methods(["GET", "POST"])


def _capability(request) -> Capability:
    return Capability.LOG if request.method == "POST" else Capability.VIEW


def _refused(form, error: refusals.RecordRefused) -> None:
    """Put a service's refusal back on the form, on its field when the form has it: in plain
    words, the rule it cites kept on `form.refused_rule_ids` for the form's "Why?" (issue 16)."""
    words, cited = catalogue.split_rule_ids(str(error))
    form.refused_rule_ids = [*getattr(form, "refused_rule_ids", []), *cited]
    form.add_error(error.field if error.field in form.fields else None, words)


def _symptom_label(side_effect: SideEffect) -> str:
    return record_presenters.symptom_label(symptom=side_effect.symptom, description=side_effect.description)


def _base_context(request, patient, tab: str) -> dict:
    return {
        "patient": patient,
        "tab": tab,
        "can_log": can(request.user, patient, Capability.LOG),
        # Shown on first use: until the before-you-start questions are answered, every page asks.
        "needs_baseline": tab != "baseline" and record_selectors.needs_baseline_checklist(patient),
    }


# --- side effects (AE-COMMON, AE-SERIOUS, AE-ISR-DURATION, AE-ALLERGY, AE-OVERDOSE, AE-REPORT) ---


@login_required
@READ_OR_WRITE
def side_effects(request, patient_id):
    patient = patient_for(request.user, patient_id, _capability(request))
    with timezone.override(patient.zone):
        form = SideEffectForm(
            request.POST or None,
            patient=patient,
            injections=record_selectors.recent_injections(patient),
            action=reverse("doses:side_effects", args=[patient.pk]),
        )
        if request.method == "POST" and form.is_valid():
            try:
                recorded = record_services.record_side_effect(patient=patient, by=request.user, **form.cleaned_data)
            except refusals.RecordRefused as error:
                _refused(form, error)
            else:
                return redirect(
                    "doses:side_effect_detail", patient_id=patient.pk, side_effect_id=recorded.side_effect.pk
                )
        open_rows, resolved_rows = record_selectors.side_effects_for_page(patient)
        today = patient.local_today()
        for row in open_rows + resolved_rows:
            row.symptom_label = _symptom_label(row)
            row.persistent = (
                row.is_site_reaction
                and row.resolved_at is None
                and (triage_rules.is_persistent_site_reaction(row.started_on, today))
            )
        context = {
            **_base_context(request, patient, "side_effects"),
            "form": form,
            "open_rows": open_rows,
            "resolved_rows": resolved_rows,
        }
        return render(request, "doses/records/side_effects.html", context)


@login_required
@require_http_methods(["GET"])
def side_effect_detail(request, patient_id, side_effect_id):
    """What to do now: shown at once after logging, and whenever the symptom is opened again."""
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    side_effect = get_object_or_404(
        SideEffect.objects.select_related("logged_by", "injection"), pk=side_effect_id, patient=patient
    )
    with timezone.override(patient.zone):
        result = triage_rules.triage(
            side_effect.symptom, side_effect.severity, side_effect.description, numbers=patient.emergency_numbers
        )
        context = {
            **_base_context(request, patient, "side_effects"),
            "side_effect": side_effect,
            "symptom_label": _symptom_label(side_effect),
            "triage": result,
            "description_reading": record_presenters.description_reading(result),
            "chosen_from_list": side_effect.symptom != triage_rules.OTHER,  # it counts whatever the text says
            "alerts": list(side_effect.alerts.all()),
            # AE-SERIOUS: who to call, the clinic first (companion/care_team.py); None when not filled in.
            "care_team_call": care_team.care_team_call(care_team.card_for(patient), region=patient.country_code)
            if result.is_serious
            else None,
            "has_clinician": patient.memberships.active().filter(role=CareRole.CLINICIAN).exists(),
            "persistent": side_effect.is_site_reaction
            and side_effect.resolved_at is None
            and triage_rules.is_persistent_site_reaction(side_effect.started_on, patient.local_today()),
        }
        return render(request, "doses/records/side_effect_detail.html", context)


@login_required
@require_POST
def side_effect_resolve(request, patient_id, side_effect_id):
    patient = patient_for(request.user, patient_id, Capability.LOG)
    side_effect = get_object_or_404(SideEffect, pk=side_effect_id, patient=patient)
    record_services.resolve_side_effect(side_effect=side_effect, by=request.user)
    messages.success(request, f"Marked as gone: {_symptom_label(side_effect)}.")
    return redirect("doses:side_effects", patient_id=patient.pk)


# --- supply (SUPPLY-BOX, STORE) and fridge (PREP-WARM, PREP-24H) ---


def _supply_page(request, patient, *, pickup_form=None, count_form=None, status=200):
    with timezone.override(patient.zone):
        context = {
            **_base_context(request, patient, "supply"),
            "summary": record_selectors.supply_summary(patient),
            "history": record_selectors.supply_history(patient),
            "open_fridge": record_selectors.open_fridge_syringes(patient),
            "pickup_form": pickup_form
            or PickupForm(patient=patient, action=reverse("doses:supply", args=[patient.pk])),
            "count_form": count_form
            or SupplyCountForm(patient=patient, action=reverse("doses:supply_correct", args=[patient.pk])),
            "now": timezone.now(),
        }
        return render(request, "doses/records/supply.html", context, status=status)


@login_required
@READ_OR_WRITE
def supply(request, patient_id):
    patient = patient_for(request.user, patient_id, _capability(request))
    if request.method == "GET":
        return _supply_page(request, patient)
    form = PickupForm(request.POST, patient=patient, action=reverse("doses:supply", args=[patient.pk]))
    if form.is_valid():
        try:
            event = record_services.record_pickup(patient=patient, by=request.user, **form.cleaned_data)
        except refusals.RecordRefused as error:
            _refused(form, error)
        else:
            messages.success(request, record_presenters.pickup_message(boxes=event.boxes, syringes=event.syringes))
            return redirect("doses:supply", patient_id=patient.pk)
    return _supply_page(request, patient, pickup_form=form)


@login_required
@require_POST
def supply_correct(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.LOG)
    form = SupplyCountForm(request.POST, patient=patient, action=reverse("doses:supply_correct", args=[patient.pk]))
    if form.is_valid():
        try:
            event = record_services.correct_supply_count(patient=patient, by=request.user, **form.cleaned_data)
        except refusals.RecordRefused as error:
            _refused(form, error)
        else:
            messages.success(request, record_presenters.count_message(change=event.syringes))
            return redirect("doses:supply", patient_id=patient.pk)
    return _supply_page(request, patient, count_form=form)


@login_required
@READ_OR_WRITE
def fridge(request, patient_id):
    patient = patient_for(request.user, patient_id, _capability(request))
    with timezone.override(patient.zone):
        form = FridgeOutForm(request.POST or None, patient=patient, action=reverse("doses:fridge", args=[patient.pk]))
        if request.method == "POST" and form.is_valid():
            try:
                syringe = record_services.take_syringe_out_of_fridge(
                    patient=patient, by=request.user, taken_out_at=form.cleaned_data["taken_out_at"]
                )
            except refusals.RecordRefused as error:
                _refused(form, error)
            else:
                use_by = timezone.localtime(syringe.use_by)
                messages.success(request, record_presenters.fridge_out_message(use_by=use_by))
                return redirect("doses:fridge", patient_id=patient.pk)
        context = {
            **_base_context(request, patient, "fridge"),
            "form": form,
            "open_fridge": record_selectors.open_fridge_syringes(patient),
            "now": timezone.now(),
        }
        return render(request, "doses/records/fridge.html", context)


@login_required
@require_POST
def fridge_close(request, patient_id, fridge_syringe_id):
    patient = patient_for(request.user, patient_id, Capability.LOG)
    syringe = get_object_or_404(FridgeSyringe, pk=fridge_syringe_id, patient=patient)
    form = FridgeCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what happened to the syringe.")
        return redirect("doses:fridge", patient_id=patient.pk)
    try:
        outcome = record_services.close_fridge_syringe(
            fridge_syringe=syringe, outcome=form.cleaned_data["outcome"], by=request.user
        )
    except refusals.RecordRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            {
                record_services.FRIDGE_USED: "Marked as used. Remember to log the dose if you have not yet.",
                record_services.FRIDGE_DISCARDED: "Marked as discarded; one syringe taken off the supply.",
                record_services.FRIDGE_PUT_BACK: "Marked as back in the fridge. Time already spent at room temperature "
                "counts towards the 24 hours (PREP-24H).",
            }[outcome],
        )
    return redirect("doses:fridge", patient_id=patient.pk)


# --- medicines and vaccines (IX-TNF, IX-BIOLOGIC, IX-IMMUNO, IX-LIVE-VACCINE, PRE-CHILD-VACCINE) ---


def _medicines_page(request, patient, *, medicine_form=None, vaccination_form=None, status=200):
    with timezone.override(patient.zone):
        current, stopped = record_selectors.medicines_for_page(patient)
        vaccinations = list(record_selectors.vaccinations_for_page(patient))
        is_child = patient.is_child()
        covered = set()
        for vaccination in vaccinations:
            covered |= vaccine_rules.classify_vaccine(vaccination.name, "no").covers
        baseline = record_selectors.baseline_for(patient)
        if baseline is not None:
            covered |= {"pneumococcal"} if baseline.pneumococcal_vaccinated else set()
            covered |= {"hib"} if baseline.hib_vaccinated else set()
        context = {
            **_base_context(request, patient, "medicines"),
            "current": [
                (
                    m,
                    medicine_rules.stored_medicine_advice(
                        name=m.name, category=m.category, generic_name=m.generic_name, match=m.match
                    ),
                )
                for m in current
            ],
            "stopped": stopped,
            "vaccinations": vaccinations,
            "is_child": is_child,
            "child_vaccines_missing": [
                label for code, label in (("pneumococcal", "pneumococcal"), ("hib", "Hib")) if code not in covered
            ]
            if is_child
            else [],
            "medicine_names": medicine_rules.medicine_names(),
            "vaccine_names": vaccine_rules.vaccine_names(),
            "medicine_form": medicine_form
            or MedicineForm(patient=patient, action=reverse("doses:medicines", args=[patient.pk])),
            "vaccination_form": vaccination_form
            or VaccinationForm(patient=patient, action=reverse("doses:vaccinations", args=[patient.pk])),
        }
        return render(request, "doses/records/medicines.html", context, status=status)


def _message_level(level: str) -> int:
    return {"danger": messages.ERROR, "warning": messages.WARNING}.get(level, messages.INFO)


@login_required
@READ_OR_WRITE
def medicines(request, patient_id):
    patient = patient_for(request.user, patient_id, _capability(request))
    if request.method == "GET":
        return _medicines_page(request, patient)
    form = MedicineForm(request.POST, patient=patient, action=reverse("doses:medicines", args=[patient.pk]))
    if form.is_valid():
        try:
            recorded = record_services.record_medicine(patient=patient, by=request.user, **form.cleaned_data)
        except refusals.RecordRefused as error:
            _refused(form, error)
        else:
            messages.add_message(
                request,
                _message_level(recorded.advice.level),
                f"{recorded.medicine.name} added. {recorded.advice.message}",
            )
            return redirect("doses:medicines", patient_id=patient.pk)
    return _medicines_page(request, patient, medicine_form=form)


@login_required
@require_POST
def medicine_stop(request, patient_id, medicine_id):
    patient = patient_for(request.user, patient_id, Capability.LOG)
    medicine = get_object_or_404(OtherMedicine, pk=medicine_id, patient=patient)
    try:
        record_services.stop_medicine(medicine=medicine, stopped_on=patient.local_today(), by=request.user)
    except refusals.RecordRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{medicine.name} marked as stopped today.")
    return redirect("doses:medicines", patient_id=patient.pk)


@login_required
@READ_OR_WRITE
def vaccinations(request, patient_id):
    patient = patient_for(request.user, patient_id, _capability(request))
    if request.method == "GET":
        return _medicines_page(request, patient)
    form = VaccinationForm(request.POST, patient=patient, action=reverse("doses:vaccinations", args=[patient.pk]))
    if form.is_valid():
        try:
            recorded = record_services.record_vaccination(
                patient=patient,
                by=request.user,
                name=form.cleaned_data["name"],
                given_on=form.cleaned_data["given_on"],
                is_live_answer=form.cleaned_data["is_live"],
            )
        except refusals.RecordRefused as error:
            _refused(form, error)
        else:
            messages.add_message(
                request,
                _message_level(recorded.advice.level),
                f"{recorded.vaccination.name} logged. {recorded.advice.message}",
            )
            return redirect(reverse("doses:medicines", args=[patient.pk]) + "#vaccinations")
    return _medicines_page(request, patient, vaccination_form=form)


# --- before you start (AE-INFECTION, AE-ALLERGY, PRE-PREGNANCY, PRE-CHILD-VACCINE, PRE-SURGERY, ONSET) ---


@login_required
@READ_OR_WRITE
def baseline(request, patient_id):
    patient = patient_for(request.user, patient_id, _capability(request))
    checklist = record_selectors.baseline_for(patient)
    initial = BaselineChecklistForm.initial_from(checklist) if checklist else None
    form = BaselineChecklistForm(
        request.POST or None,
        initial=initial,
        patient=patient,
        action=reverse("doses:baseline", args=[patient.pk]),
    )
    if request.method == "POST" and form.is_valid():
        record_services.save_baseline_checklist(patient=patient, by=request.user, **form.cleaned_data)
        messages.success(request, "Answers saved. Your care team can see them.")
        held = holds.hold_in_force(patient)
        if held is not None and held.hold is not None and held.hold.trigger == TreatmentHold.Trigger.CHECKLIST:
            messages.warning(
                request,
                "Treatment is on hold until the doctor has reviewed it: do not inject. "
                + holds.rule_advice(held.rule_id, held.numbers),
            )
        return redirect("doses:baseline", patient_id=patient.pk)
    findings = []
    if checklist is not None:
        findings = start_checks.baseline_findings(
            active_infection=checklist.active_infection,
            ecoli_protein_allergy=checklist.ecoli_protein_allergy,
            latex_allergy=checklist.latex_allergy,
            pregnant_or_breastfeeding=checklist.pregnant_or_breastfeeding,
            is_child=patient.is_child(),
            pneumococcal_vaccinated=checklist.pneumococcal_vaccinated,
            hib_vaccinated=checklist.hib_vaccinated,
        )
    with timezone.override(patient.zone):
        context = {
            **_base_context(request, patient, "baseline"),
            "form": form,
            "checklist": checklist,
            "findings": findings,
            "items": start_checks.CHECKLIST,
            "information": start_checks.INFORMATION,
            "onset_notes": start_checks.onset_notes(patient.indication),
            "is_child": patient.is_child(),
        }
        return render(request, "doses/records/baseline.html", context)


# --- labs (AE-LABS) ---


@login_required
@READ_OR_WRITE
def labs(request, patient_id):
    patient = patient_for(request.user, patient_id, _capability(request))
    form = LabResultForm(request.POST or None, patient=patient, action=reverse("doses:labs", args=[patient.pk]))
    if request.method == "POST" and form.is_valid():
        try:
            test = record_services.record_lab_result(by=request.user, **form.cleaned_data)
        except refusals.RecordRefused as error:
            _refused(form, error)
        else:
            messages.success(request, f"Result saved for {test.label}.")
            if neutrophil_rules.is_neutropenic(test.neutrophils_10e9_per_l):
                # AE-NEUTROPENIA: the service held the start or alerted the care team; say so.
                messages.warning(request, kidney_presenters.low_neutrophils_message(test.neutrophils_10e9_per_l))
            return redirect("doses:labs", patient_id=patient.pk)
    return labs_page(request, patient, form=form)


def labs_page(request, patient, *, form=None, kidney_form=None):
    """AE-LABS and SCHED-RENAL: the blood tests page, with the neutrophil trend and kidney function."""
    form = form or LabResultForm(patient=patient, action=reverse("doses:labs", args=[patient.pk]))
    context = {
        **_base_context(request, patient, "labs"),
        "form": form,
        "rows": record_selectors.lab_tests_for_page(patient, patient.local_today()),
        "k": KidneySection(patient, form=kidney_form),
    }
    return render(request, "doses/records/labs.html", context)


@login_required
@require_POST
def kidney_result(request, patient_id):
    """SCHED-RENAL: a clinician records a kidney function result (Capability.CONFIRM)."""
    patient = patient_for(request.user, patient_id, Capability.CONFIRM)
    form = KidneyFunctionForm(request.POST, patient=patient, action=reverse("doses:kidney_result", args=[patient.pk]))
    if form.is_valid():
        try:
            recorded = kidney_services.record_kidney_function(patient=patient, by=request.user, **form.cleaned_data)
        except refusals.RecordRefused as error:
            _refused(form, error)
        else:
            facts = kidney_presenters.kidney_facts(recorded.measurement)
            messages.success(request, f"Kidney function saved: {facts.headline} ({facts.source}).")
            if recorded.alert is not None:
                messages.warning(request, recorded.alert.summary)
            return redirect(reverse("doses:labs", args=[patient.pk]) + "#kidney")
    return labs_page(request, patient, kidney_form=form)
