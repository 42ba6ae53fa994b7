"""Hold, resume and stop treatment (clinicians: the CONFIRM capability). POST only.

Each view resolves the patient with CONFIRM (a 404 for anyone else, like regimen_confirm),
parses the form and calls one service. A refusal or bad input shows the patient page
again with the form as typed and the reason, with status 400.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from companion.access import Capability, patient_for

from ..forms.holds import HoldForm, ResumeForm, StopForm
from ..presenters import holds as hold_presenters
from ..selectors import patient_page as patient_page_selectors
from ..services import holds
from .dashboard import patient_page_context


def _page_again(request, patient, **forms):
    date_range = patient_page_selectors.parse_date_range(None, None, today=patient.local_today())
    context = patient_page_context(patient, date_range)
    context.update(forms)
    return render(request, "doses/dashboard/patient.html", context, status=400)


def _refused(form, refused: holds.HoldRefused) -> None:
    field = refused.field if refused.field in form.fields else None
    form.add_error(field, str(refused))


@login_required
@require_POST
def hold(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.CONFIRM)
    form = HoldForm(request.POST, prefix="hold")
    if form.is_valid():
        try:
            held = holds.hold_treatment(patient=patient, by=request.user, **form.cleaned_data)
        except holds.HoldRefused as refused:
            _refused(form, refused)
        else:
            messages.success(request, hold_presenters.hold_started_message(held))
            return redirect("doses:patient", patient_id=patient.pk)
    return _page_again(request, patient, hold_form=form)


@login_required
@require_POST
def resume(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.CONFIRM)
    form = ResumeForm(request.POST, prefix="resume")
    if form.is_valid():
        try:
            holds.resume_treatment(patient=patient, by=request.user, **form.cleaned_data)
        except holds.HoldRefused as refused:
            _refused(form, refused)
        else:
            messages.success(request, "Treatment resumed: doses are due again from tomorrow.")
            return redirect("doses:patient", patient_id=patient.pk)
    return _page_again(request, patient, resume_form=form)


@login_required
@require_POST
def stop(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.CONFIRM)
    form = StopForm(request.POST, prefix="stop")
    if form.is_valid():
        try:
            holds.stop_treatment(patient=patient, by=request.user, **form.cleaned_data)
        except holds.HoldRefused as refused:
            _refused(form, refused)
        else:
            messages.success(request, "Treatment stopped. No more doses or reminders; a new regimen restarts it.")
            return redirect("doses:patient", patient_id=patient.pk)
    return _page_again(request, patient, stop_form=form)
