"""What a message says: the least health information that does the job.

First names only, no diagnosis, no dose amounts; a link to the app and an unsubscribe
link that works without signing in.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from companion.models import CareRole, Invitation
from companion.tokens import sign_up_link_kwargs
from doses.models import CareAlert

from .dispatch import URGENT_ALERT_KINDS
from .models import ACCOUNT_KINDS, Kind
from .subjects import Facts, ensure_preferences, facts_for


def first_name(name: str) -> str:
    parts = (name or "").split()
    return parts[0] if parts else "there"


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


def message_context(delivery, facts: Facts | None = None) -> dict:
    """What the templates of `delivery` are given. `facts` (subjects.facts_for, with
    subjects.ensure_preferences run) are read here when not given; with them, no query."""
    if delivery.kind in ACCOUNT_KINDS:
        return account_message_context(delivery)
    if facts is None:
        facts = facts_for([delivery])[delivery.pk]
        ensure_preferences([facts])
    return care_message_context(delivery, facts)


def care_message_context(delivery, facts: Facts) -> dict:
    patient = delivery.patient
    recipient = delivery.recipient
    token = facts.preference.unsubscribe_token if facts.preference else ""
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
    if delivery.kind in (Kind.INJECTION_REMINDER, Kind.ESCALATION, Kind.MISSED_NOTE):
        if facts.slot_time is not None:
            context["slot_time"] = facts.slot_time.astimezone(zone)
    elif delivery.kind == Kind.CARE_ALERT:
        context["is_serious"] = facts.alert_kind in URGENT_ALERT_KINDS
        context["is_hold"] = facts.alert_kind == CareAlert.Kind.TREATMENT_HOLD
        # AE-OVERDOSE: the emergency number of the patient's country, or "your local emergency number".
        context["emergency_number"] = patient.emergency_numbers.emergency_number
    elif delivery.kind == Kind.LAB:
        context["due_on"] = facts.lab_due_on
        context["to_clinician"] = facts.role == CareRole.CLINICIAN  # AE-LABS: the clinician orders the test
    elif delivery.kind == Kind.FRIDGE:
        context["use_by"] = facts.syringe_use_by.astimezone(zone) if facts.syringe_use_by else None
    return context
