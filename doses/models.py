"""Regimen, scheduled doses, injections, side effects, supply, medicines, vaccines, labs.

The rules themselves live in the package doses/rules/; models only hold facts about their own
state and call the rules for anything a rule decides.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from doses.rules import dose_timing, dosing, recorded_doses, regimen_review
from doses.rules import kidney_function as kidney_rules

from . import triage as triage_rules


class RegimenQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ends_on__isnull=True)


class Regimen(models.Model):
    """One version of a patient's prescription. Never edited in place: a change is a new version."""

    class DoseBasis(models.TextChoices):
        FIXED_ADULT = "fixed", "Fixed adult dose (100 mg)"
        WEIGHT_BASED = "weight", "Weight-based (mg per kg)"

    class Status(models.TextChoices):
        AWAITING_CONFIRMATION = "awaiting", "Awaiting clinician confirmation"
        CONFIRMED = "confirmed", "Confirmed by a clinician"

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="regimens")
    version = models.PositiveIntegerField()
    dose_basis = models.CharField(max_length=8, choices=DoseBasis.choices)
    daily_dose_mg = models.DecimalField(max_digits=6, decimal_places=1)
    mg_per_kg = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    weight_kg_basis = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    interval_days = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(2)]
    )  # SCHED-DAILY / SCHED-RENAL
    administrations_per_day = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(2)]
    )  # DOSE-PED-STEP
    times_of_day = models.JSONField(help_text='Local clock times, e.g. ["08:00"] (SCHED-TZ).')
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Set when a newer version takes over.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.AWAITING_CONFIRMATION)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    change_reason = models.TextField(blank=True)
    override_reason = models.TextField(blank=True, help_text="DOSE-PED-MAX: why a dose above 8 mg/kg/day is used.")
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    supersedes = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="superseded_by"
    )
    rule_flags = models.JSONField(
        default=list, blank=True, help_text="Rule checks flagged when it was entered (rules.regimen_findings)."
    )

    objects = RegimenQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="regimen_version_unique"),
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(ends_on__isnull=True), name="one_current_regimen_per_patient"
            ),
            models.CheckConstraint(condition=models.Q(interval_days__in=[1, 2]), name="regimen_interval_1_or_2"),
            models.CheckConstraint(
                condition=models.Q(administrations_per_day__in=[1, 2]), name="regimen_one_or_two_a_day"
            ),
            models.CheckConstraint(condition=models.Q(daily_dose_mg__gt=0), name="regimen_dose_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} v{self.version}: {self.describe()}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED

    @property
    def times(self) -> list[time]:
        return sorted(time.fromisoformat(t) for t in self.times_of_day)

    @property
    def dose_per_administration_mg(self) -> Decimal:
        return regimen_review.split_dose_mg(self.daily_dose_mg, self.administrations_per_day)

    @property
    def needs_override(self) -> bool:
        return self.mg_per_kg is not None and self.mg_per_kg > dosing.PED_LABEL_MAX_MG_PER_KG

    def describe(self) -> str:
        every = "every day" if self.interval_days == 1 else "every other day"
        split = "" if self.administrations_per_day == 1 else f", split into 2 × {self.dose_per_administration_mg} mg"
        per_kg = f" ({self.mg_per_kg} mg/kg × {self.weight_kg_basis} kg)" if self.mg_per_kg else ""
        return f"{self.daily_dose_mg} mg{per_kg} {every}{split} at {', '.join(self.times_of_day)}"

    def slot_datetimes(self, from_day: date, to_day: date) -> list[datetime]:
        """The scheduled doses of this version between two local days (SCHED-TZ)."""
        return dose_timing.dose_slots(
            starts_on=self.starts_on,
            interval_days=self.interval_days,
            times_of_day=self.times,
            zone=self.patient.zone,
            from_day=from_day,
            to_day=to_day,
            ends_on=self.ends_on,
        )


class RegimenProposalQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=RegimenProposal.Status.OPEN)


