"""Preferences, unsubscribe, calendar feed and its settings, and the staff status page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from companion.access import Capability, active_membership, patient_for

from . import selectors, services
from .feeds import ScheduleFeed
from .forms import PreferenceForm
from .messages import absolute
from .models import KIND_FIELD, CalendarFeed, Kind, NotificationPreference


@login_required
def preferences(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.VIEW)
    membership = active_membership(request.user, patient.pk)
    preference = services.preference_for_membership(membership)
    form = PreferenceForm(request.POST or None, instance=preference, role=membership.role)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your reminder preferences are saved.")
        return redirect("reminders:preferences", patient_id=patient.pk)
    # Addresses people copy elsewhere come from SITE_URL, never the request's Host header (issue 12).
    unsubscribe_url = absolute(reverse("reminders:unsubscribe", args=[preference.unsubscribe_token]))
    return render(
        request,
        "reminders/preferences.html",
        {"patient": patient, "form": form, "membership": membership, "unsubscribe_url": unsubscribe_url},
    )


def unsubscribe(request, token):
    """No sign-in: the token names one preference row, and only that row changes."""
    preference = get_object_or_404(
        NotificationPreference.objects.select_related("membership__patient"), unsubscribe_token=token
    )
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    kind = kind if kind in KIND_FIELD else ""
    if request.method == "POST":
        scope = request.POST.get("scope")
        services.unsubscribe(preference=preference, kind=kind if scope == "kind" else None)
        return render(request, "reminders/unsubscribe_done.html", {"preference": preference, "all": scope != "kind"})
    return render(
        request,
        "reminders/unsubscribe.html",
        {
            "preference": preference,
            "patient_first_name": preference.membership.patient.display_name.split()[0],
            "kind": kind,
            "kind_label": Kind(kind).label if kind else "",
        },
    )


def feed(request, token):
    """The .ics feed: no sign-in, the unguessable token is the key. Unknown or revoked: 404."""
    calendar_feed = CalendarFeed.objects.active().select_related("patient").filter(token=token).first()
    if calendar_feed is None:
        raise Http404("No such calendar.")
    return ScheduleFeed(calendar_feed.patient).response()


@login_required
def feed_settings(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.MANAGE)
    current = services.active_feed(patient)
    feed_url = absolute(reverse("reminders:feed", args=[current.token])) if current else ""
    return render(
        request,
        "reminders/feed_settings.html",
        {
            "patient": patient,
            "feed": current,
            "feed_url": feed_url,
            "webcal_url": feed_url.replace("https://", "webcal://").replace("http://", "webcal://"),
        },
    )


@login_required
@require_POST
def feed_regenerate(request, patient_id):
    patient = patient_for(request.user, patient_id, Capability.MANAGE)
    had_one = services.active_feed(patient) is not None
    services.regenerate_feed(patient=patient, by=request.user)
    messages.success(
        request,
        "A new calendar address is ready. The old one no longer works: update it in your calendar app."
        if had_one
        else "Your calendar address is ready.",
    )
    return redirect("reminders:feed_settings", patient_id=patient.pk)


@login_required
def status(request):
    if not request.user.is_staff:
        raise Http404("No such page.")
    return render(request, "reminders/status.html", selectors.status_overview())
