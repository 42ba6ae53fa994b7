"""Writes for reminders: calendar feeds and preferences, each in one transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from companion.models import CareMembership, CareRole, Patient

from .models import KIND_FIELD, CalendarFeed, Kind, NotificationPreference


@transaction.atomic
def regenerate_feed(*, patient: Patient, by) -> CalendarFeed:
    """A new secret address; the old one stops working at once."""
    CalendarFeed.objects.select_for_update().filter(patient=patient, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return CalendarFeed.objects.create(patient=patient, created_by=by)


def active_feed(patient: Patient) -> CalendarFeed | None:
    return CalendarFeed.objects.active().filter(patient=patient).first()


def preference_for_membership(membership: CareMembership) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.get_or_create(membership=membership)
    return preference


def unsubscribe(*, preference: NotificationPreference, kind: str | None) -> list[str]:
    """Switch off one kind (or all) for this one preference row. Returns the fields switched off."""
    if kind in KIND_FIELD:
        role = preference.membership.role
        field = "caregiver_copy" if kind == Kind.INJECTION_REMINDER and role == CareRole.CAREGIVER else KIND_FIELD[kind]
        fields = [field]
    else:
        fields = [*KIND_FIELD.values(), "caregiver_copy"]
    NotificationPreference.objects.filter(pk=preference.pk).update(**dict.fromkeys(fields, False))
    return fields
