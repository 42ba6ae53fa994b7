from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from companion.forms import TIME_ZONE_CHOICES
from companion.models import CareRole

from .models import KIND_FIELD, KIND_ROLES, NotificationPreference


class PreferenceForm(forms.ModelForm):
    """One member's choices for one patient; only the kinds their role can receive are shown."""

    time_zone = forms.ChoiceField(
        choices=[("", "The patient's time zone")] + TIME_ZONE_CHOICES,
        required=False,
        help_text="Quiet hours are read in this time zone.",
    )

    class Meta:
        model = NotificationPreference
        fields = [
            "injection_reminder",
            "caregiver_copy",
            "escalation",
            "missed_note",
            "care_alerts",
            "refill",
            "labs",
            "fridge",
            "quiet_start",
            "quiet_end",
            "time_zone",
        ]
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {
            "quiet_start": "Messages that fall in quiet hours wait until they end. Serious-symptom alerts are sent at once.",
        }

    def __init__(self, *args, role: str, **kwargs):
        super().__init__(*args, **kwargs)
        shown = {KIND_FIELD[kind] for kind in KIND_ROLES if role in KIND_ROLES[kind]}  # care kinds only
        if role == CareRole.CAREGIVER:
            shown.discard("injection_reminder")
            shown.add("caregiver_copy")
        for name in list(self.fields):
            if name in KIND_FIELD.values() or name == "caregiver_copy":
                if name not in shown:
                    del self.fields[name]
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Save preferences", css_class="btn-lg"))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("quiet_start"), cleaned.get("quiet_end")
        if (start is None) != (end is None):
            raise forms.ValidationError("Give both the start and the end of quiet hours, or leave both empty.")
        if start is not None and start == end:
            raise forms.ValidationError("Quiet hours must start and end at different times.")
        return cleaned
