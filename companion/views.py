import math
import sys
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.http import require_POST

from . import audit, care_team, database, services, two_factor
from .access import Capability, can, may_accept_invitation, may_revoke, patient_for, patients_visible_to
from .countries import country_names
from .forms import (
    CaregiverDownloadForm,
    CareTeamCardForm,
    DeleteProfileForm,
    InvitationForm,
    NewPatientForm,
    OneTimeCodeForm,
    PatientForm,
    SignInForm,
    SignUpConfirmForm,
    SignUpForm,
)
from .models import CareMembership, CareRole, CareTeamCard, Invitation, Patient
from .tokens import user_for_sign_up_link


def server_error(request):
    """handler500. A database that cannot be reached is a 503 that says so, not a bare 500.

    Rendered without the request (no context processors, no session, no user), so that it
    needs nothing from the database it is reporting on.
    """
    if not database.database_unreachable(sys.exc_info()[1]):
        return defaults.server_error(request)
    request.database_unreachable = True  # database.RetryReadOnLostConnection may try a page again
    body = render_to_string(
        "database_unavailable.html",
        {
            "sent_a_change": request.method not in database.SAFE_METHODS,
            # Still inside the request's transaction (companion/audit.py): it cannot commit now.
            "rolled_back": connection.in_atomic_block,
        },
    )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(database.RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


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


SIGN_UP_NEXT = "sign_up_next"  # session key: where to go once the address is confirmed


def _on_site(request, url: str) -> str:
    """`url` if it is a path on this site, else "": ?next=https://elsewhere must not make an open redirect."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def signup(request):
    """Every valid sign-up gets the same answer, "check your e-mail", whether or not the address
    has an account (services.sign_up e-mails the address); the account starts at confirmation."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.sign_up(
            full_name=form.cleaned_data["full_name"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        request.session[SIGN_UP_NEXT] = _on_site(request, request.GET.get("next", ""))
        return redirect("signup_done")
    return render(request, "companion/signup.html", {"form": form})


def signup_done(request):
    return render(request, "companion/signup_done.html")


def signup_confirm(request, uidb64, token):
    """The link from the confirmation e-mail: the password chosen at sign-up, then signed in."""
    user = user_for_sign_up_link(uidb64, token)
    if user is None:
        return render(request, "companion/signup_confirm.html", {"valid_link": False}, status=404)
    form = SignUpConfirmForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        services.confirm_sign_up(user=user)
        user.refresh_from_db()
        next_url = _on_site(request, request.session.pop(SIGN_UP_NEXT, ""))
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome. Create a profile for yourself or for your child to start.")
        return redirect(next_url or "patient_new")
    return render(request, "companion/signup_confirm.html", {"valid_link": True, "form": form})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, but the e-mail is a Delivery the worker sends (links from SITE_URL), never
    sent from the request: known and unknown addresses answer alike and as fast, whatever SMTP does."""

    def form_valid(self, form):
        services.request_password_reset(users=list(form.get_users(form.cleaned_data["email"])))
        return HttpResponseRedirect(self.get_success_url())


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
    can_manage = can(request.user, patient, Capability.MANAGE)  # a parent on an adult's record may not (ACCESS-ADULT)
    form = InvitationForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise Http404("No such patient.")
        if form.is_valid():
            try:
                # The e-mail is a Delivery written with the invitation and sent by the worker after commit.
                issued = services.invite_to_circle(
                    patient=patient,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=request.user,
                )
            except services.InvitationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Invitation sent to {issued.invitation.email}. It works once, for 7 days.")
                return redirect("circle", patient_id=patient.pk)
    memberships = list(patient.memberships.select_related("user").order_by("revoked_at", "role", "created_at"))
    for m in memberships:  # the page offers "Remove access" only where the service would do it
        m.revocable = may_revoke(request.user, m, patient=patient)
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
def care_team_card(request, patient_id):
    """ACCESS-CARE-TEAM: who to call about this patient; the circle sees it, who logs and the clinicians keep it."""
    capability = Capability.CARE_TEAM if request.method == "POST" else Capability.VIEW
    patient = patient_for(request.user, patient_id, capability)
    card = care_team.card_for(patient)
    region = patient.country_code  # numbers typed without +44 are read as the patient's country's
    form = None
    if can(request.user, patient, Capability.CARE_TEAM):
        form = CareTeamCardForm(request.POST or None, instance=card or CareTeamCard(patient=patient), region=region)
    if request.method == "POST" and form.is_valid():
        services.save_care_team_card(form=form, by=request.user)
        messages.success(request, "Care team saved. The symptom pages now offer these numbers to call.")
        return redirect("care_team", patient_id=patient.pk)
    return render(
        request,
        "companion/care_team.html",
        {
            "patient": patient,
            "form": form,
            "card": card,
            "call": care_team.care_team_call(card, region=region),
            "region_name": country_names().get(region, ""),
        },
    )


@login_required
@require_POST
def membership_revoke(request, patient_id, membership_id):
    patient = patient_for(request.user, patient_id, Capability.MANAGE)
    membership = get_object_or_404(CareMembership, pk=membership_id, patient=patient)
    try:
        services.revoke_membership(membership=membership, by=request.user)
    except services.MembershipRefused as exc:
        messages.error(request, str(exc))
    else:
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
    elif request.user.is_authenticated and not may_accept_invitation(request.user, invitation):
        error = services.WRONG_ACCOUNT_MESSAGE  # ACCESS-INVITE: said before the button, not after it
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
    # The filter offers the circle's members, past ones too (issue 16, point 10); any other
    # value shows everyone's entries rather than an error.
    people: dict[int, str] = {}
    for membership in CareMembership.objects.filter(patient=patient).select_related("user").order_by("user__full_name"):
        people.setdefault(membership.user_id, f"{membership.user.display_name} ({membership.get_role_display().lower()})")
    person = request.GET.get("person", "")
    actor_id = int(person) if person.isdigit() and int(person) in people else None
    events = [(event, audit.describe(event)) for event in audit.events_for(patient, actor_id=actor_id)[:500]]
    context = {"patient": patient, "events": events, "people": people.items(), "person": actor_id}
    return render(request, "companion/audit_trail.html", context)


@login_required
def data_rights(request, patient_id):
    """Download everything, or delete the profile."""
    patient = patient_for(request.user, patient_id, Capability.MANAGE)
    # An unticked box sends nothing: an empty POST is still a submitted form (turned off).
    form = CaregiverDownloadForm(
        request.POST if request.method == "POST" else None,
        initial={"caregivers_may_download": patient.caregivers_may_download},
    )
    if request.method == "POST" and form.is_valid():
        # ACCESS-DOWNLOAD: the audit middleware writes the "changed" row in the same transaction.
        allowed = form.cleaned_data["caregivers_may_download"]
        services.set_caregiver_download(patient=patient, allowed=allowed)
        messages.success(request, "Caregivers may now download the full record." if allowed else "Caregivers can no longer download the full record.")
        return redirect("data_rights", patient_id=patient.pk)
    downloads = [
        (label, url)
        for label, url in (
            ("Spreadsheet (CSV)", _reverse_or_none("doses:export_csv", patient_id=patient.pk)),
            ("Health record (FHIR JSON)", _reverse_or_none("doses:export_fhir", patient_id=patient.pk)),
        )
        if url
    ]
    context = {"patient": patient, "downloads": downloads, "download_form": form}
    return render(request, "companion/data_rights.html", context)


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
        # Said before the try: a code typed while wrong codes keep this person waiting is not checked.
        wait_until = two_factor.locked_until(user)
        next_url = None if wait_until else two_factor.finish_sign_in(request, form.cleaned_data["code"])
        if next_url:
            return redirect(next_url)
        if wait_until is not None:
            seconds = (wait_until - timezone.now()).total_seconds()
            minutes = math.ceil(seconds / 60)
            wait = "a few seconds" if seconds < 60 else f"{minutes} minute{'s' if minutes != 1 else ''}"
            form.add_error("code", f"Too many wrong codes. For your safety, wait {wait} before you try again.")
        else:
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
                two_factor.mark_verified(request, device)
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
    """The admin's own sign-in page would skip two-factor sign-in and its lockout page: use ours.

    The admin opens only for staff whose session is two-factor verified (companion/admin.py):
    staff without an authenticator are sent to set one up; a session signed in with the
    password alone (before two-factor was on) signs in again, this time with a code.
    """
    target = request.GET.get("next") or reverse("admin:index")
    user = request.user
    if user.is_authenticated and user.is_staff and not user.is_verified():
        if not two_factor.has_two_factor(user):
            messages.warning(request, "The admin needs two-factor sign-in. Turn it on here, then open the admin again.")
            return redirect("two_factor")
        logout(request)
        messages.info(request, "The admin needs two-factor sign-in: sign in again with your code.")
    return redirect(f"{reverse('login')}?{urlencode({'next': target})}")


__all__ = ["patients_visible_to"]