class RegimenProposal(models.Model):
    """A change to a confirmed regimen, entered by someone without the CONFIRM capability.

    It is not a Regimen: slots, reminders, the log and the calendar feed keep reading the
    confirmed version in force (`based_on`) until a clinician confirms the proposal (it
    then becomes `regimen`, a new version) or declines it with a reason the family sees.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a clinician"
        CONFIRMED = "confirmed", "Confirmed by a clinician"
        DECLINED = "declined", "Declined by a clinician"
        WITHDRAWN = "withdrawn", "Withdrawn"
        SUPERSEDED = "superseded", "Replaced by a newer change"

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="regimen_proposals")
    based_on = models.ForeignKey(Regimen, on_delete=models.CASCADE, related_name="proposals")
    dose_basis = models.CharField(max_length=8, choices=Regimen.DoseBasis.choices)
    daily_dose_mg = models.DecimalField(max_digits=6, decimal_places=1)
    mg_per_kg = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    weight_kg_basis = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    interval_days = models.PositiveSmallIntegerField(default=1)
    administrations_per_day = models.PositiveSmallIntegerField(default=1)
    times_of_day = models.JSONField()
    starts_on = models.DateField(help_text="The start asked for; a late confirmation starts it tomorrow.")
    change_reason = models.TextField(blank=True)
    rule_flags = models.JSONField(default=list, blank=True, help_text="Rule checks for the clinician to see.")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    regimen = models.OneToOneField(
        Regimen, on_delete=models.SET_NULL, null=True, blank=True, related_name="from_proposal"
    )

    objects = RegimenProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(status="open"), name="one_open_proposal_per_patient"
            ),
            models.CheckConstraint(condition=models.Q(daily_dose_mg__gt=0), name="proposal_dose_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: proposed {self.describe()} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def dose_per_administration_mg(self) -> Decimal:
        return regimen_review.split_dose_mg(self.daily_dose_mg, self.administrations_per_day)

    @property
    def needs_override(self) -> bool:
        return self.mg_per_kg is not None and self.mg_per_kg > dosing.PED_LABEL_MAX_MG_PER_KG

    describe = Regimen.describe


class SlotStatus(models.TextChoices):
    PENDING = "pending", "Due"
    TAKEN = "taken", "Taken"
    NOT_TAKEN = "not_taken", "Not taken"
    MISSED = "missed", "Missed"
    HELD = "held", "Held by the clinician"  # AE-ALLERGY / AE-INFECTION: treatment on hold, not due


class NotTakenReason(models.TextChoices):
    FORGOT = "forgot", "Forgot"
    SIDE_EFFECT = "side_effect", "Side effect"
    INFECTION = "infection", "Infection"
    OUT_OF_STOCK = "out_of_stock", "Out of stock"
    CLINICIAN_HOLD = "clinician_hold", "Clinician told me to pause"
    OTHER = "other", "Other"


class DoseSlotQuerySet(models.QuerySet):
    def due_between(self, start: datetime, end: datetime):
        return self.filter(scheduled_at__gte=start, scheduled_at__lt=end)


class DoseSlot(models.Model):
    """One scheduled dose, materialised ahead of time so reminders, the missed-dose
    job and the dashboards all count the same rows."""

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="slots")
    regimen = models.ForeignKey(Regimen, on_delete=models.CASCADE, related_name="slots")
    scheduled_at = models.DateTimeField()
    local_date = models.DateField(help_text="The patient's local calendar day of this dose (SCHED-TZ).")
    dose_mg = models.DecimalField(max_digits=6, decimal_places=1)
    status = models.CharField(max_length=12, choices=SlotStatus.choices, default=SlotStatus.PENDING)
    not_taken_reason = models.CharField(max_length=16, choices=NotTakenReason.choices, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = DoseSlotQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "scheduled_at"], name="one_slot_per_patient_and_time"),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_at"]),
            models.Index(fields=["patient", "local_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.patient} {self.scheduled_at:%Y-%m-%d %H:%M} {self.status}"

    def is_overdue(self, now: datetime) -> bool:
        return self.status == SlotStatus.PENDING and now >= self.scheduled_at


class InjectedBy(models.TextChoices):
    SELF = "self", "I injected myself"
    OTHER = "other", "Someone else gave it"


class Injection(models.Model):
    """A dose given. One per slot, enforced by the database (MISS-NODOUBLE)."""

    slot = models.OneToOneField(DoseSlot, on_delete=models.CASCADE, related_name="injection")
    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="injections")
    taken_at = models.DateTimeField()
    dose_mg = models.DecimalField(max_digits=6, decimal_places=1)
    site_spot = models.CharField(max_length=32)
    injected_by = models.CharField(max_length=8, choices=InjectedBy.choices, default=InjectedBy.SELF)
    prep_checks = models.JSONField(default=dict, blank=True, help_text="PREP-* answers before injecting.")
    notes = models.TextField(blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now)
    # AE-OVERDOSE: more than the prescribed dose was really injected, and the person said so.
    above_prescribed = models.BooleanField(default=False, help_text="AE-OVERDOSE: more than prescribed was given.")
    prescribed_mg = models.DecimalField(
        max_digits=6, decimal_places=1, null=True, blank=True, help_text="The slot's prescribed dose when logged."
    )
    # TRACE-BATCH: the batch (lot) of the box the syringe came from, copied when the dose is
    # logged (the record as given); blank for a dose logged before batches were recorded.
    batch_number = models.CharField(max_length=20, blank=True, help_text="TRACE-BATCH: blank = not recorded.")
    batch_expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["patient", "taken_at"])]
        constraints = [models.CheckConstraint(condition=models.Q(dose_mg__gt=0), name="injection_dose_positive")]

    def __str__(self) -> str:
        return f"{self.patient} {self.taken_at:%Y-%m-%d %H:%M} {self.site_spot}"

    @property
    def site_label(self) -> str:
        """The spot in words, e.g. "Stomach, left of the navel, spot 2" (SITE-ROTATE)."""
        from . import sites

        try:
            return sites.spot_label(self.site_spot)
        except ValueError:
            return self.site_spot


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class SideEffect(models.Model):
    """A symptom logged by the patient or a carer (AE-COMMON, AE-SERIOUS, AE-ISR-DURATION)."""

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="side_effects")
    symptom = models.CharField(max_length=32, help_text="A code from doses/side_effects.py, or 'other'.")
    description = models.CharField(max_length=500, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MILD)
    started_on = models.DateField()
    injection = models.ForeignKey(Injection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    is_site_reaction = models.BooleanField(default=False)
    is_serious = models.BooleanField(default=False, help_text="AE-SERIOUS: call the doctor now.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_on", "-logged_at"]
        indexes = [models.Index(fields=["patient", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.patient} {self.symptom} from {self.started_on}"

    def is_persistent_site_reaction(self, today: date) -> bool:
        """AE-ISR-DURATION: a site reaction still open after 2 weeks is flagged."""
        return (
            self.is_site_reaction
            and self.resolved_at is None
            and triage_rules.is_persistent_site_reaction(self.started_on, today)
        )


class CareAlert(models.Model):
    """Something the care team must know now. Stored here; reminders/ delivers it."""

    class Kind(models.TextChoices):
        SERIOUS_SYMPTOM = "serious_symptom", "Serious symptom logged"
        INTERACTION = "interaction", "Medicine interaction"
        LIVE_VACCINE = "live_vaccine", "Live vaccine logged"
        PERSISTENT_SITE_REACTION = "persistent_isr", "Site reaction over 2 weeks"
        DOSE_OVERRIDE = "dose_override", "Dose above the labelled maximum"
        OVERDOSE = "overdose", "More than the prescribed dose injected"
        TREATMENT_HOLD = "treatment_hold", "Treatment on hold"
        REGIMEN_PROPOSAL = "regimen_proposal", "Regimen change waiting for confirmation"
        WEIGHT_DOSE = "weight_dose", "New weight moves the dose out of range"
        RENAL_INTERVAL = "renal_interval", "Kidney function: every other day to consider"  # SCHED-RENAL
        LOW_NEUTROPHILS = "low_neutrophils", "Neutrophil count below 1.5 x 10^9/L"  # AE-NEUTROPENIA

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    rule_id = models.CharField(max_length=24)
    summary = models.CharField(max_length=200, help_text="Shown in the app; e-mails say less.")
    side_effect = models.ForeignKey(SideEffect, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts")
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "acknowledged_at"])]

    def __str__(self) -> str:
        return f"{self.patient}: {self.get_kind_display()}"


class SupplyEvent(models.Model):
    """The syringe ledger (SUPPLY-BOX). Syringes on hand = the sum of `syringes`.

    Pick-ups are the refill history that proportion of days covered is computed from.
    """

    class Kind(models.TextChoices):
        PICKUP = "pickup", "Picked up"
        DOSE = "dose", "Used for a dose"
        DISCARD = "discard", "Discarded syringe"
        CORRECTION = "correction", "Count correction"

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="supply_events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    syringes = models.IntegerField(help_text="Positive adds to the stock, negative takes away.")
    boxes = models.PositiveSmallIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    injection = models.OneToOneField(
        Injection, on_delete=models.CASCADE, null=True, blank=True, related_name="supply_event"
    )
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # SUPPLY-BOX: the ledger never goes below zero. A dose or discard recorded when the count
    # had fewer syringes than it needed takes what is on hand; the rest is noted here, and
    # Today asks for a count until a pick-up or correction follows.
    shortfall = models.PositiveSmallIntegerField(default=0, help_text="Syringes the count did not have.")
    # TRACE-BATCH: a pick-up records its boxes' batch (lot) number and expiry; a dose says
    # which pick-up's box its syringe came from, so each box's syringes left can be counted.
    batch_number = models.CharField(max_length=20, blank=True, help_text="TRACE-BATCH: a pick-up's lot number.")
    batch_expires_on = models.DateField(null=True, blank=True, help_text="TRACE-BATCH: the expiry on the box.")
    from_pickup = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="taken_from",
        help_text="TRACE-BATCH: the pick-up (box) a dose's syringes came from.",
    )

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["patient", "kind", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.patient} {self.kind} {self.syringes:+d}"


class FridgeSyringe(models.Model):
    """A syringe taken out of the fridge, with the time it must be used by (PREP-24H)."""

    USABLE_FOR = recorded_doses.ROOM_TEMPERATURE_USE_WITHIN  # PREP-24H

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="fridge_syringes")
    taken_out_at = models.DateTimeField()
    use_by = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Used, discarded or put back.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-taken_out_at"]

    def __str__(self) -> str:
        return f"{self.patient}: out of the fridge {self.taken_out_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self.use_by and self.taken_out_at:
            self.use_by = recorded_doses.use_by_after(self.taken_out_at)
        super().save(*args, **kwargs)


class MedicineCategory(models.TextChoices):
    TNF_ANTAGONIST = "tnf", "TNF blocker"  # IX-TNF
    OTHER_BIOLOGIC = "biologic", "Other biologic"  # IX-BIOLOGIC
    IMMUNOSUPPRESSANT = "immuno", "Immunosuppressant"  # IX-IMMUNO
    OTHER = "other", "Other medicine"


class MedicineMatch(models.TextChoices):
    """How the name was recognised (doses/medicines.py: EXACT, CONFIRMED, UNCONFIRMED)."""

    EXACT = "exact", "Recognised by name"
    CONFIRMED = "confirmed", "Close spelling, confirmed"
    UNCONFIRMED = "unconfirmed", "Close spelling, not confirmed"


class OtherMedicine(models.Model):
    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="other_medicines")
    name = models.CharField(max_length=120)  # as typed
    category = models.CharField(max_length=10, choices=MedicineCategory.choices, default=MedicineCategory.OTHER)
    # The generic name the typed name resolved to (or, when not confirmed, may be), and how.
    generic_name = models.CharField(max_length=120, blank=True)
    match = models.CharField(max_length=12, choices=MedicineMatch.choices, blank=True)
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["stopped_on", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_interaction(self) -> bool:
        """IX-TNF / IX-BIOLOGIC: not to be combined with anakinra."""
        return self.category in (MedicineCategory.TNF_ANTAGONIST, MedicineCategory.OTHER_BIOLOGIC)

    @property
    def is_unconfirmed(self) -> bool:
        """Kept as typed although it looked like a medicine on the interaction list."""
        return self.match == MedicineMatch.UNCONFIRMED


class Vaccination(models.Model):
    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="vaccinations")
    name = models.CharField(max_length=120)
    is_live = models.BooleanField(default=False, help_text="IX-LIVE-VACCINE")
    given_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-given_on"]

    def __str__(self) -> str:
        return f"{self.name} on {self.given_on}"


class BaselineChecklist(models.Model):
    """Before-you-start answers (AE-INFECTION, AE-ALLERGY, PRE-PREGNANCY, PRE-CHILD-VACCINE)."""

    patient = models.OneToOneField("companion.Patient", on_delete=models.CASCADE, related_name="baseline")
    active_infection = models.BooleanField(default=False)
    # AE-INFECTION: "not recommended with a severe active infection"; a severe one holds treatment.
    infection_is_severe = models.BooleanField("the infection is severe", default=False)
    ecoli_protein_allergy = models.BooleanField("allergy to E. coli-derived proteins", default=False)
    latex_allergy = models.BooleanField(default=False)
    pregnant_or_breastfeeding = models.BooleanField(default=False)
    pneumococcal_vaccinated = models.BooleanField(
        "child: vaccinated against Streptococcus pneumoniae", null=True, blank=True
    )
    hib_vaccinated = models.BooleanField("child: vaccinated against Haemophilus influenzae", null=True, blank=True)
    completed_at = models.DateTimeField(default=timezone.now)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    def __str__(self) -> str:
        return f"Before-you-start checklist for {self.patient}"


class HoldReason(models.TextChoices):
    INFECTION = "infection", "Infection"  # AE-INFECTION
    SURGERY = "surgery", "Surgery"  # PRE-SURGERY
    PREGNANCY = "pregnancy", "Pregnancy"  # PRE-PREGNANCY
    ALLERGY = "allergy", "Allergic reaction"  # AE-ALLERGY
    LOW_NEUTROPHILS = "low_neutrophils", "Low neutrophils"  # AE-NEUTROPENIA
    OTHER = "other", "Other"


class HoldQuerySet(models.QuerySet):
    def open(self):
        return self.filter(ended_at__isnull=True)


class TreatmentHold(models.Model):
    """A pause in treatment, started by a clinician or automatically pending a clinician's review.

    While a hold is open no dose is due: its slots are HELD (no reminder, never missed, not
    counted for adherence or days covered) and the log refuses with the reason. It ends when
    a clinician resumes (doses from the next local day) or stops treatment, or by itself at
    the end of `until`.
    """

    class Trigger(models.TextChoices):
        CLINICIAN = "clinician", "Clinician"
        SIDE_EFFECT = "side_effect", "Side effect logged"
        CHECKLIST = "checklist", "Before-you-start answer"
        LAB_RESULT = "lab_result", "Blood test result"  # AE-NEUTROPENIA

    class Outcome(models.TextChoices):
        RESUMED = "resumed", "Resumed"
        STOPPED = "stopped", "Treatment stopped"
        EXPIRED = "expired", "Ended on its end date"

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="holds")
    reason = models.CharField(max_length=16, choices=HoldReason.choices)
    note = models.CharField(max_length=300, blank=True)
    starts_at = models.DateTimeField()
    starts_on = models.DateField(help_text="The patient's local date of starts_at (SCHED-TZ).")
    until = models.DateField(null=True, blank=True, help_text="Last local day held; doses resume the day after.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_automatic = models.BooleanField(default=False, help_text="Started by a rule, pending a clinician's review.")
    rule_id = models.CharField(max_length=24, blank=True)
    trigger = models.CharField(max_length=12, choices=Trigger.choices, default=Trigger.CLINICIAN)
    side_effect = models.ForeignKey(SideEffect, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    end_note = models.CharField(max_length=300, blank=True)

    objects = HoldQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(ended_at__isnull=True), name="one_open_hold_per_patient"
            ),
            models.CheckConstraint(
                condition=models.Q(until__isnull=True) | models.Q(until__gte=models.F("starts_on")),
                name="hold_until_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: on hold ({self.get_reason_display()}) since {self.starts_on}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def pending_review(self) -> bool:
        return self.is_automatic and self.reviewed_at is None and self.ended_at is None

    def held_span(self, *, today: date, zone) -> tuple[date, date] | None:
        """(first, last) local days held, for days covered and the history; None if none.

        An open hold runs to `until` (or today); one resumed or stopped to the day it ended
        (doses from the next day); one that expired to its `until`.
        """
        last = self.until
        if self.ended_at is not None:
            if self.outcome == self.Outcome.EXPIRED and self.until is not None:
                ended_on = self.until
            else:
                ended_on = timezone.localtime(self.ended_at, zone).date()
            last = ended_on if last is None else min(last, ended_on)
        if last is None:
            last = today
        return (self.starts_on, last) if last >= self.starts_on else None


class TreatmentStop(models.Model):
    """Treatment stopped by a clinician: the regimen in force ended (history: "stopped on X by Dr Y")."""

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="treatment_stops")
    regimen = models.ForeignKey(Regimen, on_delete=models.CASCADE, related_name="stops")
    reason = models.CharField(max_length=16, choices=HoldReason.choices)
    note = models.CharField(max_length=300, blank=True)
    stopped_at = models.DateTimeField()
    stopped_on = models.DateField(help_text="The last local day of treatment.")
    stopped_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-stopped_at"]

    def __str__(self) -> str:
        return f"{self.patient}: treatment stopped on {self.stopped_on}"


class LabTest(models.Model):
    """A neutrophil count due or done (AE-LABS)."""

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="lab_tests")
    label = models.CharField(max_length=40)
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    neutrophils_10e9_per_l = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on"]
        constraints = [models.UniqueConstraint(fields=["patient", "due_on", "label"], name="one_lab_per_due_date")]

    def __str__(self) -> str:
        return f"{self.patient}: neutrophils {self.label} due {self.due_on}"


class PatientAdherenceSummary(models.Model):
    """The clinician panel's row for one patient, computed ahead of time (dashboard).

    Every measure here is computed by the pure functions in doses/adherence.py
    (doses/selectors: compute_adherence_summaries); nothing re-implements one in SQL.
    A write that changes an input marks the row stale (`stale_since`) and the worker
    refreshes it seconds after the commit (services.summaries.refresh_adherence_summary_on_commit,
    doses/tasks.py); a periodic job refreshes every row, because the 30/90-day windows move
    with time and the patient's local day changes. A row is *current* from `refreshed_at`
    until `valid_until` (at most SUMMARY_MAX_AGE, never past the patient's local midnight)
    while no write is waiting; the panel refreshes the rows it shows that have expired, or
    that the worker has left stale too long, and says "updating" on the others.
    """

    patient = models.OneToOneField(
        "companion.Patient", on_delete=models.CASCADE, primary_key=True, related_name="adherence_summary"
    )
    refreshed_at = models.DateTimeField(help_text="The moment the measures were computed for.")
    valid_until = models.DateTimeField(db_index=True)
    as_of_local_date = models.DateField(help_text="The patient's local date at refreshed_at (SCHED-TZ).")
    is_child = models.BooleanField(default=False)
    adherence_30_taken = models.PositiveIntegerField(default=0)
    adherence_30_due = models.PositiveIntegerField(default=0)
    adherence_90_taken = models.PositiveIntegerField(default=0)
    adherence_90_due = models.PositiveIntegerField(default=0)
    pdc_covered_days = models.PositiveIntegerField(default=0)
    pdc_period_days = models.PositiveIntegerField(default=0)
    pdc_start = models.DateField(null=True, blank=True)
    missed_run = models.PositiveIntegerField(default=0)
    last_dose_at = models.DateTimeField(null=True, blank=True)
    open_serious_count = models.PositiveIntegerField(default=0)
    persistent_site_reactions = models.PositiveIntegerField(default=0)
    interaction_names = models.JSONField(default=list, blank=True)
    syringes_on_hand = models.IntegerField(default=0)
    supply_days_left = models.IntegerField(null=True, blank=True)
    next_lab_due = models.DateField(null=True, blank=True)
    awaiting_confirmation = models.BooleanField(default=False)
    attention_score = models.PositiveIntegerField(default=0)
    # adherence.attention_flags codes, space-separated with a space at each end, so a
    # flag filter is `attention_reasons__contains=" serious "` on any database.
    attention_reasons = models.CharField(max_length=200, blank=True)
    # Set by a write that changes a measure (services.summaries.refresh_adherence_summary_on_commit),
    # in the write's transaction; cleared by the worker's refresh that read the data after it.
    # While set, the panel says "updating" beside the row's figures instead of showing them as current.
    stale_since = models.DateTimeField(
        null=True, blank=True, help_text="The last write not yet in these figures (None: up to date)."
    )

    SUMMARY_MAX_AGE = timedelta(minutes=20)  # the periodic refresh runs every 15 minutes

    class Meta:
        verbose_name_plural = "patient adherence summaries"

    def __str__(self) -> str:
        return f"{self.patient_id}: adherence summary as of {self.refreshed_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def reasons_text(flags: list[str]) -> str:
        return f" {' '.join(flags)} " if flags else ""

    @property
    def flags(self) -> list[str]:
        return self.attention_reasons.split()

    @property
    def interaction_flag(self) -> bool:
        return bool(self.interaction_names)

    def is_current(self, now: datetime) -> bool:
        """Computed for a moment at or before `now`, not yet expired, and no write since."""
        return self.stale_since is None and self.refreshed_at <= now < self.valid_until


class KidneyFunction(models.Model):
    """A kidney function result (SCHED-RENAL), one row per result, never edited.

    A serum creatinine (kept as typed, and in mg/dL) with the clearance estimated from it by
    Cockcroft-Gault (adults) and the inputs the estimate used; or a creatinine clearance the
    clinician entered (measured, or a child's); or end-stage renal disease / dialysis.
    The latest by date is the patient's current kidney function (selectors/kidney.py).
    """

    class Kind(models.TextChoices):
        CREATININE = "creatinine", "Serum creatinine (clearance estimated by Cockcroft-Gault)"
        CLEARANCE = "clearance", "Creatinine clearance entered by the clinician"
        END_STAGE = "esrd", "End-stage renal disease / dialysis"

    class Unit(models.TextChoices):
        MG_DL = kidney_rules.MG_DL, "mg/dL"
        UMOL_L = kidney_rules.UMOL_L, "µmol/L"

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"

    patient = models.ForeignKey("companion.Patient", on_delete=models.CASCADE, related_name="kidney_functions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    measured_on = models.DateField(help_text="The day of the blood test (or of the diagnosis).")
    creatinine_value = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    creatinine_unit = models.CharField(max_length=8, choices=Unit.choices, blank=True)
    creatinine_mg_dl = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    clearance_ml_min = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    # The Cockcroft-Gault inputs, as used on the day (the profile's weight may change later).
    age_years = models.PositiveSmallIntegerField(null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    sex = models.CharField(max_length=8, choices=Sex.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-measured_on", "-recorded_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-measured_on"])]

    def __str__(self) -> str:
        return f"{self.patient}: kidney function ({self.get_kind_display()}) on {self.measured_on}"

    @property
    def is_end_stage(self) -> bool:
        return self.kind == self.Kind.END_STAGE

    @property
    def is_estimated(self) -> bool:
        return self.kind == self.Kind.CREATININE
