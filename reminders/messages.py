"""What a message says: the least health information that does the job.

First names only, no diagnosis, no dose amounts; a link to the app and an unsubscribe
link that works without signing in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError
from django.urls import reverse

from companion.models import CareMembership

from .models import Kind, NotificationPreference


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
    return f"{settings.SITE_URL}{path}"


def message_context(delivery) -> dict:
    from doses.models import CareAlert, DoseSlot, FridgeSyringe, LabTest

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
        context["is_serious"] = alert is not None and alert.kind == CareAlert.Kind.SERIOUS_SYMPTOM
    elif delivery.kind == Kind.LAB:
        lab = LabTest.objects.filter(pk=object_id).only("due_on").first()
        context["due_on"] = lab.due_on if lab else None
    elif delivery.kind == Kind.FRIDGE:
        syringe = FridgeSyringe.objects.filter(pk=object_id).only("use_by").first()
        context["use_by"] = syringe.use_by.astimezone(zone) if syringe else None
    return context
