"""What a message says: the least health information that does the job.

First names only, no diagnosis, no dose amounts; a link to the app and an unsubscribe
link that works without signing in.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from companion.models import CareMembership, Invitation
from companion.tokens import sign_up_link_kwargs
from doses.models import CareAlert, DoseSlot, FridgeSyringe, LabTest

from .dispatch import URGENT_ALERT_KINDS
from .models import ACCOUNT_KINDS, Kind, NotificationPreference


def first_name(name: str) -> str:
    parts = (name or "").split()
    return parts[0] if parts else "there"


def preference_for(patient_id: int, user_id: int) -> NotificationPreference | None:
    """The member's preference row, created on first use (it carries the unsubscribe token)."""
    membership = CareMembership.objects.active().filter(patient_id=patient_id, user_id=user_id).first()
    if membership is None:
        return None
    try:
        preference, _ = NotificationPreference.objects.get_or_create(membership=membership)
    except IntegrityError:  # another worker created it a moment ago
        preference = NotificationPreference.objects.get(membership=membership)
    return preference


def absolute(path: str) -> str:
    """Every link in every e-mail: SITE_URL, never the Host header of whichever request caused it."""
    return f"{settings.SITE_URL}{path}"


# What of a person's chosen name may go into an e-mail to someone else: letters, apostrophes
# and hyphens of the first word, at most 30. No digits, dots, slashes or "@": no address, link
# or sentence of the sender's choosing reaches another person's inbox (not a relay).
_NOT_NAME = re.compile(r"[^\w'’-]|[\d_]")


def name_for_others(name: str) -> str:
    word = _NOT_NAME.sub("", first_name(name))[:30]
    return word if word and word != "there" else "Someone"


def account_message_context(delivery) -> dict:
    """Account e-mail: a link (from SITE_URL, its token computed now) and no free text from anyone
    but us. Sign-up e-mails name no one: the name was typed by whoever signed up."""
    context = {
        "kind": delivery.kind,
        "sign_in_url": absolute(reverse("login")),
        "reset_request_url": absolute(reverse("password_reset")),
    }
    if delivery.kind == Kind.PASSWORD_RESET:
        user = delivery.recipient
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        context["reset_url"] = absolute(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}))
    elif delivery.kind == Kind.SIGN_UP_CONFIRM:
        context["confirm_url"] = absolute(reverse("signup_confirm", kwargs=sign_up_link_kwargs(delivery.recipient)))
    elif delivery.kind == Kind.INVITATION:
        invitation = Invitation.objects.select_related("invited_by").get(pk=delivery.object_id)
        inviter = invitation.invited_by
        context.update(
            {
                "inviter_name": name_for_others(inviter.full_name) if inviter else "Someone",
                "role": invitation.get_role_display().lower(),
                "invited_email": invitation.email,
                "expires_at": invitation.expires_at,
                "accept_url": absolute(reverse("invitation_accept", args=[invitation.link_token()])),
            }
        )
    return context


def message_context(delivery) -> dict:
    if delivery.kind in ACCOUNT_KINDS:
        return account_message_context(delivery)
    patient = delivery.patient
    recipient = delivery.recipient
    preference = preference_for(patient.pk, recipient.pk)
    token = preference.unsubscribe_token if preference else ""
    is_self = patient.account_id == recipient.pk
    context = {
        "kind": delivery.kind,
        "recipient_first_name": first_name(recipient.full_name),
        "patient_first_name": first_name(patient.display_name),
        "is_self": is_self,
        "app_url": absolute(reverse("doses:today", args=[patient.pk])),
        "preferences_url": absolute(reverse("reminders:preferences", args=[patient.pk])),
        "unsubscribe_url": absolute(reverse("reminders:unsubscribe", args=[token])) + f"?kind={delivery.kind}",
    }
    zone = patient.zone
    object_id = delivery.object_id
    if delivery.kind in (Kind.INJECTION_REMINDER, Kind.ESCALATION, Kind.MISSED_NOTE):
        slot = DoseSlot.objects.filter(pk=object_id).only("scheduled_at").first()
        if slot is not None:
            context["slot_time"] = slot.scheduled_at.astimezone(zone)
    elif delivery.kind == Kind.CARE_ALERT:
        alert = CareAlert.objects.filter(pk=object_id).only("kind").first()
        context["is_serious"] = alert is not None and alert.kind in URGENT_ALERT_KINDS
        context["is_hold"] = alert is not None and alert.kind == CareAlert.Kind.TREATMENT_HOLD
    elif delivery.kind == Kind.LAB:
        lab = LabTest.objects.filter(pk=object_id).only("due_on").first()
        context["due_on"] = lab.due_on if lab else None
    elif delivery.kind == Kind.FRIDGE:
        syringe = FridgeSyringe.objects.filter(pk=object_id).only("use_by").first()
        context["use_by"] = syringe.use_by.astimezone(zone) if syringe else None
    return context
