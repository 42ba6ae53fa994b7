from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from companion.access import patients_visible_to
from companion.models import CareRole


@login_required
def panel(request):
    patients = patients_visible_to(request.user).filter(
        memberships__user=request.user, memberships__role=CareRole.CLINICIAN, memberships__revoked_at__isnull=True
    )
    return render(request, "doses/panel.html", {"patients": patients})
