"""The one permission helper. Every view that touches a patient starts here.

Patients see themselves; parents, caregivers and clinicians see only patients who
linked them through an active care-circle membership. Everyone else gets a 404, so
that a stranger cannot even learn that a patient id exists.

The rules about who may change a care circle live here too, each with its ID (the
ACCESS-... names are this app's own access rules; the clinical rule IDs are those of
shared/RULES.md). The
services in companion/services.py ask them before every write, so a view, a command or a
script obeys them alike (the admin, which writes rows itself, cannot change a role in
place: companion/admin.py):

- ACCESS-ADULT: a parent never outranks an adult patient on her own record. On an
  adult's record a PARENT membership acts as a CAREGIVER one (`role_on_record`).
- ACCESS-SELF: the patient's own (SELF) membership is never revoked or changed by
  anyone; it ends only when she deletes her own profile (`may_revoke`).
- ACCESS-DELETE: only the adult herself deletes an adult's record; a child's record
  (no SELF membership) is deleted by a parent (`may_delete`).
- ACCESS-INVITE: an invitation, whatever its role, is accepted only by the account with
  the address it was sent to (`may_accept_invitation`).
- ACCESS-DOWNLOAD: the full record (CSV, FHIR) is downloaded by the patient, a parent on a
  child's record and the clinicians; by a caregiver only once the patient (or that parent)
  has turned `caregivers_may_download` on, which is off by default (`may_download_record`).
- ACCESS-CARE-TEAM: the care-team card is kept by everyone in the circle who logs (the
  patient, a parent, a caregiver) and by the clinicians (`Capability.CARE_TEAM`).
"""

from __future__ import annotations

import enum

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from .models import CareMembership, CareRole, Invitation, Patient, normalise_email


class Capability(enum.Enum):
    VIEW = "view"  # read the record, dashboards and exports
    LOG = "log"  # log injections, symptoms, supply, fridge
    MANAGE = "manage"  # edit the profile, invite and revoke, feeds, delete
    PRESCRIBE = "prescribe"  # enter or change a regimen (patients' entries await confirmation)
    CONFIRM = "confirm"  # confirm a regimen, override above 8 mg/kg (DOSE-PED-MAX)
    # ACCESS-CARE-TEAM: the care-team card (clinic, phone, hours, out-of-hours line) is filled in by
    # whoever knows it: the family (the patient, a parent, a caregiver: everyone who logs) and the
    # clinicians. Everyone in the circle needs the number, so everyone in it may keep it right.
    CARE_TEAM = "care_team"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    CareRole.SELF: frozenset(
        {Capability.VIEW, Capability.LOG, Capability.MANAGE, Capability.PRESCRIBE, Capability.CARE_TEAM}
    ),
    CareRole.PARENT: frozenset(
        {Capability.VIEW, Capability.LOG, Capability.MANAGE, Capability.PRESCRIBE, Capability.CARE_TEAM}
    ),
    CareRole.CAREGIVER: frozenset({Capability.VIEW, Capability.LOG, Capability.CARE_TEAM}),
    CareRole.CLINICIAN: frozenset({Capability.VIEW, Capability.PRESCRIBE, Capability.CONFIRM, Capability.CARE_TEAM}),
}


def role_can(role: str, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())


def role_on_record(role: str, *, adults_record: bool) -> str:
    """ACCESS-ADULT: the role a membership acts with on this record.

    A parent of an adult (a patient with her own account on the record) acts as a
    caregiver: she may still view the record and log doses, symptoms, supply and the
    fridge for her, and keep the reminders her membership gets (those go by the stored
    role and her own preferences, reminders/models.py); she may not manage
    (edit the profile, invite anyone, remove anyone, calendar feeds, data download,
    audit trail, deletion) nor enter a regimen. Those stay with the adult, so a parent
    can neither lock her out nor change who manages her record. A child's record has no
    SELF membership, and there the parent manages it as before.
    """
    if role == CareRole.PARENT and adults_record:
        return CareRole.CAREGIVER
    return role


def _self_membership(patient_ref) -> QuerySet[CareMembership]:
    return CareMembership.objects.active().filter(patient=patient_ref, role=CareRole.SELF)


