"""Forms of the injection log: a dose given, a dose not taken, a syringe discarded.

The body map is a set of real radio inputs (one fieldset per zone), so it works with a
keyboard and a screen reader without JavaScript; the SVG drawn over it is decoration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django import forms

from companion.form_fields import RecordDateTimeField
from companion.models import Patient
from doses.rules import preparation, record_limits

from .. import sites
from ..models import InjectedBy, NotTakenReason
from ..selectors.today import SiteHistory

YES_NO = [("yes", "Yes"), ("no", "No")]
SPOT_STEP = 15  # SVG units between spot centres on the drawing (about 2.5 cm on the body, SITE-ROTATE)

# Where each zone's first spot sits on the drawing (viewBox 0 0 160 300 per view). The
# front view faces you, so the patient's left is on your right; the back view shows the
# patient's left on your left.
ZONE_ORIGINS: dict[str, tuple[int, int]] = {
    "abdomen-right": (50, 112),
    "abdomen-left": (95, 112),
    "thigh-right": (52, 182),
    "thigh-left": (93, 182),
    "arm-left": (32, 80),
    "arm-right": (128, 80),
    "buttock-left": (55, 160),
    "buttock-right": (90, 160),
}


@dataclass(frozen=True)
class SpotOption:
    code: str
    number: int
    zone: sites.Zone
    x: int
    y: int
    used_text: str
    recency: str  # "last", "recent", "older" or "fresh": the shade on the map, also said in words
    suggested_self: bool
    suggested_other: bool
    checked: bool

    @property
    def label(self) -> str:
        return f"{self.zone.label}, spot {self.number} — {self.used_text}"

    @property
    def dom_id(self) -> str:
        return f"spot-{self.code}"


@dataclass(frozen=True)
class ZoneGroup:
    zone: sites.Zone
    spots: list[SpotOption]


@dataclass(frozen=True)
class BodyMap:
    front: list[ZoneGroup]
    back: list[ZoneGroup]
    last_spot: str | None
    last_spot_label: str
    suggested_self: str
    suggested_other: str
    someone_else: bool

    @property
    def views(self) -> list[tuple[str, list[ZoneGroup]]]:
        return [("front", self.front), ("back", self.back)]

    @property
    def rotate_message(self) -> str:
        """SITE-ROTATE: what the page says at once when the last spot is chosen again."""
        # Plain words on the page; the rule (SITE-ROTATE) is in the spot card's "Why?".
        warning = sites.rotation_warning(self.last_spot, self.last_spot) if self.last_spot else None
        return (warning or "").replace(" (SITE-ROTATE)", "")

    @property
    def suggested_label(self) -> str:
        return sites.spot_label(self.suggested_other if self.someone_else else self.suggested_self)


def used_text(last: datetime | None, today: date, zone) -> str:
    if last is None:
        return "not used yet"
    days = (today - last.astimezone(zone).date()).days
    if days <= 0:
        return "used today"
    if days == 1:
        return "used yesterday"
    return f"used {days} days ago"


def build_body_map(
    history: SiteHistory, *, patient: Patient, now: datetime, selected: str | None, someone_else: bool
) -> BodyMap:
    """The spots of the body map with how recently each was used and which is suggested."""
    today = patient.local_today(now)
    ranks = sites.recency_rank(history.last_used, sites.ALL_SPOTS)
    suggested_self = history.suggested(False)
    suggested_other = history.suggested(True)
    views: dict[str, list[ZoneGroup]] = {"front": [], "back": []}
    for zone in sites.ZONES:
        x0, y0 = ZONE_ORIGINS[zone.code]
        options = []
        for index, code in enumerate(zone.spots):
            rank = ranks.get(code)
            if rank is None:
                recency = "fresh"
            elif rank == 0:
                recency = "last"
            elif rank <= 3:
                recency = "recent"
            else:
                recency = "older"
            options.append(
                SpotOption(
                    code=code,
                    number=index + 1,
                    zone=zone,
                    x=x0 + (index % zone.cols) * SPOT_STEP,
                    y=y0 + (index // zone.cols) * SPOT_STEP,
                    used_text=used_text(history.last_used.get(code), today, patient.zone),
                    recency=recency,
                    suggested_self=code == suggested_self,
                    suggested_other=code == suggested_other,
                    checked=code == selected,
                )
            )
        views[zone.view].append(ZoneGroup(zone=zone, spots=options))
    last = history.last_spot
    return BodyMap(
        front=views["front"],
        back=views["back"],
        last_spot=last,
        last_spot_label=sites.spot_label(last) if last else "",
        suggested_self=suggested_self,
        suggested_other=suggested_other,
        someone_else=someone_else,
    )


def injected_by_choices(patient: Patient, logged_by_patient: bool) -> list[tuple[str, str]]:
    if logged_by_patient:
        return [(InjectedBy.SELF, "I injected myself"), (InjectedBy.OTHER, "Someone else gave it")]
    return [
        (InjectedBy.SELF, f"{patient.display_name} themselves"),
        (InjectedBy.OTHER, "Me or someone else"),
    ]


class InjectionForm(forms.Form):
    """A dose given: what was typed, parsed. The service decides which scheduled dose it counts for (MISS-NODOUBLE)."""

    taken_at = RecordDateTimeField(
        label="Time taken",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 60}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": "Enter the date and time the dose was taken.",
            "invalid": "Enter the date and time the dose was taken, for example 25/11/2026 08:00.",
        },
    )
    dose_mg = forms.DecimalField(
        label="Dose (mg)",
        max_digits=6,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        error_messages={
            "required": "Enter the dose in mg.",
            "invalid": "Enter the dose as a number of mg, for example 100.",
            "max_decimal_places": "Enter the dose to at most one decimal place (0.1 mg).",
            "max_digits": "That dose is far too large; check the number.",
            "max_whole_digits": "That dose is far too large; check the number.",
        },
    )
    injected_by = forms.ChoiceField(
        label="Who gave the injection?",
        choices=InjectedBy.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": "Say who gave the injection."},
    )
    site_spot = forms.ChoiceField(
        label="Injection spot",
        choices=[(spot, sites.spot_label(spot)) for spot in sites.ALL_SPOTS],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the spot you injected on the body map.",
            "invalid_choice": "“%(value)s” is not a spot on the body map. Choose a spot on the body map.",
        },
    )
    confirm_same_spot = forms.BooleanField(
        required=False, label="I know it is the same spot as last time; log it anyway."
    )
    notes = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "Keep the notes under 1000 characters."},
    )
    # AE-OVERDOSE: shown when the dose typed is above the prescribed one (the label names it).
    confirm_above_prescribed = forms.BooleanField(required=False, label="I really injected more than prescribed.")
    # PREP-24H: shown when a syringe out of the fridge 24 hours or more is still open.
    fresh_syringe_used = forms.BooleanField(
        required=False,
        label="I did not use that syringe: I injected with a fresh one from the fridge.",
    )

    # TRACE-BATCH: the box the syringe came from (a pick-up's id; "" = a box whose batch was not
    # recorded). A plain value: the service checks it is one of the patient's boxes and not expired,
    # so a dose posted reads the boxes once, there; the choices are drawn only when the page is shown.
    batch = forms.CharField(
        label="Which box is it from? (batch)",
        required=False,
        widget=forms.Select,
        help_text="The box that expires first is chosen for you; change it if the syringe came from another box.",
    )

    def __init__(
        self,
        *args,
        patient: Patient,
        now: datetime,
        history: SiteHistory,
        logged_by_patient: bool,
        batch_choices=(),
        **kw,
    ):
        super().__init__(*args, **kw)
        self.fields["batch"].widget.choices = batch_choices  # a callable: read only when rendered
        self.patient = patient
        self.now = now
        self.history = history
        self.discard_checks: list[preparation.PrepCheck] = []
        self.rotation_warning: str | None = None
        self.fields["injected_by"].choices = injected_by_choices(patient, logged_by_patient)
        for check in preparation.PREP_CHECKS:
            self.fields[f"prep_{check.key}"] = forms.ChoiceField(
                label=check.question,
                choices=YES_NO,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={"required": "Answer this check before injecting."},
            )

    @property
    def prep_fields(self):
        return [(check, self[f"prep_{check.key}"]) for check in preparation.PREP_CHECKS]

    def prep_answers(self) -> dict[str, bool]:
        data = getattr(self, "cleaned_data", {})
        return {c.key: data.get(f"prep_{c.key}") == "yes" for c in preparation.PREP_CHECKS if data.get(f"prep_{c.key}")}

    def clean_taken_at(self):
        taken_at = self.cleaned_data["taken_at"]
        if refusal := record_limits.future_moment_refusal(taken_at, self.now, "time taken", self.patient.zone):
            raise forms.ValidationError(refusal)
        return taken_at

    def clean_batch(self) -> int | None:
        value = (self.cleaned_data.get("batch") or "").strip()
        if not value:
            return None
        if not (value.isascii() and value.isdigit()) or int(value) > 2**31 - 1:
            raise forms.ValidationError("Choose one of the boxes on hand from the list.")
        return int(value)

    def clean_dose_mg(self):
        dose = self.cleaned_data["dose_mg"]
        if dose <= 0:
            raise forms.ValidationError("The dose must be more than 0 mg.")
        return dose

    def clean(self):
        data = super().clean()
        # Which dose the time counts for, and whether it may be logged then (MISS-NODOUBLE,
        # AE-OVERDOSE), is the service's to decide, under its lock (doses/services/injections.py).
        self._clean_site(data)
        self._clean_prep(data)
        return data

    def _clean_site(self, data) -> None:
        spot = data.get("site_spot")
        injected_by = data.get("injected_by")
        if not spot or not injected_by:
            return
        if refusal := sites.site_refusal(spot, injected_by == InjectedBy.OTHER):  # SITE-SELF / SITE-OTHER
            self.add_error("site_spot", refusal)
            return
        warning = sites.rotation_warning(spot, self.history.last_spot)  # SITE-ROTATE
        if warning:
            self.rotation_warning = warning
            if not data.get("confirm_same_spot"):
                self.add_error(
                    "site_spot", f"{warning} Choose another spot, or tick “log it anyway” below if you did use it."
                )

    def _clean_prep(self, data) -> None:
        for check in preparation.PREP_CHECKS:
            if data.get(f"prep_{check.key}") == "no":
                self.add_error(f"prep_{check.key}", check.if_no)
                if check.discard:
                    self.discard_checks.append(check)


class NotTakenForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why was the dose not taken?",
        choices=NotTakenReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the dose was not taken."},
    )


DISCARD_REASONS = [(c.key, c.if_no) for c in preparation.PREP_CHECKS if c.discard] + [
    ("damaged", "The syringe was dropped, damaged or the needle touched something."),
]


class DiscardForm(forms.Form):
    """A syringe written off, after the person was asked (PREP-24H, PREP-LOOK, PREP-ONCE).

    From the log page: `fridge_syringe` is the syringe out of the fridge the checks were
    about (it is closed as discarded rather than a second one taken off the count), and
    `back_to_log` returns there with the tapped dose (`slot`) to start again with a new one.
    """

    reason = forms.ChoiceField(
        label="Why is the syringe discarded?",
        choices=DISCARD_REASONS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the syringe is discarded."},
    )
    fridge_syringe = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    back_to_log = forms.BooleanField(required=False, widget=forms.HiddenInput)
    slot = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)

    def reason_text(self) -> str:
        return dict(DISCARD_REASONS)[self.cleaned_data["reason"]]
