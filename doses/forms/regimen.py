"""The regimen form and the paediatric dose calculator form.

Both only gather numbers and ask doses/rules/ for the answer: no rule is
re-implemented here. A refusal from the rules becomes a form error on the field it
concerns, so the page keeps what was typed and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from companion.form_fields import RecordDateField
from companion.models import CareRole, Patient
from doses.rules import catalogue, dosing
from doses.rules import kidney_function as kidney_rules

from ..models import Regimen
from ..services.regimens import RegimenEntry

# Plain words on the form; the rules (SCHED-DAILY, SCHED-RENAL, DOSE-PED-STEP, DOSE-ADULT,
# DOSE-PED-START, DOSE-PED-RANGE, DOSE-PED-MAX, SCHED-TZ) are under the page's "Why?" (issue 16).
INTERVAL_CHOICES = [
    (1, "Every day"),
    (2, "Every other day, for decreased kidney function"),
]
ADMINISTRATION_CHOICES = [
    (1, "Once a day"),
    (2, "Split into two injections a day"),
]
BASIS_CHOICES = [
    (Regimen.DoseBasis.FIXED_ADULT, "Fixed adult dose: 100 mg"),
    (Regimen.DoseBasis.WEIGHT_BASED, "Weight-based: mg per kg per day"),
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
        help_text="Between 1 and 10 mg/kg/day; above 8 only with a clinician override.",
        **extra,
    )


@dataclass(frozen=True)
class IntervalSuggestion:
    """SCHED-RENAL: what the kidney function suggests; a person chooses."""

    interval_days: int
    clearance: Decimal | None
    end_stage: bool = False
    source: str = ""  # where the number comes from ("estimated from serum creatinine on 3 Mar 2026")

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return ("SCHED-RENAL",) if self.interval_days == 2 else ("SCHED-DAILY",)

    @property
    def text(self) -> str:
        """The suggestion in plain words (its rule: `rule_ids`, under "Why?")."""
        source = f" ({self.source})" if self.source else ""
        if self.end_stage:
            return (
                f"End-stage renal disease / dialysis{source}: every other day is suggested. "
                "The prescriber decides."
            )
        if self.clearance is None:
            return "Creatinine clearance not known: every day is suggested."
        if self.interval_days == 2:
            return (
                f"Creatinine clearance {self.clearance} mL/min{source} is below 30 mL/min: every other day is "
                "suggested. The prescriber decides."
            )
        return (
            f"Creatinine clearance {self.clearance} mL/min{source} is 30 or more: every day is suggested."
        )


def suggest_interval(clearance, *, end_stage: bool = False, source: str = "") -> IntervalSuggestion:
    return IntervalSuggestion(
        kidney_rules.suggested_interval_days(clearance, end_stage=end_stage), clearance, end_stage, source
    )


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
        help_text="Your local clock time, the same every day.",
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
        label="Clinician override reason",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required above the labelled maximum of 8 mg/kg/day; recorded with your name.",
    )

    # The rule IDs of the flags shown at the review step (DOSE-PED-START, DOSE-PED-STEP, ...):
    # saving again with the same IDs means "save anyway" (services.save_regimen).
    flags_seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, patient: Patient, role: str, current: Regimen | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.role = role
        self.current = current
        self.refused_rule_ids: list[str] = []  # the rules behind the errors shown (show_review)
        if role != CareRole.CLINICIAN:
            del self.fields["override_reason"]
        if current is not None:
            self.fields["change_reason"].required = True
        self.helper = FormHelper()
        self.set_submit_label(self.default_submit_label())

    @property
    def is_clinician(self) -> bool:
        return self.role == CareRole.CLINICIAN

    @property
    def is_proposal(self) -> bool:
        """A change to a confirmed regimen by someone who cannot confirm it goes to the clinician."""
        return not self.is_clinician and self.current is not None and self.current.is_confirmed

    def default_submit_label(self) -> str:
        if self.is_clinician:
            return "Save and confirm"
        if self.is_proposal:
            return "Send to the clinician"
        return "Save (awaits clinician confirmation)"

    def set_submit_label(self, label: str) -> None:
        self.helper.inputs = []
        self.helper.add_input(Submit("submit", label, css_class="btn-lg"))

    def show_review(self, findings) -> None:
        """The review step: refusals become errors on their fields, flags wait for "save anyway"."""
        flags = [f for f in findings if not f.refuses]
        for finding in findings:
            if finding.refuses:
                field = finding.field if finding.field in self.fields else None
                # Plain words on the field; the rule is under the page's "Why?" (form.refused_rule_ids).
                self.add_error(field, catalogue.without_rule_ids(finding.text))
                self.refused_rule_ids.append(finding.rule_id)
        if flags and not self.errors:
            data = self.data.copy()
            data["flags_seen"] = ",".join(sorted({f.rule_id for f in flags}))
            self.data = data
            self.set_submit_label("Send to the clinician" if self.is_proposal else "Save anyway")

    def regimen_arguments(self) -> dict:
        """Keyword arguments for services.save_regimen, from a valid form: parsed values only.

        The regimen itself is one RegimenEntry; the daily dose of a weight-based regimen is
        left to the service (dosing.weight_based_daily_mg).
        """
        data = self.cleaned_data
        weight_based = data["dose_basis"] == Regimen.DoseBasis.WEIGHT_BASED
        times = [t for t in (data.get("time_1"), data.get("time_2")) if t is not None]
        reason = data.get("change_reason", "").strip() or "First regimen entered."
        return {
            "entry": RegimenEntry(
                dose_basis=data["dose_basis"],
                mg_per_kg=data.get("mg_per_kg") if weight_based else None,
                weight_kg_basis=data.get("weight_kg") if weight_based else None,
                interval_days=data["interval_days"],
                administrations_per_day=data["administrations_per_day"],
                times_of_day=tuple(t.strftime("%H:%M") for t in times),
                starts_on=data["starts_on"],
            ),
            "change_reason": reason,
            "override_reason": data.get("override_reason", "").strip(),
            "flags_seen": [f for f in data.get("flags_seen", "").split(",") if f],
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
        help_text="Used only to suggest how often.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weight_kg"].required = True
        self.fields["mg_per_kg"].required = True
        self.dose: dosing.PaediatricDose | None = None
        self.suggestion: IntervalSuggestion | None = None
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.add_input(Submit("calculate", "Calculate", css_class="btn-lg"))

    def clean(self):
        cleaned = super().clean()
        weight, per_kg = cleaned.get("weight_kg"), cleaned.get("mg_per_kg")
        if weight is not None and per_kg is not None:
            try:
                self.dose = dosing.paediatric_dose(weight, per_kg)
            except catalogue.DoseRuleError as refused:
                message = catalogue.without_rule_ids(str(refused))  # the IDs are under the page's "Why?"
                if "0.01 mL" in message:
                    self.add_error(None, message)
                else:
                    self.add_error("mg_per_kg" if "per kg" in message else "weight_kg", message)
        if "creatinine_clearance_ml_min" not in self.errors:
            try:
                self.suggestion = suggest_interval(cleaned.get("creatinine_clearance_ml_min"))
            except catalogue.DoseRuleError as refused:
                self.add_error("creatinine_clearance_ml_min", catalogue.without_rule_ids(str(refused)))
        return cleaned

    @property
    def administrations(self) -> int:
        return (self.cleaned_data.get("administrations_per_day") if self.is_bound and self.is_valid() else None) or 1