def is_adults_record(patient: Patient) -> bool:
    """ACCESS-ADULT: the patient runs her own record (her own account, or an active SELF membership).

    A patient over 18 whose record a parent created, and who has no account of her own,
    stays managed by that parent: otherwise nobody could keep her weight, regimen or
    circle up to date, and nobody could delete the record. Once she has her own account
    on the record, the parent no longer outranks her.
    """
    return patient.account_id is not None or _self_membership(patient).exists()


def _adults_record_q() -> Q:
    """`is_adults_record` as a query condition on Patient, for lists."""
    return Q(account__isnull=False) | Q(Exists(_self_membership(OuterRef("pk"))))


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
    if membership is None:
        raise Http404("No such patient.")
    patient = membership.patient
    role = role_for(membership)
    if not role_can(role, capability):
        raise Http404("No such patient.")
    patient.access_role = role
    return patient


def role_for(membership: CareMembership) -> str:
    """The role `membership` acts with (ACCESS-ADULT); only a parent's needs the extra question."""
    if membership.role != CareRole.PARENT:
        return membership.role
    return role_on_record(membership.role, adults_record=is_adults_record(membership.patient))


def patients_visible_to(user, capability: Capability = Capability.VIEW) -> QuerySet[Patient]:
    """Every patient this user may see (with `capability`), through active memberships."""
    if not getattr(user, "is_authenticated", False):
        return Patient.objects.none()
    mine = CareMembership.objects.active().filter(patient=OuterRef("pk"), user=user)

    def roles_with(adults_record: bool) -> list[str]:
        return [r for r in ROLE_CAPABILITIES if role_can(role_on_record(r, adults_record=adults_record), capability)]

    adults = _adults_record_q()
    return Patient.objects.filter(
        (adults & Q(Exists(mine.filter(role__in=roles_with(True)))))
        | (~adults & Q(Exists(mine.filter(role__in=roles_with(False)))))
    )


def can(user, patient: Patient, capability: Capability) -> bool:
    return role_can(_role_of(user, patient), capability)


def _role_of(user, patient: Patient) -> str:
    """The role `user` acts with on `patient` ("" for none), reusing what patient_for found."""
    role = getattr(patient, "access_role", None)
    if role is None:
        membership = active_membership(user, patient.pk)
        role = role_for(membership) if membership else ""
    return role


def may_revoke(user, membership: CareMembership, *, patient: Patient | None = None) -> bool:
    """May `user` end `membership`'s access? ACCESS-SELF, ACCESS-ADULT.

    Only someone who manages the record (the adult herself, or a parent on a child's
    record), never for themselves (that would leave a record nobody manages, or lock
    oneself out by a slip), and never the patient's own SELF membership: nobody but the
    patient ends her access, and she does it by deleting her profile. Pass `patient`
    (from patient_for) to reuse the role already found.
    """
    if membership.revoked_at is not None or membership.role == CareRole.SELF:
        return False
    if membership.user_id == getattr(user, "pk", None):
        return False
    return can(user, patient if patient is not None else membership.patient, Capability.MANAGE)


def may_download_record(user, patient: Patient) -> bool:
    """ACCESS-DOWNLOAD: the full record (CSV, FHIR) leaves the app for its viewers, but a caregiver's
    download only when the patient (or a child's parent) has turned `caregivers_may_download` on.

    A caregiver sees the record to help; a copy on her own device is a further step the patient
    decides. A parent on an adult's record acts as a caregiver (ACCESS-ADULT).
    """
    role = _role_of(user, patient)
    if not role_can(role, Capability.VIEW):
        return False
    return role != CareRole.CAREGIVER or patient.caregivers_may_download


def may_delete(user, patient: Patient) -> bool:
    """ACCESS-DELETE: the adult deletes her own record; a parent deletes a child's."""
    role = _role_of(user, patient)
    if role == CareRole.SELF:
        return True
    # A parent acting as a parent: on a child's record only (ACCESS-ADULT makes her a caregiver on an adult's).
    return role == CareRole.PARENT


def may_accept_invitation(user, invitation: Invitation) -> bool:
    """ACCESS-INVITE: the account must have the address the invitation was sent to, for every role.

    A forwarded or intercepted link must not hand a place in the circle (a parent's
    management, a clinician's confirmations, a caregiver's view of the record) to
    whoever holds it. Addresses compare as the User model stores them.
    """
    email = getattr(user, "email", "") or ""
    return bool(email) and normalise_email(email) == normalise_email(invitation.email)
