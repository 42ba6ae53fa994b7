"""The one permission helper. Every view that touches a patient starts here.

Patients see themselves; parents, caregivers and clinicians see only patients who
linked them through an active care-circle membership. Everyone else gets a 404, so
that a stranger cannot even learn that a patient id exists.
"""

from __future__ import annotations

import enum

from django.db.models import QuerySet
from django.http import Http404

from .models import CareMembership, CareRole, Patient


class Capability(enum.Enum):
    VIEW = "view"  # read the record, dashboards and exports
    LOG = "log"  # log injections, symptoms, supply, fridge
    MANAGE = "manage"  # edit the profile, invite and revoke, feeds, delete
    PRESCRIBE = "prescribe"  # enter or change a regimen (patients' entries await confirmation)
    CONFIRM = "confirm"  # confirm a regimen, override above 8 mg/kg (DOSE-PED-MAX)


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    CareRole.SELF: frozenset({Capability.VIEW, Capability.LOG, Capability.MANAGE, Capability.PRESCRIBE}),
    CareRole.PARENT: frozenset({Capability.VIEW, Capability.LOG, Capability.MANAGE, Capability.PRESCRIBE}),
    CareRole.CAREGIVER: frozenset({Capability.VIEW, Capability.LOG}),
    CareRole.CLINICIAN: frozenset({Capability.VIEW, Capability.PRESCRIBE, Capability.CONFIRM}),
}


def role_can(role: str, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())


MAX_ID = 2**63 - 1  # the largest id a BigAutoField can hold


def active_membership(user, patient_id) -> CareMembership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        patient_id = int(patient_id)
    except (TypeError, ValueError):
        return None
    if not 0 < patient_id <= MAX_ID:  # SQLite raises OverflowError (a 500) on ids beyond 64 bits
        return None
    return CareMembership.objects.active().select_related("patient").filter(user=user, patient_id=patient_id).first()


def patient_for(user, patient_id, capability: Capability = Capability.VIEW) -> Patient:
    """Return the patient if `user` may do `capability` for them, else raise Http404.

    The returned patient carries `access_role`, the user's role in the circle, so
    templates can show or hide actions without asking again.
    """
    membership = active_membership(user, patient_id)
    if membership is None or not role_can(membership.role, capability):
        raise Http404("No such patient.")
    patient = membership.patient
    patient.access_role = membership.role
    return patient


def patients_visible_to(user, capability: Capability = Capability.VIEW) -> QuerySet[Patient]:
    """Every patient this user may see (with `capability`), through active memberships."""
    if not getattr(user, "is_authenticated", False):
        return Patient.objects.none()
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if capability in caps]
    return Patient.objects.filter(
        memberships__user=user, memberships__revoked_at__isnull=True, memberships__role__in=roles
    ).distinct()


def can(user, patient: Patient, capability: Capability) -> bool:
    role = getattr(patient, "access_role", None)
    if role is None:
        membership = active_membership(user, patient.pk)
        role = membership.role if membership else None
    return role is not None and role_can(role, capability)
