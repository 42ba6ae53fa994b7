"""Who wants which messages, each message sent (or due), calendar feeds, and job heartbeats."""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from companion.models import CareRole, validate_time_zone


class Kind(models.TextChoices):
    INJECTION_REMINDER = "injection", "Injection reminder"
    ESCALATION = "escalation", "Dose not logged yet"
    MISSED_NOTE = "missed", "Dose marked missed"
    CARE_ALERT = "care_alert", "Care-team alert"
    REFILL = "refill", "Refill reminder"
    LAB = "lab", "Blood test reminder"
    FRIDGE = "fridge", "Syringe out of the fridge"
    # Account e-mail (no preference switches it off; sent to the address, about the account).
    PASSWORD_RESET = "password_reset", "Password reset link"
    SIGN_UP_CONFIRM = "signup_confirm", "Confirm a new account"
    SIGN_UP_EXISTING = "signup_existing", "Sign-up with an address that has an account"
    INVITATION = "invitation", "Invitation to a care circle"


# Account e-mail: about an account or an invitation rather than a patient's care. They have no
# care-circle recipient to check (an invitation has no account yet, a reset has no patient).
ACCOUNT_KINDS = frozenset({Kind.PASSWORD_RESET, Kind.SIGN_UP_CONFIRM, Kind.SIGN_UP_EXISTING, Kind.INVITATION})


# Who may receive each kind, by role in the circle. The preference then switches it on or off.
KIND_ROLES: dict[str, frozenset[str]] = {
    Kind.INJECTION_REMINDER: frozenset({CareRole.SELF, CareRole.PARENT, CareRole.CAREGIVER}),
    Kind.ESCALATION: frozenset({CareRole.PARENT, CareRole.CAREGIVER}),
    Kind.MISSED_NOTE: frozenset({CareRole.PARENT, CareRole.CAREGIVER}),
    Kind.CARE_ALERT: frozenset({CareRole.SELF, CareRole.PARENT, CareRole.CAREGIVER, CareRole.CLINICIAN}),
    Kind.REFILL: frozenset({CareRole.SELF, CareRole.PARENT}),
    Kind.LAB: frozenset({CareRole.SELF, CareRole.PARENT, CareRole.CLINICIAN}),  # AE-LABS: the clinician orders it
    Kind.FRIDGE: frozenset({CareRole.SELF, CareRole.PARENT, CareRole.CAREGIVER}),
}

# The preference field that switches each kind on or off. A caregiver's copy of the
# injection reminder has its own switch (off unless asked for).
KIND_FIELD: dict[str, str] = {
    Kind.INJECTION_REMINDER: "injection_reminder",
    Kind.ESCALATION: "escalation",
    Kind.MISSED_NOTE: "missed_note",
    Kind.CARE_ALERT: "care_alerts",
    Kind.REFILL: "refill",
    Kind.LAB: "labs",
    Kind.FRIDGE: "fridge",
}


def new_unsubscribe_token() -> str:
    return secrets.token_urlsafe(24)


class NotificationPreference(models.Model):
    """One person's choices for one patient (one row per care-circle membership).

    A membership without a row gets the field defaults. The unsubscribe token is the
    only key an e-mail's unsubscribe link carries; it changes nothing but this row.
    """

    membership = models.OneToOneField(
        "companion.CareMembership", on_delete=models.CASCADE, related_name="notification_preference"
    )
    injection_reminder = models.BooleanField("injection reminders", default=True)
    caregiver_copy = models.BooleanField(
        "a copy of the injection reminder (caregivers)",
        default=False,
        help_text="Caregivers get the reminder itself only if they ask for it.",
    )
    escalation = models.BooleanField("dose not logged an hour after its time", default=True)
    missed_note = models.BooleanField("dose marked missed", default=True)
    care_alerts = models.BooleanField("care-team alerts (serious symptoms, medicine interactions)", default=True)
    refill = models.BooleanField("refill reminders", default=True)
    labs = models.BooleanField("blood test reminders", default=True)
    fridge = models.BooleanField("syringe out of the fridge", default=True)
    quiet_start = models.TimeField("quiet hours from", null=True, blank=True)
    quiet_end = models.TimeField("quiet hours until", null=True, blank=True)
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[validate_time_zone], help_text="Your time zone for quiet hours."
    )
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=new_unsubscribe_token)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Preferences of {self.membership}"

    def wants(self, kind: str, role: str) -> bool:
        return wants(kind, role, self)

    def quiet_until(self, now: datetime, default_zone: str) -> datetime | None:
        return quiet_until(self.quiet_start, self.quiet_end, self.time_zone or default_zone, now)


