"""The kidney function form (SCHED-RENAL): parses only; the plausibility and the estimate are
doses/kidney.py's, asked by the service, whose refusals the view puts back on the fields."""

from __future__ import annotations

from django import forms

from companion.form_fields import RecordDateField

from ..models import KidneyFunction
from .records import RecordForm, _date_input

KIND_CHOICES = [
    (KidneyFunction.Kind.CREATININE, "Serum creatinine from the lab report (adults: clearance estimated)"),
    (
        KidneyFunction.Kind.CLEARANCE,
        "Creatinine clearance worked out or measured by the clinician (children: this one)",
    ),
    (KidneyFunction.Kind.END_STAGE, "End-stage renal disease / on dialysis"),
]


def _decimal_field(label: str, *, max_digits: int, decimal_places: int, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=max_digits,
        decimal_places=decimal_places,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        error_messages={
            "max_digits": "That number is too long; check it against the lab report.",
            "max_decimal_places": f"Use at most {decimal_places} decimal places.",
            "max_whole_digits": "That number is too long; check it against the lab report.",
        },
    )


class KidneyFunctionForm(RecordForm):
    """SCHED-RENAL: one kidney function result, entered by a clinician."""

    submit_label = "Save kidney function"

    kind = forms.ChoiceField(label="What is the result?", choices=KIND_CHOICES, widget=forms.RadioSelect)
    measured_on = RecordDateField(label="Blood taken on (or diagnosed on)", widget=_date_input(), latest=None)
    creatinine_value = _decimal_field("Serum creatinine", max_digits=7, decimal_places=2)
    creatinine_unit = forms.ChoiceField(
        label="Unit of the creatinine",
        choices=KidneyFunction.Unit.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text="As printed on the report: 1 mg/dL = 88.42 µmol/L.",
    )
    sex = forms.ChoiceField(
        label="Sex (Cockcroft-Gault multiplies by 0.85 for a female patient)",
        choices=KidneyFunction.Sex.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    weight_kg = _decimal_field(
        "Weight (kg) on the day", max_digits=5, decimal_places=1, help_text="Prefilled from the profile."
    )
    clearance_ml_min = _decimal_field(
        "Creatinine clearance (mL/min)",
        max_digits=6,
        decimal_places=1,
        help_text="Only for a clearance the clinician worked out or measured (a child's, or a 24-hour urine).",
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measured_on"].initial = self.today
        self.fields["weight_kg"].initial = self.patient.weight_kg
        self.fields["creatinine_unit"].initial = KidneyFunction.Unit.MG_DL
        if self.patient.is_child():
            self.fields["kind"].initial = KidneyFunction.Kind.CLEARANCE

    def clean_measured_on(self):
        return self.past_or_today(self.cleaned_data.get("measured_on"), "test date")
