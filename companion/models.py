"""People and care circles: who a patient is, and who may see or act for them."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

# The numbers table is a pure rule module, importable by anyone (ARCHITECTURE.md; pyproject.toml's layers contract).
from doses.rules import emergency_numbers as numbers_table

from .countries import country_for_time_zone, country_names


def normalise_email(email: str) -> str:
    """An address as accounts store it: Django's normalisation, then lower case throughout.

    Accounts and invitations compare by this, so "Nurse@Example.org" is one address.
    """
    return BaseUserManager.normalize_email(email).lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalise_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in. Signs in by e-mail; there is no username."""

    username = None
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    # Written by reminders when an e-mail to this person fails (the first failure of a run)
    # and cleared when one goes again; Today reads it from request.user, with no query and
    # without doses importing reminders.
    email_unreachable_since = models.DateTimeField(
        null=True, blank=True, help_text="Since when e-mail to this person has been failing (empty: it is not)."
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def awaiting_confirmation(self) -> bool:
        """Signed up but never opened the confirmation link (staff-deactivated accounts have signed in)."""
        return not self.is_active and self.last_login is None


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "“%(value)s” is not a time zone we know. Choose one such as Europe/London or America/New_York.",
            params={"value": value},
        )


def validate_country(value: str) -> None:
    if value and value not in country_names():
        raise ValidationError("“%(value)s” is not a country code we know (ISO 3166, such as GB or US).", params={"value": value})


class Indication(models.TextChoices):
    RHEUMATOID_ARTHRITIS = "RA", "Rheumatoid arthritis"
    NOMID_CAPS = "CAPS", "NOMID / CAPS (cryopyrin-associated periodic syndromes)"
    DIRA = "DIRA", "DIRA (deficiency of IL-1 receptor antagonist)"
    STILLS = "STILL", "Still's disease / sJIA"
    OTHER_AUTOINFLAMMATORY = "OTHER_AI", "Other autoinflammatory disease"
    OTHER = "OTHER", "Other"


