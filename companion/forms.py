from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.validators import MaxLengthValidator

from .countries import country_choices, country_for_time_zone, country_names
from .form_fields import RecordDateField
from .models import CareRole, CareTeamCard, Invitation, Patient, User
from .phones import PhoneNumberRefused, display_phone, parse_phone
from .time_zones import time_zone_choices


class CrispyFormMixin:
    """Every form renders through crispy-bootstrap5 with one primary button."""

    submit_label = "Save"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label, css_class="btn-lg"))


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with the length of the address checked.

    AuthenticationForm sets the username field's max_length after the field is built, so
    no validator checks it: an address of any length went on to authenticate(), and axes
    stored it with the failed attempt (a DataError on PostgreSQL for more than 255 characters).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class SignUpForm(CrispyFormMixin, UserCreationForm):
    submit_label = "Create account"

    class Meta:
        model = User
        fields = ("full_name", "email")
        labels = {"full_name": "Your name"}

    def clean_email(self):
        # No "already exists": whether an address has an account is not for anyone to learn here.
        # services.sign_up e-mails the address instead, and the page is the same either way.
        return self.cleaned_data["email"].lower()

    def validate_unique(self):
        """Skipped for the same reason: ModelForm would say "User with this e-mail address already exists"."""


class SignUpConfirmForm(CrispyFormMixin, forms.Form):
    """The confirmation link proves the mailbox; the password proves it is the person who signed up
    (someone else signing up with your address cannot have you confirm their account)."""

    submit_label = "Confirm and sign in"
    password = forms.CharField(label="The password you chose", strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                "That is not the password chosen at sign-up. If you did not sign up, ignore the e-mail; "
                "to start again, sign up once more with this address."
            )
        return password


# Grouped (<optgroup>): the zones of the countries this app is used in first, then the rest (time_zones.py).
TIME_ZONE_CHOICES = time_zone_choices()


class PatientForm(CrispyFormMixin, forms.ModelForm):
    WHO_CHOICES = [(CareRole.SELF, "Myself"), (CareRole.PARENT, "My child (or someone I care for as a parent)")]

    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES,
        widget=forms.Select(attrs={"data-browser-zone": "offer"}),  # js/time_zone.js lists it first
        initial="Europe/London",  # without JavaScript; a new profile takes the browser's zone (js/time_zone.js)
        help_text="Your local time decides when a dose is due and what “today” means.",
    )
    # AE-OVERDOSE, AE-REPORT: the emergency, poison and side-effect-reporting numbers the app gives.
    country = forms.ChoiceField(
        choices=[("", "The country of the time zone"), *country_choices()],
        required=False,
        help_text="Decides which emergency, poison and side-effect numbers the app shows.",
    )

    class Meta:
        model = Patient
        fields = [
            "display_name",
            "date_of_birth",
            "weight_kg",
            "weight_measured_on",
            "time_zone",
            "country",
            "indication",
        ]
        # SCHED-RENAL: kidney function is a dated result with its unit and source, recorded by a
        # clinician on the blood tests page (doses/services/kidney.py), not a number typed here.
        field_classes = {"date_of_birth": RecordDateField, "weight_measured_on": RecordDateField}
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "weight_measured_on": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "weight_kg": "Needed for a child's weight-based dose.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from_zone = country_names().get(country_for_time_zone(self.instance.time_zone or ""))
        if self.instance.pk and from_zone:  # say what "the country of the time zone" is now
            self.fields["country"].choices = [("", f"The country of the time zone ({from_zone})")] + list(
                self.fields["country"].choices
            )[1:]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("weight_kg") and not cleaned.get("weight_measured_on"):
            self.add_error("weight_measured_on", "Say when the weight was measured: a child's dose depends on it.")
        return cleaned


