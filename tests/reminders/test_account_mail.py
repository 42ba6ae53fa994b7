"""Account e-mail as deliveries (issue 12, points 4, 5, 8, 10): password resets and invitations
are Delivery rows written in the request and sent by the worker after commit; not a relay
(a limit per address and per account); every link built from SITE_URL, never the Host header.
"""

from __future__ import annotations

import re
import socket
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from companion.models import CareMembership, CareRole, Invitation
from reminders import sending
from reminders.account_mail import queue_account_mail
from reminders.models import ACCOUNT_KINDS, Delivery, Kind
from reminders.transports import EmailTransport
from tests.conftest import link_in, make_user

pytestmark = pytest.mark.django_db

SITE = "https://companion.example"
ON_ANOTHER_PORT = {"HTTP_HOST": "127.0.0.1:6666"}


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def smtp_down(settings):
    """Real SMTP, to a loopback port where nothing listens: the edge, failing as it does in an outage."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    return settings


@pytest.fixture
def smtp_hangs(settings):
    """An SMTP server on loopback that takes the connection and never says a word (a slow server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.getsockname()[1]
        settings.EMAIL_TIMEOUT = 5
        yield settings


def request_reset(email: str, **extra):
    return Client().post(reverse("password_reset"), {"email": email}, **extra)


# --- password reset (points 4 and 10) --------------------------------------------------


def test_a_password_reset_is_queued_by_the_request_and_sent_by_the_worker(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as after_commit:
        response = request_reset("alice@example.org")
        assert mail.outbox == []  # nothing was sent inside the request
    assert response.status_code == 302
    delivery = Delivery.objects.get(kind=Kind.PASSWORD_RESET)
    assert (delivery.recipient, delivery.patient, delivery.status) == (world.alice_user, None, Delivery.Status.QUEUED)
    for callback in after_commit:
        callback()  # enqueue_ready_deliveries: eager Celery runs send_delivery here, as the worker would
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    assert "anakinra" not in (message.subject + message.body).lower()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_a_reset_for_an_unknown_address_writes_nothing_and_answers_the_same(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = request_reset("alice@example.org")
        unknown = request_reset("nobody-here@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert Delivery.objects.filter(kind=Kind.PASSWORD_RESET).count() == 1


def test_the_reset_answers_at_once_when_smtp_is_slow(world, smtp_hangs, django_capture_on_commit_callbacks):
    def timed(email: str) -> float:
        started = time.monotonic()
        assert request_reset(email).status_code == 302
        return time.monotonic() - started

    with django_capture_on_commit_callbacks():  # the worker's part is tested above; here, only the request
        timed("warm-up@example.org")
        known, unknown = timed("alice@example.org"), timed("nobody-here@example.org")
    # It never talks to SMTP: before, a known address waited for the server (EMAIL_TIMEOUT, 5 s here).
    assert known < smtp_hangs.EMAIL_TIMEOUT / 2
    assert abs(known - unknown) < 1.0


def test_the_reset_link_is_built_from_SITE_URL_not_the_requests_host(world, worker_after_commit):
    with worker_after_commit():
        request_reset("alice@example.org", **ON_ANOTHER_PORT)
    (message,) = mail.outbox
    link = link_in(message, "/accounts/reset/")
    assert link.startswith(f"{SITE}/accounts/reset/")
    assert "6666" not in message.body and "6666" not in message.alternatives[0][0]
    page = Client().get(link.removeprefix(SITE), follow=True)
    assert "Choose a new password" in page.content.decode()


def test_at_most_three_reset_emails_go_to_one_address_an_hour(world, worker_after_commit, settings):
    settings.ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR = 3
    responses = []
    for _ in range(15):
        with worker_after_commit():
            responses.append(request_reset("alice@example.org"))
    assert {(r.status_code, r["Location"]) for r in responses} == {(302, reverse("password_reset_done"))}
    assert [m.to for m in mail.outbox] == [["alice@example.org"]] * 3
    # An hour later the address may have another.
    Delivery.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    with worker_after_commit():
        request_reset("alice@example.org")
    assert len(mail.outbox) == 4


def test_two_resets_racing_for_the_same_place_in_the_count_write_one_email(world):
    """Both requests counted the same e-mails and took the same place ("reset:1"): one row, one e-mail."""
    now = timezone.now()
    for _ in range(2):
        Delivery.objects.bulk_create(
            [Delivery(kind=Kind.PASSWORD_RESET, recipient=world.alice_user, subject_key="reset:1", created_at=now)],
            ignore_conflicts=True,
        )
    assert Delivery.objects.count() == 1
    assert queue_account_mail(Kind.PASSWORD_RESET, world.alice_user, "reset", now=now)  # the next takes place 2
    assert sorted(Delivery.objects.values_list("subject_key", flat=True)) == ["reset:1", "reset:2"]


@pytest.mark.parametrize("kind", sorted(ACCOUNT_KINDS))
def test_every_account_email_renders_three_templates_with_no_health_information_and_links_from_SITE_URL(world, kind):
    invitation = Invitation.objects.create(
        patient=world.alice,
        email="nurse@example.org",
        role=CareRole.CAREGIVER,
        token_hash="x",
        invited_by=world.alice_user,
        expires_at=timezone.now() + Invitation.VALID_FOR,
    )
    if kind == Kind.SIGN_UP_CONFIRM:
        world.mallory.is_active = False
        world.mallory.last_login = None
        world.mallory.save()
    if kind == Kind.INVITATION:
        delivery = Delivery(
            kind=kind, patient=world.alice, to_email="nurse@example.org", subject_key=f"invitation:{invitation.pk}"
        )
    else:
        delivery = Delivery(kind=kind, recipient=world.mallory, subject_key="reset:1")
    delivery.save()
    message = EmailTransport().render(delivery)
    html = message.alternatives[0][0]
    assert message.subject and "\n" not in message.subject
    assert message.to == [delivery.address]
    for text in (message.subject, message.body, html):
        assert "Example" not in text and "Mallory" not in text  # no patient, and no name typed by a stranger
        assert "arthritis" not in text.lower() and "anakinra" not in text.lower()
    for text in (message.body, html):
        links = re.findall(r"https?://[^\s\"<]+", text)
        assert links and all(link.startswith(f"{SITE}/") for link in links)
    assert "List-Unsubscribe" not in message.extra_headers  # nothing to unsubscribe from


# --- invitations (points 5, 8 and 10) ---------------------------------------------------


@pytest.fixture
def alice_client(world, client_for):
    return client_for(world.alice_user)


def post_invitation(world, client, email="nurse@example.org", **extra):
    return client.post(reverse("circle", args=[world.alice.pk]), {"email": email, "role": CareRole.CAREGIVER}, **extra)


def test_an_invitation_email_is_stored_with_the_invitation_and_sent_after_commit_from_SITE_URL(
    world, alice_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as after_commit:
        response = post_invitation(world, alice_client, **ON_ANOTHER_PORT)
        assert mail.outbox == []
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    delivery = Delivery.objects.get(kind=Kind.INVITATION)
    assert (delivery.recipient, delivery.to_email, delivery.patient) == (None, "nurse@example.org", world.alice)
    assert delivery.subject_key == f"invitation:{invitation.pk}"
    for callback in after_commit:
        callback()
    (message,) = mail.outbox
    assert message.to == ["nurse@example.org"]
    link = link_in(message, "/invitations/")
    assert link.startswith(f"{SITE}/invitations/") and "6666" not in message.body
    nurse = make_user("nurse@example.org", "Nurse")
    client = Client()
    client.force_login(nurse, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(link.removeprefix(SITE)).status_code == 302
    assert CareMembership.objects.active().filter(patient=world.alice, user=nurse).exists()


def test_an_invitation_sent_while_smtp_is_down_is_retried_and_arrives_once_it_is_back(
    world, alice_client, smtp_down, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks():
        assert post_invitation(world, alice_client).status_code == 302
    delivery = Delivery.objects.get(kind=Kind.INVITATION)
    with pytest.raises(sending.RetryLater):
        sending.deliver(delivery.pk)  # the worker's first attempt: connection refused
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.QUEUED, 1)
    assert "unreachable" in delivery.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # SMTP is back
    assert sending.deliver(delivery.pk) == "not claimed"  # the next attempt waits for its backoff
    assert sending.deliver(delivery.pk, now=delivery.not_before) == "sent"
    assert [m.to for m in mail.outbox] == [["nurse@example.org"]]
    assert sending.deliver(delivery.pk, now=delivery.not_before) == "not claimed"  # and only once


def test_a_withdrawn_invitation_is_not_emailed(world, alice_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        post_invitation(world, alice_client)
    invitation = Invitation.objects.get()
    alice_client.post(reverse("invitation_revoke", args=[world.alice.pk, invitation.pk]))
    delivery = Delivery.objects.get(kind=Kind.INVITATION)
    assert sending.deliver(delivery.pk) == "cancelled"
    assert mail.outbox == []


def test_the_invitation_email_carries_no_text_of_the_inviters_choosing(world, alice_client, worker_after_commit):
    world.alice_user.full_name = "Win-a-prize at https://evil.example/claim 0800 123"
    world.alice_user.save()
    with worker_after_commit():
        post_invitation(world, alice_client)
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, html):
        assert "evil.example" not in text and "0800" not in text and "claim" not in text
    assert message.body.startswith("Hello,\n\nWin-a-prize invited you")


def test_an_account_sends_at_most_its_daily_share_of_invitations_and_is_told_so(
    world, alice_client, worker_after_commit, settings
):
    settings.INVITATIONS_PER_ACCOUNT_PER_DAY = 2
    with worker_after_commit():
        for n in range(2):
            assert post_invitation(world, alice_client, email=f"person{n}@example.org").status_code == 302
        refused = post_invitation(world, alice_client, email="person3@example.org")
    assert refused.status_code == 200
    assert "Try again tomorrow" in refused.content.decode()
    assert Invitation.objects.count() == 2
    assert len(mail.outbox) == 2


def test_one_address_receives_at_most_its_daily_share_of_invitations_from_anyone(
    world, client_for, worker_after_commit, settings
):
    settings.INVITATIONS_PER_ADDRESS_PER_DAY = 1
    with worker_after_commit():
        assert post_invitation(world, client_for(world.alice_user), email="target@example.org").status_code == 302
        refused = post_invitation(world, client_for(world.alice_user), email="TARGET@example.org")
    assert refused.status_code == 200
    assert "Try again tomorrow" in refused.content.decode()
    assert [m.to for m in mail.outbox] == [["target@example.org"]]


# --- addresses shown on pages to copy elsewhere (point 10) ------------------------------


def test_the_calendar_and_unsubscribe_addresses_on_pages_come_from_SITE_URL_not_the_host(world, client_for):
    client = client_for(world.alice_user)
    client.post(reverse("reminders:feed_regenerate", args=[world.alice.pk]))
    for name in ("reminders:feed_settings", "reminders:preferences"):
        page = client.get(reverse(name, args=[world.alice.pk]), **ON_ANOTHER_PORT).content.decode()
        assert "6666" not in page
        assert "companion.example/" in page
