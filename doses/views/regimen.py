from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from companion.access import Capability, patient_for


@login_required
def regimen(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    versions = patient.regimens.select_related("entered_by", "confirmed_by").order_by("-version")
    return render(request, "doses/regimen.html", {"patient": patient, "versions": versions})
