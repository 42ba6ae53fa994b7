"""Preferences, unsubscribe without signing in, calendar feed settings, staff status page."""

from __future__ import annotations

from django.urls import reverse

from companion.models import CareMembership
from reminders.models import CalendarFeed, Delivery, JobRun, Kind, NotificationPreference


def preference(world, user) -> NotificationPreference:
    membership = CareMembership.objects.active().get(patient=world.alice, user=user)
    return NotificationPreference.objects.get_or_create(membership=membership)[0]


def as_dict(pref: NotificationPreference) -> dict:
    pref.refresh_from_db()
    return {f: getattr(pref, f) for f in ("injection_reminder", "escalation", "missed_note", "care_alerts", "labs")}


# --- preferences ----------------------------------------------------------------------


def test_a_caregiver_sees_only_the_kinds_a_caregiver_can_receive(world, client_for):
    page = client_for(world.bob).get(reverse("reminders:preferences", args=[world.alice.pk]))
    assert page.status_code == 200
    assert 'name="caregiver_copy"' in page.content.decode()
    assert 'name="labs"' not in page.content.decode()


def test_saving_preferences_changes_only_my_own(world, client_for):
    url = reverse("reminders:preferences", args=[world.alice.pk])
    response = client_for(world.bob).post(url, {"escalation": "", "missed_note": "on", "care_alerts": "on"})
    assert response.status_code == 302
    assert preference(world, world.bob).escalation is False
    assert preference(world, world.alice_user).escalation is True


def test_half_given_quiet_hours_are_refused_with_a_message_and_keep_what_was_typed(world, client_for):
    url = reverse("reminders:preferences", args=[world.alice.pk])
    page = client_for(world.alice_user).post(url, {"injection_reminder": "on", "quiet_start": "22:00"})
    assert page.status_code == 200
    assert "Give both the start and the end of quiet hours" in page.content.decode()
    assert 'value="22:00"' in page.content.decode()
    assert preference(world, world.alice_user).quiet_start is None


def test_a_stranger_cannot_see_alices_preferences(world, client_for):
    for user in (world.mallory, world.rita, world.dave):
        assert client_for(user).get(reverse("reminders:preferences", args=[world.alice.pk])).status_code == 404


# --- unsubscribe ----------------------------------------------------------------------


def test_unsubscribe_link_shows_a_confirmation_and_changes_nothing_on_get(world, client, slot):
    pref = preference(world, world.alice_user)
    before = as_dict(pref)
    page = client.get(reverse("reminders:unsubscribe", args=[pref.unsubscribe_token]) + "?kind=injection")
    assert page.status_code == 200
    assert "Stop “Injection reminder” e-mails" in page.content.decode()
    assert as_dict(pref) == before


def test_unsubscribe_from_one_kind_without_signing_in(world, client):
    pref = preference(world, world.alice_user)
    url = reverse("reminders:unsubscribe", args=[pref.unsubscribe_token])
    response = client.post(url, {"kind": Kind.INJECTION_REMINDER, "scope": "kind"})
    assert response.status_code == 200
    values = as_dict(pref)
    assert values["injection_reminder"] is False
    assert values["care_alerts"] is True


def test_unsubscribe_from_everything(world, client):
    pref = preference(world, world.bob)
    client.post(reverse("reminders:unsubscribe", args=[pref.unsubscribe_token]), {"scope": "all"})
    assert not any(as_dict(pref).values())


def test_an_unsubscribe_token_for_another_person_changes_nothing_of_anyone_else(world, client):
    """mallory (or anyone) holding bob's link can only switch bob's e-mails off, never alice's."""
    alice_pref, bob_pref = preference(world, world.alice_user), preference(world, world.bob)
    alice_before = as_dict(alice_pref)
    client_response = client.post(reverse("reminders:unsubscribe", args=[bob_pref.unsubscribe_token]), {"scope": "all"})
    assert client_response.status_code == 200
    assert as_dict(alice_pref) == alice_before
    assert NotificationPreference.objects.filter(injection_reminder=False).count() == 1


def test_an_unknown_unsubscribe_token_is_404(world, client):
    assert client.post(reverse("reminders:unsubscribe", args=["not-a-token"]), {"scope": "all"}).status_code == 404


# --- calendar feed settings -------------------------------------------------------------


def test_the_patient_makes_a_calendar_address_and_regenerating_revokes_the_old_one(world, client_for, daily):
    client = client_for(world.alice_user)
    settings_url = reverse("reminders:feed_settings", args=[world.alice.pk])
    assert "no calendar address yet" in client.get(settings_url).content.decode()
    client.post(reverse("reminders:feed_regenerate", args=[world.alice.pk]))
    first = CalendarFeed.objects.get()
    page = client.get(settings_url).content.decode()
    assert f"/feeds/{first.token}.ics" in page
    feed = client_for(None).get(reverse("reminders:feed", args=[first.token]))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    client = client_for(world.alice_user)
    client.post(reverse("reminders:feed_regenerate", args=[world.alice.pk]))
    second = CalendarFeed.objects.active().get()
    assert second.token != first.token
    anonymous = client_for(None)
    assert anonymous.get(reverse("reminders:feed", args=[first.token])).status_code == 404
    assert anonymous.get(reverse("reminders:feed", args=[second.token])).status_code == 200


def test_an_unknown_feed_token_is_404(db, client):
    assert client.get(reverse("reminders:feed", args=["nope"])).status_code == 404


def test_a_revoked_feed_token_is_404(world, client, daily):
    from django.utils import timezone

    feed = CalendarFeed.objects.create(patient=world.alice, revoked_at=timezone.now())
    assert client.get(reverse("reminders:feed", args=[feed.token])).status_code == 404


def test_only_people_who_manage_the_patient_see_or_regenerate_the_calendar_address(world, client_for):
    for user in (world.bob, world.carol, world.mallory, world.rita):
        client = client_for(user)
        assert client.get(reverse("reminders:feed_settings", args=[world.alice.pk])).status_code == 404
        assert client.post(reverse("reminders:feed_regenerate", args=[world.alice.pk])).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_regenerate_needs_a_post(world, client_for):
    response = client_for(world.alice_user).get(reverse("reminders:feed_regenerate", args=[world.alice.pk]))
    assert response.status_code == 405


# --- status page ----------------------------------------------------------------------


def test_staff_see_queue_depth_last_tick_and_failed_deliveries(world, client_for):
    from django.utils import timezone

    world.carol.is_staff = True
    world.carol.save()
    JobRun.objects.create(name="dispatch_due_reminders", last_run_at=timezone.now(), last_summary="ok")
    Delivery.objects.create(
        kind=Kind.REFILL,
        patient=world.alice,
        recipient=world.alice_user,
        subject_key="refill:1",
        status=Delivery.Status.FAILED,
        last_error="SMTP 550: mailbox unavailable",
    )
    page = client_for(world.carol).get(reverse("reminders:status"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Queue depth" in text and "Last beat tick" in text
    assert "SMTP 550: mailbox unavailable" in text
    assert "never" not in text


def test_the_status_page_is_hidden_from_non_staff(world, client_for):
    assert client_for(world.bob).get(reverse("reminders:status")).status_code == 404
    assert client_for(None).get(reverse("reminders:status")).status_code == 302