class NewPatientForm(PatientForm):
    submit_label = "Create profile"
    who = forms.ChoiceField(choices=PatientForm.WHO_CHOICES, widget=forms.RadioSelect, label="Who is this profile for?")

    field_order = ["who"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # static/js/time_zone.js also selects the browser's zone, on a new form not yet sent (an
        # existing profile keeps its zone, a sent form what was chosen; without JavaScript the
        # server's default stands).
        if not self.is_bound:
            self.fields["time_zone"].widget.attrs["data-browser-zone"] = "select"


class InvitationForm(CrispyFormMixin, forms.Form):
    submit_label = "Send invitation"
    # As long as the column it is stored in (254): a longer address was a DataError on PostgreSQL.
    email = forms.EmailField(label="Their e-mail address", max_length=Invitation._meta.get_field("email").max_length)
    role = forms.ChoiceField(choices=[(r.value, r.label) for r in Invitation.INVITABLE_ROLES])


class DeleteProfileForm(CrispyFormMixin, forms.Form):
    """Typing the name is the confirmation: deleting cannot be undone."""

    submit_label = "Delete for good"
    confirm_name = forms.CharField(label="Type the name on the profile to confirm", max_length=200)

    def __init__(self, *args, patient: Patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)
        self.helper.inputs[0].field_classes = "btn btn-danger btn-lg"

    def clean_confirm_name(self):
        typed = " ".join(self.cleaned_data["confirm_name"].split())
        if typed.casefold() != " ".join(self.patient.display_name.split()).casefold():
            raise forms.ValidationError(f"That is not the name on the profile. Type “{self.patient.display_name}”.")
        return typed


class OneTimeCodeForm(CrispyFormMixin, forms.Form):
    submit_label = "Confirm"
    code = forms.CharField(
        label="6-digit code from your authenticator app",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )

    def __init__(self, *args, submit_label: str | None = None, **kwargs):
        if submit_label:
            self.submit_label = submit_label
        super().__init__(*args, **kwargs)


class CaregiverDownloadForm(CrispyFormMixin, forms.Form):
    """ACCESS-DOWNLOAD: may caregivers download the full record (CSV, FHIR)? Off by default."""

    submit_label = "Save download setting"
    caregivers_may_download = forms.BooleanField(
        required=False,
        label="Caregivers may download the full record",
        help_text="Caregivers can always see the record here; this lets them save a copy (spreadsheet or FHIR file).",
    )

class CareTeamCardForm(CrispyFormMixin, forms.ModelForm):
    """The clinic's name, numbers and hours. Numbers are read with the patient's country as the
    region (companion/phones.py) and stored in E.164; a refused number is shown again as typed."""

    submit_label = "Save the care team"

    class Meta:
        model = CareTeamCard
        fields = ["clinic_name", "phone", "hours", "out_of_hours_phone"]
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
            "out_of_hours_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        }
        help_texts = {
            "phone": "The number the clinic answers in its opening hours.",
            "out_of_hours_phone": "Who to call when the clinic is closed (an on-call team, a ward), if there is one.",
        }

    def __init__(self, *args, region: str, **kwargs):
        self.region = region
        super().__init__(*args, **kwargs)
        # E.164 is at most 16 characters, but what people type has spaces and brackets.
        for name in ("phone", "out_of_hours_phone"):
            self.fields[name].max_length = 40
            self.fields[name].widget.attrs["maxlength"] = 40
            self.fields[name].validators = [MaxLengthValidator(40)]
        if self.instance.pk:  # show the stored numbers as people write them, not in E.164
            for name in ("phone", "out_of_hours_phone"):
                stored = getattr(self.instance, name)
                if stored:
                    self.initial[name] = display_phone(stored, region=region)

    def _clean_number(self, name: str) -> str:
        typed = self.cleaned_data.get(name, "")
        if not typed:
            return ""
        try:
            return parse_phone(typed, region=self.region)
        except PhoneNumberRefused as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_phone(self) -> str:
        return self._clean_number("phone")

    def clean_out_of_hours_phone(self) -> str:
        return self._clean_number("out_of_hours_phone")
