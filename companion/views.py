from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import audit, services, two_factor
from .access import Capability, patient_for, patients_visible_to
from .forms import (
    DeleteProfileForm,
    InvitationForm,
    NewPatientForm,
    OneTimeCodeForm,
    PatientForm,
    SignInForm,
    SignUpForm,
)
from .models import CareMembership, CareRole, Invitation, Patient


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    memberships = list(request.user.memberships.active().select_related("patient"))
    roles = {m.role for m in memberships}
    if CareRole.CLINICIAN in roles:
        return redirect("doses:panel")
    if len(memberships) == 1:
        return redirect("doses:today", patient_id=memberships[0].patient_id)
    return redirect("patients")


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome. Create a profile for yourself or for your child to start.")
        next_url = request.GET.get("next", "")
        # Only a path on this site: ?next=https://elsewhere must not turn sign-up into an open redirect.
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = ""
        return redirect(next_url or "patient_new")
    return render(request, "companion/signup.html", {"form": form})


@login_required
def patient_list(request):
    memberships = request.user.memberships.active().select_related("patient").order_by("patient__display_name")
    return render(request, "companion/patient_list.html", {"memberships": memberships})


@login_required
def patient_new(request):
    form = NewPatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        profile = {k: v for k, v in form.cleaned_data.items() if k != "who"}
        if form.cleaned_data["who"] == CareRole.SELF and hasattr(request.user, "own_patient_profile"):
            form.add_error("who", "You already have your own profile. Choose “My child” to add someone else.")
        else:
            patient = services.create_patient(owner=request.user, owner_role=form.cleaned_data["who"], **profile)
            audit.record_change(request, patient_id=patient.pk)
            messages.success(request, f"Profile for {patient.display_name} created. Next: enter the regimen.")
            return redirect("doses:regimen", patient_id=patient.pk)
    return render(request, "companion/patient_form.html", {"form": form, "title": "New profile"})


@login_required
def patient_edit(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.MANAGE)
    previous_time_zone = patient.time_zone
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        moved = services.save_patient_profile(form=form, previous_time_zone=previous_time_zone)
        messages.success(request, "Profile saved.")
        if moved:
            messages.info(request, f"Upcoming doses now follow the clock in {patient.time_zone} (SCHED-TZ).")
        return redirect("circle", patient_id=patient.pk)
    return render(request, "companion/patient_form.html", {"form": form, "patient": patient, "title": "Profile"})


