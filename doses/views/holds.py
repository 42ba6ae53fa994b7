"""Hold, resume and stop treatment (clinicians: the CONFIRM capability). POST only.

The three are one action with a different form, service and message (_clinician_action):
resolve the patient with CONFIRM (a 404 for anyone else, like regimen_confirm), parse the
form and call one service. A refusal or bad input shows the patient page
again with the form as typed and the reason, with status 400.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
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


def _clinician_action(
    request,
    patient_id: int,
    form_class: type[forms.Form],
    prefix: str,
    service: Callable[..., object],
    message: Callable[[object], str],
):
    """Hold, resume or stop: the patient with CONFIRM, the form parsed, one service call.

    Done: the success message (`message` of what the service returned) and the patient
    page. Bad input or a refusal: the page again with the form as typed, status 400.
    """
    patient = patient_for(request.user, patient_id, Capability.CONFIRM)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            done = service(patient=patient, by=request.user, **form.cleaned_data)
        except holds.HoldRefused as refused:
            _refused(form, refused)
        else:
            messages.success(request, message(done))
            return redirect("doses:patient", patient_id=patient.pk)
    return _page_again(request, patient, **{f"{prefix}_form": form})


@login_required
@require_POST
def hold(request, patient_id):
    return _clinician_action(
        request, patient_id, HoldForm, "hold", holds.hold_treatment, hold_presenters.hold_started_message
    )


@login_required
@require_POST
def resume(request, patient_id):
    return _clinician_action(
        request,
        patient_id,
        ResumeForm,
        "resume",
        holds.resume_treatment,
        lambda _resumed: "Treatment resumed: doses are due again from tomorrow.",
    )


@login_required
@require_POST
def stop(request, patient_id):
    return _clinician_action(
        request,
        patient_id,
        StopForm,
        "stop",
        holds.stop_treatment,
        lambda _stopped: "Treatment stopped. No more doses or reminders; a new regimen restarts it.",
    )