class Patient(models.Model):
    """The person who receives the injections. A child has no account of their own."""

    ADULT_AGE_YEARS = 18  # DOSE-ADULT: the fixed RA dose is labelled from 18 years.

    display_name = models.CharField("name", max_length=120)
    date_of_birth = models.DateField()
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal("0.5"), "A weight must be at least 0.5 kg."),
            MaxValueValidator(Decimal("350"), "A weight above 350 kg is not plausible; please check it."),
        ],
    )
    weight_measured_on = models.DateField("weight measured on", null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[validate_time_zone])
    # AE-OVERDOSE, AE-REPORT: which emergency, poison and reporting numbers the pages give. Blank
    # means "the country of the time zone" (`country_code`), read when asked rather than copied
    # into each row, so existing rows need no data migration and a blank one follows a move.
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[validate_country],
        help_text="Decides which emergency and poison numbers the app shows. Leave empty to follow the time zone.",
    )
    indication = models.CharField(max_length=16, choices=Indication.choices, default=Indication.RHEUMATOID_ARTHRITIS)
    creatinine_clearance_ml_min = models.DecimalField(
        "creatinine clearance (mL/min)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Leave empty if not known.",
        validators=[
            MinValueValidator(Decimal("0"), "Creatinine clearance cannot be negative."),
            MaxValueValidator(Decimal("250"), "Creatinine clearance above 250 mL/min is not plausible."),
        ],
    )
    account = models.OneToOneField(
        "companion.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="own_patient_profile",
        help_text="The patient's own sign-in, if they manage their own care.",
    )
    # ACCESS-DOWNLOAD: caregivers see the record but download it (CSV, FHIR) only when the
    # patient (or a child's parent) says so; off by default (issue 16, point 10).
    caregivers_may_download = models.BooleanField("Caregivers may download the full record", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name", "id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_now(self, now=None):
        return (now or timezone.now()).astimezone(self.zone)

    @property
    def country_code(self) -> str:
        """The country chosen, else the country of the time zone (Europe/London -> GB), else ""."""
        return self.country or country_for_time_zone(self.time_zone)

    @property
    def emergency_numbers(self) -> numbers_table.EmergencyNumbers:
        """AE-OVERDOSE, AE-REPORT: the numbers this patient's pages and e-mails give."""
        return numbers_table.numbers_for(self.country_code)

    def local_today(self, now=None) -> date:
        """SCHED-TZ: 'today' is the patient's own local date."""
        return self.local_now(now).date()

    def age_on(self, day: date) -> int:
        years = day.year - self.date_of_birth.year
        if (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day):
            years -= 1
        return years

    def is_child(self, day: date | None = None) -> bool:
        return self.age_on(day or self.local_today()) < self.ADULT_AGE_YEARS


class CareRole(models.TextChoices):
    SELF = "self", "Patient (self)"
    PARENT = "parent", "Parent or guardian"
    CAREGIVER = "caregiver", "Caregiver"
    CLINICIAN = "clinician", "Clinician"


class CareMembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class CareMembership(models.Model):
    """A link from a patient to a person in their care circle, with a role.

    Revoking keeps the row (the history of who had access) but ends access at once.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey("companion.User", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=CareRole.choices)
    receives_reminders = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CareMembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            # One active link per person and patient; a revoked link may be followed by a new one.
            models.UniqueConstraint(
                fields=["patient", "user"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_membership_per_user_and_patient",
            )
        ]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.patient} ({self.get_role_display()})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CareTeamCard(models.Model):
    """Who to call about this patient: the clinic, its hours, and the line for out of hours.

    "Call your doctor now" (AE-SERIOUS) needs a number to call. The numbers are stored in E.164
    (companion/phones.py parses what was typed with the patient's country as the region).
    """

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="care_team_card")
    clinic_name = models.CharField("clinic or team", max_length=120)
    phone = models.CharField("clinic phone", max_length=20)  # E.164: "+" and at most 15 digits
    hours = models.CharField(
        "opening hours", max_length=200, blank=True, help_text="For example: Monday to Friday, 9am to 5pm."
    )
    out_of_hours_phone = models.CharField("out-of-hours line", max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey("companion.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"Care team of {self.patient}: {self.clinic_name}"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def open(self, now=None):
        now = now or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """A single-use, expiring invitation to join a patient's care circle.

    Only a hash of the token is stored, so a database leak does not leak working links.
    """

    VALID_FOR = timedelta(days=7)
    INVITABLE_ROLES = [CareRole.PARENT, CareRole.CAREGIVER, CareRole.CLINICIAN]

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=CareRole.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey("companion.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        "companion.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.patient} as {self.role}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @staticmethod
    def hash_token(token: str) -> str:
        return _hash_token(token)

    def link_token(self) -> str:
        """The token of this invitation's link: a keyed hash of the row (like Django's password-reset
        tokens), so the worker computes it again when it renders the e-mail and the database holds
        only its hash. Rotating SECRET_KEY ends the invitations still open."""
        return salted_hmac(
            "companion.Invitation.link_token",
            f"{self.pk}:{self.email}:{self.expires_at.timestamp():.6f}",
            algorithm="sha256",
        ).hexdigest()

    def status(self, now=None) -> str:
        now = now or timezone.now()
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "open"


class AuditAction(models.TextChoices):
    VIEWED = "viewed", "Viewed"
    CHANGED = "changed", "Changed"
    EXPORTED = "exported", "Exported"
    DELETED = "deleted", "Deleted the profile"


class AppendOnlyError(Exception):
    """The audit trail is append-only: a recorded event is never changed or removed."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """Who viewed, changed or exported which patient's record, and when. Append-only.

    `patient` is nulled if the profile itself is deleted (data rights); `patient_ref` keeps
    the id so the trail still says which record it was, without any health data.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "companion.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    actor_email = models.EmailField(blank=True, help_text="Kept if the account is later deleted.")
    patient = models.ForeignKey(Patient, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events")
    patient_ref = models.PositiveBigIntegerField(db_index=True)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    url_name = models.CharField(max_length=100, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient_ref", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email or 'someone'} {self.action} patient #{self.patient_ref}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")
