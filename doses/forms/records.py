"""Forms for side effects, supply, fridge, medicines, vaccines, the checklist and labs.

Forms only check the shape of the input; the rules live in doses/rules/, doses/triage.py
and doses/medicines.py (a form asks them, so its refusal is the service's, word for word)
and the writes in doses/services, whose RecordRefused errors the views put back on the
form (so the person keeps what they typed).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.db.models import F
from django.utils import timezone

from companion.form_fields import RecordDateField, RecordDateTimeField
from companion.models import Patient
from doses import before_you_start as start_checks
from doses import vaccines as vaccine_rules
from doses.rules import lab_checks, record_limits, syringe_supply

from .. import medicines as medicine_rules
from .. import triage as triage_rules
from ..models import Injection, LabTest, MedicineCategory, Severity
from ..services.records import FRIDGE_OUTCOMES


class RecordForm(forms.Form):
    """A crispy form posting to `action`, with one large primary button."""

    submit_label = "Save"

    def __init__(self, *args, patient: Patient, action: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.today = patient.local_today()
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.add_input(Submit("submit", self.submit_label, css_class="btn-lg"))

    def past_or_today(self, value: date | None, what: str) -> date | None:
        if refusal := record_limits.future_date_refusal(value, self.today, what):
            raise forms.ValidationError(refusal)
        return value


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _symptom_choices() -> list:
    """The catalogue grouped the way the documents group it."""
    groups: dict[str, list[tuple[str, str]]] = {
        "Where I injected (common)": [],
        "Elsewhere (common)": [],
        "Call the doctor now": [],
        "Emergency": [],
        "Not on the list": [],
    }
    for symptom in triage_rules.SYMPTOMS.values():
        if symptom.code == triage_rules.OTHER:
            group = "Not on the list"
        elif symptom.level == triage_rules.EMERGENCY:
            group = "Emergency"
        elif symptom.level == triage_rules.CALL_DOCTOR_NOW:
            group = "Call the doctor now"
        elif symptom.site_reaction:
            group = "Where I injected (common)"
        else:
            group = "Elsewhere (common)"
        groups[group].append((symptom.code, symptom.label))
    return [("", "Choose a symptom…"), *groups.items()]


class InjectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Injection) -> str:
        local = timezone.localtime(obj.taken_at, obj.patient.zone)
        return f"{local:%a %d %b %H:%M} — {getattr(obj, 'site_label', obj.site_spot)}"


class SideEffectForm(RecordForm):
    submit_label = "Log symptom"

    symptom = forms.ChoiceField(
        choices=_symptom_choices,
        error_messages={
            "required": "Choose a symptom from the list, or “Something else” and describe it.",
            "invalid_choice": "Choose a symptom from the list, or “Something else” and describe it.",
        },
    )
    description = forms.CharField(
        label="Describe it (optional, required for “Something else”)",
        required=False,
        max_length=triage_rules.MAX_DESCRIPTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": "Please keep the description to %(limit_value)d characters (it has %(show_value)d)."
        },
    )
    severity = forms.ChoiceField(
        label="How bad is it?",
        choices=Severity.choices,
        initial=Severity.MILD,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose mild, moderate or severe."},
    )
    started_on = RecordDateField(label="Started on", widget=_date_input(), latest=None)  # past_or_today
    injection = InjectionChoiceField(
        label="Which injection? (for a reaction where you injected)",
        queryset=Injection.objects.none(),
        required=False,
        empty_label="Not linked to an injection",
        error_messages={"invalid_choice": "Choose one of the recent injections, or none."},
    )

    def __init__(self, *args, injections=None, **kwargs):
        super().__init__(*args, **kwargs)
        if injections is not None:
            self.fields["injection"].queryset = injections.select_related("patient")
        self.fields["started_on"].initial = self.today

    def clean_started_on(self):
        return self.past_or_today(self.cleaned_data.get("started_on"), "start date")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("symptom") == triage_rules.OTHER and not (cleaned.get("description") or "").strip():
            self.add_error("description", "Describe the symptom in a few words.")
        return cleaned


class PickupForm(RecordForm):
    submit_label = "Record pick-up"

    boxes = forms.IntegerField(
        label=f"Boxes picked up ({syringe_supply.SYRINGES_PER_BOX} syringes each)",
        min_value=1,
        max_value=syringe_supply.MAX_BOXES_PER_PICKUP,
        initial=1,
        error_messages={
            "min_value": "Enter the number of boxes picked up: at least 1.",
            "max_value": "%(limit_value)s boxes at once is the most we accept; please check the number.",
            "invalid": "Enter a whole number of boxes.",
        },
    )
    on = RecordDateField(label="Picked up on", widget=_date_input(), latest=None)  # past_or_today
    # TRACE-BATCH: the batch (lot) and expiry printed on the box; boxes of different batches
    # are recorded as separate pick-ups.
    batch_number = forms.CharField(
        label="Batch (lot) number on the box",
        max_length=40,
        help_text="Printed after “Lot” or “Batch”. Boxes with different batch numbers: record each as its own pick-up.",
        error_messages={"required": "Enter the batch (lot) number printed on the box (after “Lot” or “Batch”)."},
    )
    expires_on = RecordDateField(
        label="Expiry date on the box",
        widget=_date_input(),
        help_text="If the box shows only a month, enter the last day of that month.",
        error_messages={"required": "Enter the expiry date printed on the box."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = self.today

    def clean_on(self):
        return self.past_or_today(self.cleaned_data.get("on"), "pick-up date")

    def clean_batch_number(self):
        batch_number = syringe_supply.clean_batch_number(self.cleaned_data.get("batch_number", ""))
        if refusal := syringe_supply.batch_number_refusal(batch_number):  # TRACE-BATCH
            raise forms.ValidationError(refusal)
        return batch_number


class SupplyCountForm(RecordForm):
    submit_label = "Save count"

    actual_count = forms.IntegerField(
        label="Syringes you have now (count them)",
        min_value=0,
        max_value=syringe_supply.MAX_SYRINGES_ON_HAND,
        error_messages={
            "min_value": "The number of syringes cannot be negative.",
            "max_value": "That is more syringes than we expect anyone to keep; please check the number.",
            "invalid": "Enter a whole number of syringes.",
        },
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=300)


class FridgeOutForm(RecordForm):
    submit_label = "Taken out of the fridge"

    taken_out_at = RecordDateTimeField(
        label="Taken out at (leave empty for now)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_taken_out_at(self):
        value = self.cleaned_data.get("taken_out_at")
        if refusal := record_limits.future_moment_refusal(value, timezone.now(), "time it was taken out"):
            raise forms.ValidationError(refusal)
        return value


class FridgeCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[(o, o) for o in FRIDGE_OUTCOMES], error_messages={"invalid_choice": "Choose what happened."}
    )


class MedicineForm(RecordForm):
    submit_label = "Add medicine"

    name = forms.CharField(
        label="Medicine name",
        max_length=120,
        widget=forms.TextInput(attrs={"list": "medicine-names", "autocomplete": "off"}),
        error_messages={"max_length": "Please keep the name to %(limit_value)d characters."},
    )
    category = forms.ChoiceField(
        label="Kind of medicine",
        required=False,
        choices=[("", "Work it out from the name"), *MedicineCategory.choices],
        help_text="A name we recognise decides the kind, so a TNF blocker is never missed.",
    )
    started_on = RecordDateField(
        label="Started on (optional)", required=False, widget=_date_input(), latest=None
    )  # past_or_today

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A close spelling ("Humera") is asked about, never applied silently: the question
        # appears once the typed name is one, with the name kept as typed.
        suggestion = None
        if self.is_bound:
            typed = " ".join(str(self.data.get(self.add_prefix("name")) or "").split())[:120]
            if typed:
                suggestion = medicine_rules.classify_medicine(typed, answer=medicine_rules.KEEP_AS_TYPED).resolution
        if suggestion is not None and suggestion.how == medicine_rules.FUZZY:
            typed_words = f"“{typed}”"
            self.fields["match_answer"] = forms.ChoiceField(
                label=suggestion.question,
                choices=[
                    (suggestion.generic, f"Yes, it is {suggestion.suggested}"),
                    (medicine_rules.KEEP_AS_TYPED, f"No, keep {typed_words} as I typed it"),
                ],
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"{suggestion.question} Choose yes, or keep what you typed.",
                    "invalid_choice": f"{suggestion.question} Choose yes, or keep what you typed.",
                },
                help_text="Kept as typed, it is not classed; if it may interact with anakinra the care team is "
                "asked to check it.",
            )
            self.order_fields(["name", "match_answer"])

    def clean_started_on(self):
        return self.past_or_today(self.cleaned_data.get("started_on"), "start date")

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if medicine_rules.is_anakinra(name):
            raise forms.ValidationError(medicine_rules.ANAKINRA_REFUSAL)
        return name


class VaccinationForm(RecordForm):
    submit_label = "Log vaccination"

    name = forms.CharField(
        label="Vaccine",
        max_length=120,
        widget=forms.TextInput(attrs={"list": "vaccine-names", "autocomplete": "off"}),
        error_messages={"max_length": "Please keep the name to %(limit_value)d characters."},
    )
    given_on = RecordDateField(label="Given on", widget=_date_input(), latest=None)  # clean_given_on
    is_live = forms.ChoiceField(
        label="Was it a live vaccine?",
        choices=vaccine_rules.IS_LIVE_ANSWERS,
        initial="unsure",
        widget=forms.RadioSelect,
        help_text="Only asked when the name does not tell us (for example the flu vaccine comes in both forms).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = self.today

    def clean_given_on(self):
        value = self.cleaned_data.get("given_on")
        if value is not None and value > self.today:
            raise forms.ValidationError(vaccine_rules.PLANNED_VACCINATION_REFUSAL)
        return value


YES_NO = [("yes", "Yes"), ("no", "No")]
YES_NO_UNSURE = [("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")]


def _yes_no(label: str, choices=YES_NO) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"required": "Please answer this question.", "invalid_choice": "Please answer this question."},
    )


class BaselineChecklistForm(RecordForm):
    """Before you start: every question answered explicitly (an unticked box is not a "no")."""

    submit_label = "Save answers"

    active_infection = _yes_no(start_checks.CHECKLIST[0].question)
    # AE-INFECTION: "not recommended with a severe active infection": a yes holds treatment
    # pending the doctor's review (doses/services/holds.py).
    infection_is_severe = _yes_no(
        "If there is an infection now: is it severe (high fever, very unwell, or treated in hospital)?"
    )
    ecoli_protein_allergy = _yes_no(start_checks.CHECKLIST[1].question)
    latex_allergy = _yes_no(start_checks.CHECKLIST[2].question)
    pregnant_or_breastfeeding = _yes_no(start_checks.CHECKLIST[3].question)
    pneumococcal_vaccinated = _yes_no(
        "Child: vaccinated against Streptococcus pneumoniae (pneumococcal vaccine)?", YES_NO_UNSURE
    )
    hib_vaccinated = _yes_no("Child: vaccinated against Haemophilus influenzae type b (Hib vaccine)?", YES_NO_UNSURE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, item in zip(
            ["active_infection", "ecoli_protein_allergy", "latex_allergy", "pregnant_or_breastfeeding"],
            start_checks.CHECKLIST,
            strict=False,
        ):
            # Plain words on the question; its rule is under the form's "Why?" (cited_rule_ids, issue 16).
            self.fields[key].help_text = item.why
        self.cited_rule_ids = [item.rule_id for item in start_checks.CHECKLIST[:4]]
        self.fields["infection_is_severe"].required = False
        self.fields[
            "infection_is_severe"
        ].help_text = "A severe active infection pauses anakinra until the doctor has looked at it."  # AE-INFECTION
        if self.patient.is_child(self.today):
            for key in ("pneumococcal_vaccinated", "hib_vaccinated"):
                self.fields[key].help_text = start_checks.CHECKLIST[4].why
            self.cited_rule_ids.append("PRE-CHILD-VACCINE")
        else:
            del self.fields["pneumococcal_vaccinated"]
            del self.fields["hib_vaccinated"]

    @staticmethod
    def initial_from(checklist) -> dict:
        def answer(value):
            return {True: "yes", False: "no"}.get(value, "unsure")

        return {
            key: answer(getattr(checklist, key))
            for key in (
                "active_infection",
                "infection_is_severe",
                "ecoli_protein_allergy",
                "latex_allergy",
                "pregnant_or_breastfeeding",
                "pneumococcal_vaccinated",
                "hib_vaccinated",
            )
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("active_infection") and cleaned.get("infection_is_severe") is None:
            self.add_error("infection_is_severe", "Please say whether the infection is severe.")
        if not cleaned.get("active_infection"):
            cleaned["infection_is_severe"] = False
        return cleaned


class LabTestChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: LabTest) -> str:
        return f"{obj.label} (due {obj.due_on:%d %b %Y})"


class LabResultForm(RecordForm):
    submit_label = "Save result"

    lab_test = LabTestChoiceField(
        label="Which test",
        queryset=LabTest.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the scheduled tests."},
    )
    done_on = RecordDateField(label="Blood taken on", widget=_date_input(), latest=None)  # past_or_today
    neutrophils_10e9_per_l = forms.DecimalField(
        label="Neutrophils (×10⁹ per litre, as on the lab report)",
        max_digits=5,
        decimal_places=2,
        min_value=0,
        # AE-LABS: below lab_checks.MAX_NEUTROPHILS_10E9_PER_L, at the form's two decimals.
        max_value=lab_checks.MAX_NEUTROPHILS_10E9_PER_L - Decimal("0.01"),
        error_messages={
            "min_value": "A neutrophil count cannot be negative.",
            "max_value": "Enter the count in 10⁹ cells per litre (usually between 1 and 10); check the units.",
            "max_decimal_places": "Use at most 2 decimal places.",
            "max_digits": "Enter the count in 10⁹ cells per litre (usually between 1 and 10); check the units.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lab_test"].queryset = LabTest.objects.filter(patient=self.patient).order_by(
            F("done_on").asc(nulls_first=True), "due_on"
        )
        self.fields["done_on"].initial = self.today

    def clean_done_on(self):
        return self.past_or_today(self.cleaned_data.get("done_on"), "test date")
