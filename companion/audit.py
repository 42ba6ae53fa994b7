"""The audit trail: who viewed, changed or exported which patient's record, and when.

One middleware records every patient-scoped request that a view answered with success
(2xx or 3xx) for a signed-in person: a GET is "viewed", a POST that redirected (saved)
is "changed", and a URL whose name contains "export" is "exported". Views never need to remember to call it,
so a new patient page is audited from the day it is added. Denied requests (404) are not
recorded: the permission helper answers them before any record is shown.
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AuditAction, AuditEvent, Patient, User


def action_for(method: str, url_name: str, status_code: int = 302) -> str:
    if "export" in url_name:
        return AuditAction.EXPORTED
    if method in ("GET", "HEAD", "OPTIONS"):
        return AuditAction.VIEWED
    # A form that saved redirects (post/redirect/get); one shown again with a message (200)
    # changed nothing, but the person still saw the record.
    return AuditAction.CHANGED if 300 <= status_code < 400 else AuditAction.VIEWED


def record(
    *,
    actor: User | None,
    patient_id: int,
    action: str,
    method: str,
    path: str,
    url_name: str = "",
    status_code: int | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        patient_id=patient_id,
        patient_ref=patient_id,
        action=action,
        method=method[:8],
        path=path[:500],
        url_name=url_name[:100],
        status_code=status_code,
    )


def record_change(request, *, patient_id: int) -> AuditEvent:
    """For a change to a patient made through a URL without the patient's id (a new profile,
    an accepted invitation), which the middleware cannot see."""
    url_name = getattr(getattr(request, "resolver_match", None), "view_name", "") or ""
    return record(
        actor=request.user,
        patient_id=patient_id,
        action=AuditAction.CHANGED,
        method=request.method,
        path=request.path,
        url_name=url_name,
    )


def events_for(patient: Patient) -> QuerySet[AuditEvent]:
    """The trail of one patient, newest first, with who did it in the same query."""
    return AuditEvent.objects.filter(patient_ref=patient.pk).select_related("actor")


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        if (
            match is not None
            and "patient_id" in match.kwargs
            and 200 <= response.status_code < 400
            and user is not None
            and user.is_authenticated
            # A view that deletes the record writes its own event first (see views.patient_delete).
            and not getattr(request, "audit_recorded", False)
        ):
            try:
                patient_id = int(match.kwargs["patient_id"])
            except (TypeError, ValueError):
                return response
            url_name = match.view_name or ""
            record(
                actor=user,
                patient_id=patient_id,
                action=action_for(request.method, url_name, response.status_code),
                method=request.method,
                path=request.path,
                url_name=url_name,
                status_code=response.status_code,
            )
        return response
