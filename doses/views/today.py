from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from companion.access import Capability, patient_for

from ..models import DoseSlot, Regimen


@login_required
def today(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    local_today = patient.local_today()
    slots = DoseSlot.objects.filter(patient=patient, local_date=local_today).select_related("injection")
    regimen = Regimen.objects.current().filter(patient=patient).first()
    return render(request, "doses/today.html", {"patient": patient, "slots": slots, "regimen": regimen})
