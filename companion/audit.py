"""The audit trail: who viewed, changed or exported which patient's record, and when.

One middleware records every patient-scoped request that a view answered with success
(2xx or 3xx) for a signed-in person: a GET is "viewed", a POST that redirected (saved)
is "changed", and a URL whose name contains "export" is "exported". Views never need to remember to call it,
so a new patient page is audited from the day it is added. Denied requests (404) are not
recorded: the permission helper answers them before any record is shown.

A change and its audit row are one transaction: every POST (PUT, PATCH, DELETE) of a
signed-in person runs inside `transaction.atomic()` opened here, and the "changed" row is
written inside that block once the response is known to be a success. An error response
on a patient's record, any server error, or a failing audit insert rolls the whole request
back, so a change is never stored without its row (nor a row without its change). The
services' own `atomic` blocks become savepoints inside it, and their `on_commit` work (a
care alert queued, a summary refreshed) runs only after this outer commit. This lives in
the middleware rather than in each service so that no new view or service can forget it.
"""

from __future__ import annotations

from django.db import transaction
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
    an accepted invitation), which the middleware cannot see.

    Runs inside the request's transaction (AuditMiddleware), so the change and this row
    commit together; an error response after it rolls both back."""
    url_name = getattr(getattr(request, "resolver_match", None), "view_name", "") or ""
    request.audit_recorded = True
    return record(
        actor=request.user,
        patient_id=patient_id,
        action=AuditAction.CHANGED,
        method=request.method,
        path=request.path,
        url_name=url_name,
    )


def events_for(patient: Patient, *, actor_id: int | None = None) -> QuerySet[AuditEvent]:
    """The trail of one patient, newest first, with who did it in the same query (one person's, if given)."""
    events = AuditEvent.objects.filter(patient_ref=patient.pk).select_related("actor")
    return events.filter(actor_id=actor_id) if actor_id is not None else events


# --- The trail in words (issue 16, point 10): what happened, not the path of the request ---
# A row stores the URL name, the method and the outcome; these say what that was for a person.
# URL names are plain strings here, so companion names pages of the apps above it without
# importing them (the layers contract).

PAGE_NAMES = {
    "doses:today": "Today",
    "doses:log": "the dose log",
    "doses:not_taken": "a dose not taken",
    "doses:discard": "a discarded syringe",
    "doses:side_effects": "side effects",
    "doses:side_effect_detail": "a side effect",
    "doses:side_effect_resolve": "a side effect",
    "doses:supply": "the syringe supply",
    "doses:supply_correct": "the syringe count",
    "doses:fridge": "the fridge",
    "doses:fridge_close": "a syringe out of the fridge",
    "doses:medicines": "other medicines",
    "doses:medicine_stop": "another medicine",
    "doses:vaccinations": "vaccinations",
    "doses:baseline": "the before-you-start questions",
    "doses:labs": "blood tests",
    "doses:kidney_result": "kidney function",
    "doses:regimen": "the regimen",
    "doses:regimen_new": "the regimen form",
    "doses:regimen_confirm": "the regimen",
    "doses:proposal_confirm": "a proposed regimen change",
    "doses:proposal_decline": "a proposed regimen change",
    "doses:proposal_withdraw": "a proposed regimen change",
    "doses:calculator": "the dose calculator",
    "doses:patient": "the clinician's overview",
    "doses:report": "the report",
    "doses:treatment_hold": "the treatment hold",
    "doses:treatment_resume": "the treatment hold",
    "doses:treatment_stop": "stopping treatment",
    "reminders:preferences": "reminder settings",
    "reminders:feed_settings": "the calendar feed",
    "reminders:feed_regenerate": "the calendar feed",
    "patient_edit": "the profile",
    "circle": "the care circle",
    "membership_revoke": "the care circle",
    "invitation_revoke": "the care circle",
    "data_rights": "download or delete",
    "patient_delete": "deleting the profile",
    "audit_trail": "this audit trail",
}

CHANGE_WORDS = {
    "doses:log": "Dose logged",
    "doses:not_taken": "Dose recorded as not taken",
    "doses:discard": "Syringe recorded as discarded",
    "doses:side_effects": "Side effect recorded",
    "doses:side_effect_resolve": "Side effect marked as gone",
    "doses:supply": "Pharmacy pick-up recorded",
    "doses:supply_correct": "Syringe count corrected",
    "doses:fridge": "Syringe taken out of the fridge",
    "doses:fridge_close": "Syringe out of the fridge closed",
    "doses:medicines": "Other medicine recorded",
    "doses:medicine_stop": "Other medicine stopped",
    "doses:vaccinations": "Vaccination recorded",
    "doses:baseline": "Before-you-start questions answered",
    "doses:labs": "Blood test result recorded",
    "doses:kidney_result": "Kidney function recorded",
    "doses:regimen": "Regimen changed",
    "doses:regimen_new": "Regimen changed",
    "doses:regimen_confirm": "Regimen confirmed",
    "doses:proposal_confirm": "Proposed regimen change confirmed",
    "doses:proposal_decline": "Proposed regimen change declined",
    "doses:proposal_withdraw": "Proposed regimen change withdrawn",
    "doses:treatment_hold": "Treatment put on hold",
    "doses:treatment_resume": "Treatment resumed",
    "doses:treatment_stop": "Treatment stopped",
    "reminders:preferences": "Reminder settings changed",
    "reminders:feed_settings": "Calendar feed changed",
    "reminders:feed_regenerate": "Calendar feed address replaced",
    "patient_edit": "Profile changed",
    "patient_new": "Profile created",
    "invitation_accept": "Invitation accepted",
    "circle": "Invitation sent",
    "membership_revoke": "Someone's access removed",
    "invitation_revoke": "Invitation withdrawn",
    "patient_delete": "Profile deleted",
    "data_rights": "Caregivers' download setting changed",
}

EXPORT_WORDS = {
    "doses:export_csv": "Dose record downloaded (spreadsheet, CSV)",
    "doses:export_fhir": "Health record downloaded (FHIR)",
}


def describe(event: AuditEvent) -> str:
    """What one audit row means, in words: "Dose logged", "Opened the care circle"."""
    name = event.url_name
    if event.action == AuditAction.EXPORTED:
        return EXPORT_WORDS.get(name, "Record downloaded")
    if event.action == AuditAction.CHANGED:
        page = PAGE_NAMES.get(name)
        return CHANGE_WORDS.get(name) or (f"Changed {page}" if page else "Record changed")
    page = PAGE_NAMES.get(name)
    return f"Opened {page}" if page else "Opened the record"


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _patient_id_of(request) -> int | None:
    match = getattr(request, "resolver_match", None)
    if match is None or "patient_id" not in match.kwargs:
        return None
    try:
        return int(match.kwargs["patient_id"])
    except (TypeError, ValueError):
        return None


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        # Reading the user (the session and account queries) also runs Django's connection
        # health check, before the transaction opens: inside it a dead connection could not
        # be replaced (tests/companion/test_database_faults.py).
        if request.method in UNSAFE_METHODS and user is not None and user.is_authenticated:
            return self._change_in_one_transaction(request, user)
        response = self.get_response(request)
        self._record(request, response, user)
        return response

    def _change_in_one_transaction(self, request, user):
        # Anonymous POSTs (sign-in, sign-up, password reset) stay outside: they change no
        # patient's record. Outside a patient's record only a server error rolls back, so a
        # form shown again (200) or refused (4xx) keeps what it wrote, as before.
        with transaction.atomic():
            response = self.get_response(request)
            audited = _patient_id_of(request) is not None or getattr(request, "audit_recorded", False)
            if response.status_code >= 500 or (audited and response.status_code >= 400):
                # The view's exception was already turned into this response: undo its writes.
                transaction.set_rollback(True)
            else:
                # A database error here leaves the block by exception: the change goes with it.
                self._record(request, response, user)
        return response

    def _record(self, request, response, user) -> None:
        patient_id = _patient_id_of(request)
        if (
            patient_id is None
            or not 200 <= response.status_code < 400
            or user is None
            or not user.is_authenticated
            # A view that deletes the record writes its own event first (see views.patient_delete).
            or getattr(request, "audit_recorded", False)
        ):
            return
        url_name = request.resolver_match.view_name or ""
        record(
            actor=user,
            patient_id=patient_id,
            action=action_for(request.method, url_name, response.status_code),
            method=request.method,
            path=request.path,
            url_name=url_name,
            status_code=response.status_code,
        )
