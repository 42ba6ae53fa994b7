"""The regimen form and the paediatric dose calculator form.

Both only gather numbers and ask doses/rules.py for the answer: no rule is
re-implemented here. A refusal from the rules becomes a form error on the field it
concerns, so the page keeps what was typed and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from companion.form_fields import RecordDateField
from companion.models import CareRole, Patient

from .. import rules
from ..models import Regimen

INTERVAL_CHOICES = [
    (1, "Every day (SCHED-DAILY)"),
    (2, "Every other day, for decreased kidney function (SCHED-RENAL)"),
]
ADMINISTRATION_CHOICES = [
    (1, "Once a day"),
    (2, "Split into two injections a day (DOSE-PED-STEP)"),
]
BASIS_CHOICES = [
    (Regimen.DoseBasis.FIXED_ADULT, "Fixed adult dose: 100 mg (DOSE-ADULT)"),
    (Regimen.DoseBasis.WEIGHT_BASED, "Weight-based: mg per kg per day (DOSE-PED-START, DOSE-PED-RANGE)"),
]


def _weight_field(**extra) -> forms.DecimalField:
    return forms.DecimalField(
        label="Weight (kg)",
        max_digits=5,
        decimal_places=1,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        **extra,
    )


def _mg_per_kg_field(**extra) -> forms.DecimalField:
    return forms.DecimalField(
        label="Dose (mg/kg/day)",
        max_digits=4,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
        help_text="Between 1 and 10 mg/kg/day (DOSE-PED-RANGE); above 8 only with a clinician override (DOSE-PED-MAX).",
        **extra,
    )


@dataclass(frozen=True)
class IntervalSuggestion:
    """SCHED-RENAL: what the kidney function suggests; a person chooses."""

    interval_days: int
    clearance: Decimal | None

    @property
    def text(self) -> str:
        if self.clearance is None:
            return "Creatinine clearance not known: every day is suggested (SCHED-DAILY)."
        if self.interval_days == 2:
            return (
                f"Creatinine clearance {self.clearance} mL/min is below 30 mL/min: every other day is suggested "
                "(SCHED-RENAL). The prescriber decides."
            )
        return f"Creatinine clearance {self.clearance} mL/min is 30 or more: every day is suggested (SCHED-DAILY)."


def suggest_interval(clearance) -> IntervalSuggestion:
    return IntervalSuggestion(rules.dosing_interval_days(clearance), clearance)


class RegimenForm(forms.Form):
    """A new regimen version. Patients and parents enter; clinicians enter and confirm."""

    dose_basis = forms.ChoiceField(label="Dose", choices=BASIS_CHOICES, widget=forms.RadioSelect)
    weight_kg = _weight_field(help_text="The weight the dose is worked out from.")
    mg_per_kg = _mg_per_kg_field()
    interval_days = forms.TypedChoiceField(
        label="How often", choices=INTERVAL_CHOICES, coerce=int, widget=forms.RadioSelect
    )
    administrations_per_day = forms.TypedChoiceField(
        label="Injections a day", choices=ADMINISTRATION_CHOICES, coerce=int, widget=forms.RadioSelect, initial=1
    )
    time_1 = forms.TimeField(
        label="Time of day",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Your local clock time, the same every day (SCHED-DAILY, SCHED-TZ).",
    )
    time_2 = forms.TimeField(
        label="Time of the second injection",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Only for a dose split into two injections a day.",
    )
    starts_on = RecordDateField(label="Starts on", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    change_reason = forms.CharField(
        label="Why (reason for this regimen or change)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = forms.CharField(
        label="Clinician override reason (DOSE-PED-MAX)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required above the labelled maximum of 8 mg/kg/day; recorded with your name.",
    )

    def __init__(self, *args, patient: Patient, role: str, current: Regimen | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.role = role
        self.current = current
        self.dose: rules.PaediatricDose | None = None
        if role != CareRole.CLINICIAN:
            del self.fields["override_reason"]
        if current is not None:
            self.fields["change_reason"].required = True
        self.helper = FormHelper()
        label = "Save and confirm" if role == CareRole.CLINICIAN else "Save (awaits clinician confirmation)"
        self.helper.add_input(Submit("submit", label, css_class="btn-lg"))

    @property
    def is_clinician(self) -> bool:
        return self.role == CareRole.CLINICIAN

    def clean_starts_on(self) -> date:
        starts_on = self.cleaned_data["starts_on"]
        if starts_on < self.patient.local_today():
            raise forms.ValidationError(
                "A regimen starts today or later (the patient's local date). Past doses stay as they were logged."
            )
        return starts_on

    def clean(self):
        cleaned = super().clean()
        basis = cleaned.get("dose_basis")
        per_day = cleaned.get("administrations_per_day")
        times = [t for t in (cleaned.get("time_1"), cleaned.get("time_2")) if t is not None]
        if not times:
            self.add_error("time_1", "Choose the time of day for the injection (SCHED-DAILY).")
        elif per_day == 1 and cleaned.get("time_2") is not None:
            self.add_error("time_2", "Leave this empty for one injection a day, or choose two injections a day.")
        elif per_day == 2 and len(times) != 2:
            self.add_error("time_2", "A split dose needs a second time of day (DOSE-PED-STEP).")
        elif per_day == 2 and times[0] == times[1]:
            self.add_error("time_2", "The two injections need two different times of day.")
        starts_on = cleaned.get("starts_on")
        if basis == Regimen.DoseBasis.FIXED_ADULT:
            if per_day == 2:
                self.add_error("administrations_per_day", "The fixed adult dose is 100 mg once a day (DOSE-ADULT).")
            if starts_on is not None:
                try:
                    rules.adult_dose_mg(self.patient.age_on(starts_on))
                except rules.DoseRuleError as refused:
                    self.add_error("dose_basis", str(refused))
        elif basis == Regimen.DoseBasis.WEIGHT_BASED:
            self._clean_weight_based(cleaned)
        return cleaned

    def _clean_weight_based(self, cleaned) -> None:
        weight, per_kg = cleaned.get("weight_kg"), cleaned.get("mg_per_kg")
        if weight is None and "weight_kg" not in self.errors:
            self.add_error("weight_kg", "Enter the weight in kilograms: a weight-based dose needs it.")
        if per_kg is None and "mg_per_kg" not in self.errors:
            self.add_error("mg_per_kg", "Enter the dose in mg per kg per day.")
        if weight is None or per_kg is None:
            return
        try:
            self.dose = rules.paediatric_dose(weight, per_kg)
        except rules.DoseRuleError as refused:
            message = str(refused)
            field = "weight_kg" if "weight" in message.lower() and "per kg" not in message else "mg_per_kg"
            if "0.01 mL" in message:
                field = None
            self.add_error(field, message)
            return
        if self.dose.needs_clinician_override:  # DOSE-PED-MAX
            if not self.is_clinician:
                self.add_error(
                    "mg_per_kg",
                    f"{per_kg} mg/kg/day is above the labelled maximum of 8 mg/kg/day (DOSE-PED-MAX). Only a "
                    "clinician can prescribe this, with a recorded reason. Ask your child's clinician to enter it.",
                )
            elif not cleaned.get("override_reason", "").strip():
                self.add_error(
                    "override_reason",
                    "Above 8 mg/kg/day needs your reason for the override; it is recorded (DOSE-PED-MAX).",
                )

    def step_warning(self) -> str:
        """DOSE-PED-STEP: a change of mg/kg outside steps of 0.5-1 mg/kg is allowed but pointed out."""
        if self.dose is None or self.current is None or self.current.mg_per_kg is None:
            return ""
        if rules.is_valid_ped_step(self.current.mg_per_kg, self.dose.mg_per_kg):
            return ""
        return (
            f"The change from {self.current.mg_per_kg} to {self.dose.mg_per_kg} mg/kg/day is not a step of "
            "0.5-1 mg/kg (DOSE-PED-STEP). Check it was intended."
        )

    def regimen_arguments(self) -> dict:
        """Keyword arguments for services.create_regimen_version, from a valid form."""
        data = self.cleaned_data
        weight_based = data["dose_basis"] == Regimen.DoseBasis.WEIGHT_BASED
        times = [t for t in (data.get("time_1"), data.get("time_2")) if t is not None]
        reason = data.get("change_reason", "").strip() or "First regimen entered."
        return {
            "dose_basis": data["dose_basis"],
            "daily_dose_mg": self.dose.mg if weight_based else rules.ADULT_DOSE_MG,
            "mg_per_kg": self.dose.mg_per_kg if weight_based else None,
            "weight_kg_basis": self.dose.weight_kg if weight_based else None,
            "interval_days": data["interval_days"],
            "administrations_per_day": data["administrations_per_day"],
            "times_of_day": [t.strftime("%H:%M") for t in times],
            "starts_on": data["starts_on"],
            "confirmed": self.is_clinician,
            "change_reason": reason,
            "override_reason": data.get("override_reason", "").strip(),
        }


class CalculatorForm(forms.Form):
    """The paediatric dose calculator (a GET form: it saves nothing)."""

    weight_kg = _weight_field()
    mg_per_kg = _mg_per_kg_field()
    administrations_per_day = forms.TypedChoiceField(
        label="Injections a day", choices=ADMINISTRATION_CHOICES, coerce=int, initial=1, required=False
    )
    creatinine_clearance_ml_min = forms.DecimalField(
        label="Creatinine clearance (mL/min), if known",
        max_digits=5,
        decimal_places=1,
        required=False,
        help_text="Used only to suggest how often (SCHED-RENAL).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weight_kg"].required = True
        self.fields["mg_per_kg"].required = True
        self.dose: rules.PaediatricDose | None = None
        self.suggestion: IntervalSuggestion | None = None
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.add_input(Submit("calculate", "Calculate", css_class="btn-lg"))

    def clean(self):
        cleaned = super().clean()
        weight, per_kg = cleaned.get("weight_kg"), cleaned.get("mg_per_kg")
        if weight is not None and per_kg is not None:
            try:
                self.dose = rules.paediatric_dose(weight, per_kg)
            except rules.DoseRuleError as refused:
                message = str(refused)
                if "0.01 mL" in message:
                    self.add_error(None, message)
                else:
                    self.add_error("mg_per_kg" if "per kg" in message else "weight_kg", message)
        if "creatinine_clearance_ml_min" not in self.errors:
            try:
                self.suggestion = suggest_interval(cleaned.get("creatinine_clearance_ml_min"))
            except rules.DoseRuleError as refused:
                self.add_error("creatinine_clearance_ml_min", str(refused))
        return cleaned

    @property
    def administrations(self) -> int:
        return (self.cleaned_data.get("administrations_per_day") if self.is_bound and self.is_valid() else None) or 1
