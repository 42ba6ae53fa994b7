"""Hold, resume and stop treatment: parse only; the rules are the service's (doses/services/holds.py)."""

from __future__ import annotations

from django import forms

from ..models import HoldReason
from ..services.holds import MAX_NOTE_CHARS


class HoldForm(forms.Form):
    reason = forms.ChoiceField(label="Why hold", choices=HoldReason.choices)
    until = forms.DateField(
        label="Until (last day held, optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty to hold until you resume or stop. Doses start again the day after.",
    )
    note = forms.CharField(label="Note for the family (optional)", required=False, max_length=MAX_NOTE_CHARS)


class ResumeForm(forms.Form):
    note = forms.CharField(label="Note on resuming (optional)", required=False, max_length=MAX_NOTE_CHARS)


class StopForm(forms.Form):
    reason = forms.ChoiceField(label="Why stop", choices=HoldReason.choices)
    note = forms.CharField(label="Note on stopping (optional)", required=False, max_length=MAX_NOTE_CHARS)
