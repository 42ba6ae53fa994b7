"""Writes that touch several rows of people and care circles, each in one transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import access, signals
from .audit import record
from .models import CareMembership, CareRole, CareTeamCard, Invitation, Patient, User, normalise_email


class InvitationError(Exception):
    """An invitation cannot be used; the message says why, in plain words."""


class MembershipRefused(Exception):
    """A change to the care circle that the access rules refuse; the message says why."""


@transaction.atomic
def create_patient(*, owner: User, owner_role: str, **profile) -> Patient:
    """Create a patient and link the person creating it (themselves, or a parent)."""
    if owner_role not in (CareRole.SELF, CareRole.PARENT):
        raise ValueError("Only a patient or a parent creates a patient profile.")
    patient = Patient(**profile)
    if owner_role == CareRole.SELF:
        patient.account = owner
    patient.full_clean()
    patient.save()
    CareMembership.objects.create(patient=patient, user=owner, role=owner_role)
    return patient


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # shown once, in the e-mail link; only its hash is stored


@transaction.atomic
def invite_to_circle(*, patient: Patient, email: str, role: str, invited_by: User, now=None) -> IssuedInvitation:
    """Store the invitation and, in the same transaction, ask for its e-mail (a Delivery the worker
    sends after commit): an invitation is never stored with its e-mail lost.

    Mail is not a relay: an account sends at most INVITATIONS_PER_ACCOUNT_PER_DAY invitations a
    day, and one address receives at most INVITATIONS_PER_ADDRESS_PER_DAY, from anyone.
    """
    if role not in Invitation.INVITABLE_ROLES:
        raise InvitationError("That role cannot be invited.")
    now = now or timezone.now()
    email = normalise_email(email)
    day_ago = now - timedelta(days=1)
    recent = Invitation.objects.filter(created_at__gt=day_ago)
    if recent.filter(invited_by=invited_by).count() >= settings.INVITATIONS_PER_ACCOUNT_PER_DAY:
        raise InvitationError(
            f"You have sent {settings.INVITATIONS_PER_ACCOUNT_PER_DAY} invitations in the last 24 hours, the most "
            "we send for one account. Try again tomorrow."
        )
    if recent.filter(email=email).count() >= settings.INVITATIONS_PER_ADDRESS_PER_DAY:
        raise InvitationError(
            "That address has had as many invitations as we send to one address in 24 hours. Try again tomorrow."
        )
    invitation = Invitation.objects.create(
        patient=patient,
        email=email,
        role=role,
        token_hash=f"pending:{secrets.token_hex(16)}",  # replaced below, once the row has its id
        invited_by=invited_by,
        expires_at=now + Invitation.VALID_FOR,
    )
    token = invitation.link_token()
    invitation.token_hash = Invitation.hash_token(token)
    invitation.save(update_fields=["token_hash"])
    signals.announce(signals.invitation_issued, invitation=invitation)
    return IssuedInvitation(invitation=invitation, token=token)


WRONG_ACCOUNT_MESSAGE = (
    "This invitation was sent to a different e-mail address than the one you are signed in with. "
    "Sign in with that address to accept it (or create an account with it), "
    "or ask the person who invited you to send a new invitation to your address."
)


@transaction.atomic
def sign_up(*, full_name: str, email: str, password: str) -> None:
    """Sign up by e-mail, revealing nothing: the caller shows the same page whatever happened.

    A new address gets an account awaiting confirmation and a confirmation e-mail; an address
    still awaiting confirmation takes the new name and password and gets a fresh e-mail; an
    existing account is left as it is and told that someone tried to sign up with its address.
    The password is hashed on every path, so the time taken does not tell them apart either.
    """
    email = email.strip().lower()
    password_hash = make_password(password)
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create(email=email, full_name=full_name, password=password_hash, is_active=False)
        except IntegrityError:  # the same address signed up a moment ago in another request
            existing = User.objects.select_for_update().get(email__iexact=email)
        else:
            signals.announce(signals.sign_up_requested, user=user, existing=False)
            return
    if existing.awaiting_confirmation:
        existing.full_name, existing.password = full_name, password_hash
        existing.save(update_fields=["full_name", "password"])  # the older link stops working
        signals.announce(signals.sign_up_requested, user=existing, existing=False)
    else:
        signals.announce(signals.sign_up_requested, user=existing, existing=True)


def confirm_sign_up(*, user: User) -> bool:
    """The confirmation link was opened with the right password: the account may sign in."""
    return User.objects.filter(pk=user.pk, is_active=False, last_login__isnull=True).update(is_active=True) == 1


@transaction.atomic
def request_password_reset(*, users) -> None:
    """Ask for a reset e-mail to each account (Django's form finds them: active, usable password).

    Only a Delivery row is written here; the worker renders and sends it after commit, so the
    request takes no longer when SMTP is slow, and known and unknown addresses answer alike.
    """
    for user in users:
        signals.announce(signals.password_reset_requested, user=user)


@transaction.atomic
def accept_invitation(*, token: str, user: User, now=None) -> CareMembership:
    """Use an invitation once. Locks the row so two clicks cannot both succeed."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_for_update().filter(token_hash=Invitation.hash_token(token)).first()
    if invitation is None:
        raise InvitationError("This invitation link is not valid. Ask for a new one.")
    status = invitation.status(now)
    if status == "accepted":
        raise InvitationError("This invitation has already been used. Ask for a new one if you need it.")
    if status == "revoked":
        raise InvitationError("This invitation was withdrawn.")
    if status == "expired":
        raise InvitationError("This invitation has expired. Ask for a new one.")
    if not access.may_accept_invitation(user, invitation):
        # ACCESS-INVITE, for every role. The message neither names the address nor says
        # whether it has an account; the invitation stays open for the right person.
        raise InvitationError(WRONG_ACCOUNT_MESSAGE)
    # An existing membership keeps its role: accepting never changes (or downgrades) anyone's role.
    membership = CareMembership.objects.active().filter(patient=invitation.patient, user=user).first()
    if membership is None:
        membership = CareMembership.objects.create(patient=invitation.patient, user=user, role=invitation.role)
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def revoke_membership(*, membership: CareMembership, by: User, now=None) -> None:
    """End access at once. The row stays as a record of who had access and when.

    Refused (MembershipRefused, nothing written) unless `by` may end it under ACCESS-SELF
    and ACCESS-ADULT: the patient's own membership never; anyone's only by the person
    who manages the record, which on an adult's record is the adult, not a parent.
    """
    # Lock the row and ask again from the database: the caller's copy may be stale.
    membership = (
        CareMembership.objects.select_for_update(of=("self",)).select_related("patient", "user").get(pk=membership.pk)
    )
    if membership.revoked_at is not None:
        return
    if not access.may_revoke(by, membership):
        if membership.user_id == by.pk:
            raise MembershipRefused("You cannot remove yourself from this circle.")
        if membership.role == CareRole.SELF:
            raise MembershipRefused(
                f"{membership.user.display_name}'s own access to their record cannot be removed: it is their record."
            )
        raise MembershipRefused("Only the person who manages this record can remove someone's access.")
    CareMembership.objects.filter(pk=membership.pk, revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def revoke_invitation(*, invitation: Invitation, now=None) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )


class DeletionRefused(Exception):
    """A profile cannot be deleted yet; the message says what to do first."""


def other_patients_only_managed_by(user: User, patient: Patient) -> list[Patient]:
    """Profiles (other than `patient`) for which `user` is the only active patient or parent.

    Deleting that user's account would leave them with no one able to manage them.
    """
    managed = CareMembership.objects.active().filter(user=user, role__in=[CareRole.SELF, CareRole.PARENT])
    lonely = []
    for membership in managed.exclude(patient=patient).select_related("patient"):
        others = (
            CareMembership.objects.active()
            .filter(patient=membership.patient, role__in=[CareRole.SELF, CareRole.PARENT])
            .exclude(user=user)
        )
        if not others.exists():
            lonely.append(membership.patient)
    return lonely


@transaction.atomic
def delete_patient(*, patient: Patient, by: User, path: str = "", now=None) -> bool:
    """Delete a profile and every health record in it; for a self patient, also the account.

    Memberships, invitations, feeds, doses, symptoms and the rest go with the profile
    (their foreign keys cascade). Memberships and invitations are first revoked, so that
    even a reader racing this transaction sees access end. The audit trail keeps one
    "deleted" event with the id only. Returns True when the signed-in account was deleted.
    """
    now = now or timezone.now()
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not access.may_delete(by, patient):  # ACCESS-DELETE, asked under the lock
        raise DeletionRefused(
            f"Only {patient.display_name} can delete this profile: it is their own record."
            if access.is_adults_record(patient)
            else "Only a parent or guardian of this child can delete the profile."
        )
    account = patient.account
    if account is not None and account.pk == by.pk:
        lonely = other_patients_only_managed_by(by, patient)
        if lonely:
            names = ", ".join(p.display_name for p in lonely)
            raise DeletionRefused(
                f"You are the only parent or guardian on {names}'s profile. Delete that profile, or invite another "
                "parent to it, before deleting your account."
            )
    record(actor=by, patient_id=patient.pk, action="deleted", method="POST", path=path, url_name="patient_delete")
    CareMembership.objects.filter(patient=patient, revoked_at__isnull=True).update(revoked_at=now)
    Invitation.objects.filter(patient=patient, accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    patient.delete()
    if account is not None and account.pk == by.pk:
        account.delete()
        return True
    return False


@transaction.atomic
def save_patient_profile(*, form, previous_time_zone: str) -> bool:
    """Save a profile form; if the time zone changed, move the doses still to come.

    SCHED-TZ: "the same time every day" is the patient's local clock, also after travel
    or a move. Returns True when the time zone changed (and doses moved the schedule).
    """
    weight_changed = "weight_kg" in form.changed_data
    patient = form.save()
    if weight_changed:  # DOSE-PED-RANGE / DOSE-PED-MAX: doses checks the dose in force at the new weight
        signals.announce_weight_changed_on_commit(patient.pk)
    time_zone_changed = patient.time_zone != previous_time_zone
    # companion imports nothing above it: doses hears of the save (doses/receivers.py), moves
    # the schedule in this transaction and refreshes the panel's summary on commit.
    signals.patient_profile_saved.send(sender=None, patient=patient, time_zone_changed=time_zone_changed)
    return time_zone_changed


@transaction.atomic
def set_caregiver_download(*, patient: Patient, allowed: bool) -> bool:
    """ACCESS-DOWNLOAD: turn caregivers' downloads of the full record on or off; True if it changed.

    The view is reached by a POST on the patient's record, so the audit middleware writes the
    "changed" row in this same transaction.
    """
    changed = Patient.objects.filter(pk=patient.pk).exclude(caregivers_may_download=allowed).update(
        caregivers_may_download=allowed
    )
    patient.caregivers_may_download = allowed
    return bool(changed)

def save_care_team_card(*, form, by: User) -> CareTeamCard:
    """ACCESS-CARE-TEAM: save the card (the numbers already in E.164, companion/forms.py) and who saved it.

    The audit row is the middleware's (a POST on the patient's URL), in this same transaction."""
    card = form.save(commit=False)
    card.updated_by = by
    card.save()
    return card
