"""What a message says: the least health information that does the job.

First names only (the reader is greeted by a title and name if they gave one: "Dr Carol
Reyes"), no diagnosis, no dose amounts; a link to the app and an unsubscribe link that works
without signing in. Worded for the reader (issue 16): the patient themself ("your injection",
"you logged"), family ("for Alice") or the clinician ("for your patient Alice"); every time
with the patient's zone, and a reminder sent after its dose time says it is overdue.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from companion.models import CareRole, Invitation
from companion.tokens import sign_up_link_kwargs
from doses.models import CareAlert
from doses.rules import dose_timing

from .dispatch import URGENT_ALERT_KINDS
from .models import ACCOUNT_KINDS, Kind
from .subjects import Facts, ensure_preferences, facts_for


def first_name(name: str) -> str:
    parts = (name or "").split()
    return parts[0] if parts else "there"


# The reader of a care message, by role in the circle: the patient themself, family (a parent
# or a caregiver: "for Alice"), or the clinician ("for your patient Alice").
READER_BY_ROLE = {
    CareRole.SELF: "self",
    CareRole.PARENT: "family",
    CareRole.CAREGIVER: "family",
    CareRole.CLINICIAN: "clinician",
}


def absolute(path: str) -> str:
    """Every link in every e-mail: SITE_URL, never the Host header of whichever request caused it."""
    return f"{settings.SITE_URL}{path}"


# What of a person's chosen name may go into an e-mail to someone else: letters, apostrophes
# and hyphens of the first word, at most 30. No digits, dots, slashes or "@": no address, link
# or sentence of the sender's choosing reaches another person's inbox (not a relay).
_NOT_NAME = re.compile(r"[^\w'’-]|[\d_]")
# Titles a person may put before their name. After one, a person is greeted by the whole name
# ("Dr Carol Reyes"); a title alone greets no one ("Hello,"), never "Hello Dr,".
_TITLES = frozenset({"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "mx", "miss", "sir", "dame", "rev"})


def name_for_others(name: str) -> str:
    """The first name; after a title, the title and the last name ("Dr Reyes", never "Dr" alone)."""
    words = [word for word in (_NOT_NAME.sub("", w)[:30] for w in (name or "").split()) if word]
    if words and words[0].lower() in _TITLES:
        return f"{words[0]} {words[-1]}" if len(words) > 1 else "Someone"
    return words[0] if words else "Someone"


def greeting_name(name: str) -> str:
    """Who "Hello ...," names: the first name, or the title and the name after it; "" for none.

    The recipient's own name, up to the first word that is not a name (no link or sentence of
    anyone's choosing), at most four words.
    """
    words = []
    for word in (w.rstrip(".")[:30] for w in (name or "").split()):
        if not word or _NOT_NAME.search(word):
            break
        words.append(word)
    if not words:
        return ""
    if words[0].lower() in _TITLES:
        return " ".join(words[:4]) if len(words) > 1 else ""
    return words[0]


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
        facts = facts_for([delivery], delivery.claimed_at)[delivery.pk]
        ensure_preferences([facts])
    return care_message_context(delivery, facts)


def care_message_context(delivery, facts: Facts) -> dict:
    patient = delivery.patient
    recipient = delivery.recipient
    token = facts.preference.unsubscribe_token if facts.preference else ""
    is_self = patient.account_id == recipient.pk
    # The patient's own account reads as the patient whatever its role row says; an unknown role
    # (left the circle since) reads as family: "for Alice", never "you".
    reader = "self" if is_self else READER_BY_ROLE.get(facts.role, "family")
    if reader == "self" and not is_self:
        reader = "family"
    # The moment it is sent (claimed): a reminder later than its dose says "overdue".
    sent_at = delivery.claimed_at or timezone.now()
    context = {
        "kind": delivery.kind,
        "recipient_first_name": first_name(recipient.full_name),
        "greeting_name": greeting_name(recipient.full_name),
        "patient_first_name": first_name(patient.display_name),
        "is_self": reader == "self",
        "reader": reader,
        "is_clinician": reader == "clinician",
        "zone_name": patient.time_zone,  # SCHED-TZ: every time in the message is in this zone, and says so
        "app_url": absolute(reverse("doses:today", args=[patient.pk])),
        "preferences_url": absolute(reverse("reminders:preferences", args=[patient.pk])),
        "unsubscribe_url": absolute(reverse("reminders:unsubscribe", args=[token])) + f"?kind={delivery.kind}",
    }
    zone = patient.zone
    if delivery.kind in (Kind.INJECTION_REMINDER, Kind.ESCALATION, Kind.MISSED_NOTE):
        if facts.slot_time is not None:
            context["slot_time"] = facts.slot_time.astimezone(zone)
            context["is_overdue"] = dose_timing.reminder_is_overdue(facts.slot_time, sent_at)
    elif delivery.kind == Kind.CARE_ALERT:
        context["is_serious"] = facts.alert_kind in URGENT_ALERT_KINDS
        context["is_hold"] = facts.alert_kind == CareAlert.Kind.TREATMENT_HOLD
        # "You logged" only to the patient who logged it; else "logged in your record" (a carer
        # logged it, or it comes from a rule or a clinician).
        context["you_logged"] = reader == "self" and facts.alert_logged_by_id == recipient.pk
        # AE-OVERDOSE: the emergency number of the patient's country, or "your local emergency number".
        context["emergency_number"] = patient.emergency_numbers.emergency_number
    elif delivery.kind == Kind.LAB:
        context["due_on"] = facts.lab_due_on
        context["to_clinician"] = facts.role == CareRole.CLINICIAN  # AE-LABS: the clinician orders the test
    elif delivery.kind == Kind.FRIDGE:
        context["use_by"] = facts.syringe_use_by.astimezone(zone) if facts.syringe_use_by else None
    elif delivery.kind == Kind.REFILL and facts.supply is not None:
        # SUPPLY-BOX: the day of the last dose the syringes on hand cover (doses/selectors/supply.py).
        context["supply_known"] = True
        context["last_dose_on"] = facts.supply.last_dose_on
    return context