@login_required
def circle(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    can_manage = patient.access_role in (CareRole.SELF, CareRole.PARENT)
    form = InvitationForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise Http404("No such patient.")
        if form.is_valid():
            issued = services.invite_to_circle(
                patient=patient,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
            link = request.build_absolute_uri(reverse("invitation_accept", args=[issued.token]))
            # Minimal health data in e-mails: the inviter's name and a link, no diagnosis.
            body = render_to_string(
                "companion/email/invitation.txt",
                {"inviter": request.user, "link": link, "invitation": issued.invitation},
            )
            transaction.on_commit(
                lambda: send_mail("You are invited to a care circle", body, None, [issued.invitation.email])
            )
            messages.success(request, f"Invitation sent to {issued.invitation.email}. It works once, for 7 days.")
            return redirect("circle", patient_id=patient.pk)
    memberships = patient.memberships.select_related("user").order_by("revoked_at", "role", "created_at")
    invitations = patient.invitations.all()[:20] if can_manage else []
    return render(
        request,
        "companion/circle.html",
        {
            "patient": patient,
            "memberships": memberships,
            "invitations": invitations,
            "form": form,
            "can_manage": can_manage,
        },
    )


@login_required
@require_POST
def membership_revoke(request, patient_id, membership_id):
    patient = patient_for(request.user, patient_id, Capability.MANAGE)
    membership = get_object_or_404(CareMembership, pk=membership_id, patient=patient)
    if membership.user_id == request.user.pk:
        messages.error(request, "You cannot remove yourself from your own circle.")
    else:
        services.revoke_membership(membership=membership)
        messages.success(request, f"{membership.user.display_name} no longer has access.")
    return redirect("circle", patient_id=patient.pk)


@login_required
@require_POST
def invitation_revoke(request, patient_id, invitation_id):
    patient = patient_for(request.user, patient_id, Capability.MANAGE)
    invitation = get_object_or_404(Invitation, pk=invitation_id, patient=patient)
    services.revoke_invitation(invitation=invitation)
    messages.success(request, f"Invitation for {invitation.email} withdrawn.")
    return redirect("circle", patient_id=patient.pk)


def invitation_accept(request, token):
    """Anyone with the link sees the page; accepting requires signing in (or signing up)."""
    invitation = Invitation.objects.filter(token_hash=Invitation.hash_token(token)).select_related("patient").first()
    if invitation is None:
        raise Http404("This invitation link is not valid.")
    error = None
    status = invitation.status()
    if status != "open":
        error = {
            "accepted": "This invitation has already been used.",
            "revoked": "This invitation was withdrawn.",
            "expired": "This invitation has expired. Ask for a new one.",
        }[status]
    if request.method == "POST" and request.user.is_authenticated and error is None:
        try:
            membership = services.accept_invitation(token=token, user=request.user)
        except services.InvitationError as exc:
            error = str(exc)
        else:
            audit.record_change(request, patient_id=membership.patient_id)  # joined the circle
            messages.success(request, f"You joined {membership.patient.display_name}'s care circle.")
            return redirect("home")
    return render(request, "companion/invitation_accept.html", {"invitation": invitation, "error": error})


def _reverse_or_none(name: str, **kwargs) -> str | None:
    """Links to pages other apps own (exports); absent until those apps add them."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


@login_required
def audit_trail(request, patient_id):
    """Who viewed, changed or exported this record. The patient (or parent) and staff see it."""
    if request.user.is_staff:
        patient = get_object_or_404(Patient, pk=patient_id)
    else:
        patient = patient_for(request.user, patient_id, Capability.MANAGE)
    events = audit.events_for(patient)[:500]
    return render(request, "companion/audit_trail.html", {"patient": patient, "events": events})


@login_required
def data_rights(request, patient_id):
    """Download everything, or delete the profile."""
    patient = patient_for(request.user, patient_id, Capability.MANAGE)
    downloads = [
        (label, url)
        for label, url in (
            ("Spreadsheet (CSV)", _reverse_or_none("doses:export_csv", patient_id=patient.pk)),
            ("Health record (FHIR JSON)", _reverse_or_none("doses:export_fhir", patient_id=patient.pk)),
        )
        if url
    ]
    return render(request, "companion/data_rights.html", {"patient": patient, "downloads": downloads})


@login_required
def patient_delete(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.MANAGE)
    is_own_account = patient.account_id == request.user.pk
    form = DeleteProfileForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        name = patient.display_name
        try:
            account_deleted = services.delete_patient(patient=patient, by=request.user, path=request.path)
        except services.DeletionRefused as exc:
            form.add_error(None, str(exc))
        else:
            request.audit_recorded = True  # the service wrote the "deleted" event before the row went
            if account_deleted:
                logout(request)
                messages.success(request, "Your account and all your records have been deleted.")
                return redirect("login")
            messages.success(request, f"{name}'s profile and all its records have been deleted.")
            return redirect("patients")
    return render(
        request,
        "companion/patient_delete.html",
        {"patient": patient, "form": form, "is_own_account": is_own_account},
    )


class SignInView(auth_views.LoginView):
    """Django's sign-in, with a second step for people who turned on two-factor sign-in."""

    form_class = SignInForm

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.has_two_factor(user):
            two_factor.remember_pending(self.request, user, self.get_success_url())
            return redirect("two_factor_verify")
        return super().form_valid(form)


def two_factor_verify(request):
    user, _pending = two_factor.pending_user(request)
    if user is None:
        messages.info(request, "Sign in with your e-mail address and password first.")
        return redirect("login")
    form = OneTimeCodeForm(request.POST or None, submit_label="Sign in")
    if request.method == "POST" and form.is_valid():
        next_url = two_factor.finish_sign_in(request, form.cleaned_data["code"])
        if next_url:
            return redirect(next_url)
        form.add_error(
            "code",
            "That code is not right, or it has expired. Enter the code your app shows now (it changes every 30 s).",
        )
    return render(request, "registration/two_factor_verify.html", {"form": form})


@login_required
def two_factor_settings(request):
    """Turn two-factor sign-in on (scan, then confirm a code) or off (with a current code)."""
    user = request.user
    enabled = two_factor.has_two_factor(user)
    action = request.POST.get("action", "")
    form = OneTimeCodeForm(
        request.POST if request.method == "POST" and action in ("confirm", "disable") else None,
        submit_label="Turn off" if enabled else "Confirm and turn on",
    )
    if request.method == "POST":
        if action == "start" and not enabled:
            two_factor.start_setup(user)
            return redirect("two_factor")
        if action == "confirm" and not enabled and form.is_valid():
            device = two_factor.pending_setup(user)
            if device is not None and two_factor.confirm_setup(device, form.cleaned_data["code"]):
                messages.success(request, "Two-factor sign-in is on. From now on you will be asked for a code.")
                return redirect("two_factor")
            form.add_error("code", "That code is not right. Enter the code your app shows now.")
        if action == "disable" and enabled and form.is_valid():
            if two_factor.disable(user, form.cleaned_data["code"]):
                messages.success(request, "Two-factor sign-in is off.")
                return redirect("two_factor")
            form.add_error("code", "That code is not right. Enter the code your app shows now.")
    device = None if enabled else two_factor.pending_setup(user)
    context = {
        "enabled": enabled,
        "device": device,
        "form": form,
        "is_clinician": user.memberships.active().filter(role=CareRole.CLINICIAN).exists(),
    }
    if device is not None:
        context["qr"] = two_factor.qr_data_uri(device)
        context["secret"] = two_factor.secret_for_display(device)
    return render(request, "registration/two_factor.html", context)


def admin_login(request):
    """The admin's own sign-in page would skip two-factor sign-in and its lockout page: use ours."""
    target = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('login')}?{urlencode({'next': target})}")


__all__ = ["patients_visible_to"]
