"""The patient's home: today's doses, the missed-dose advice, the next spot, supply, attention."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from companion.access import Capability, can, patient_for

from ..forms.injection import DiscardForm
from ..presenters import holds as hold_presenters
from ..presenters import today as today_presenters
from ..selectors import today as today_selectors
from ..services import holds
from ..services import slots as slot_services


@login_required
def today(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    now = timezone.now()
    # Doses exist even if the scheduler has not run (idempotent); a day an open hold covers
    # gets its new doses held (doses/schedule.py).
    slot_services.materialise_upcoming_slots(patient=patient, now=now)
    # Dates and times on the page are the patient's own local time (SCHED-TZ).
    with timezone.override(patient.zone):
        page = today_presenters.today_page(today_selectors.today_summary(patient, now))
        return render(
            request,
            "doses/today.html",
            {
                "patient": patient,
                "page": page,
                "can_log": can(request.user, patient, Capability.LOG),
                "discard_form": DiscardForm(),
                "held": hold_presenters.hold_notice(holds.hold_in_force(patient, now)),
            },
        )