def wants(kind: str, role: str, preference: NotificationPreference | None) -> bool:
    """Does a member with `role` and `preference` (None = defaults) receive `kind`?"""
    if role not in KIND_ROLES[kind]:
        return False
    if kind == Kind.INJECTION_REMINDER and role == CareRole.CAREGIVER:
        field = "caregiver_copy"
    else:
        field = KIND_FIELD[kind]
    if preference is None:
        return NotificationPreference._meta.get_field(field).default
    return bool(getattr(preference, field))


def quiet_until(start: time | None, end: time | None, zone_name: str, now: datetime) -> datetime | None:
    """If `now` falls in the quiet hours [start, end) in `zone_name`, the moment they end; else None.

    Quiet hours may run over midnight (22:00-07:00). Times are the recipient's wall clock.
    """
    if start is None or end is None or start == end:
        return None
    zone = zoneinfo.ZoneInfo(zone_name)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # over midnight
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    # Round-trip through UTC so an end time in a DST gap still gives a real instant.
    ends = datetime.combine(end_day, end).replace(tzinfo=zone)
    return ends.astimezone(zoneinfo.ZoneInfo("UTC"))


class Delivery(models.Model):
    """One message to one person about one thing. The unique constraint is the claim:
    a second tick, a retry or a second worker cannot create (and so send) it twice.

    Care messages have a patient and a recipient account. Account e-mail (ACCOUNT_KINDS) may
    have neither: a password reset has a recipient and no patient; an invitation goes to an
    address (to_email) that may have no account, about one invitation (its own constraint).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Not needed any more"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    patient = models.ForeignKey(
        "companion.Patient", on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    to_email = models.EmailField(blank=True, help_text="The address, when there is no recipient account.")
    subject_key = models.CharField(
        max_length=64,
        help_text="What it is about: slot:<id>, alert:<id>, lab:<id>, fridge:<id>, refill:<...>, invitation:<id>; "
        "account e-mail to an account: <group>:<n>, the n-th of its rate-limit group to that account.",
    )
    channel = models.CharField(max_length=16, default="email")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    not_before = models.DateTimeField(
        null=True, blank=True, help_text="Not sent before this: the end of quiet hours, or a retry's next attempt."
    )
    bypass_quiet_hours = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the broker.")
    enqueue_batch = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(
        max_length=32, blank=True, help_text="Who holds the claim: only that sender may record the outcome."
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "recipient", "subject_key"], name="one_delivery_per_kind_and_thing"
            ),
            # NULLs are distinct in a unique index: to an address alone, the thing itself is unique.
            models.UniqueConstraint(
                fields=["kind", "subject_key"],
                condition=models.Q(recipient__isnull=True),
                name="one_delivery_per_kind_and_thing_without_account",
            ),
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(to_email=""),
                name="delivery_has_an_address",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "enqueued_at"]),
            models.Index(fields=["enqueue_batch"]),
            models.Index(fields=["patient", "kind"]),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        to = self.recipient_id or self.to_email
        return f"{self.get_kind_display()} to {to} about {self.subject_key}: {self.status}"

    @property
    def address(self) -> str:
        """Where the e-mail goes: the recipient's address now, or the address it was written to."""
        return self.recipient.email if self.recipient_id else self.to_email

    @property
    def object_id(self) -> int | None:
        """The id in subject_key (slot, alert, lab or fridge syringe)."""
        try:
            return int(self.subject_key.split(":")[1])
        except (IndexError, ValueError):
            return None


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeedQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class CalendarFeed(models.Model):
    """A patient's secret calendar address. Regenerating revokes the old one.

    The token is stored as is (like a calendar provider's secret address) so that the
    patient can see the link again; it grants read access to the schedule only.
    """

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="calendar_feeds")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(revoked_at__isnull=True), name="one_active_feed_per_patient"
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.patient} ({'revoked' if self.revoked_at else 'active'})"


class JobRun(models.Model):
    """When each periodic job last ran (the status page's "last beat tick")."""

    name = models.CharField(max_length=64, primary_key=True)
    last_run_at = models.DateTimeField()
    last_summary = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_run_at:%Y-%m-%d %H:%M:%S}"
