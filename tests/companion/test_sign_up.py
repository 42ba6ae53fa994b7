"""Sign-up reveals nothing (issue 12, point 4): the same page for every address, the mailbox decides.

A new address gets an account awaiting confirmation and a confirmation e-mail; an address
with an account gets "someone tried to sign up with your address" and nothing changes.
E-mails go through the worker (reminders' deliveries); links are built from SITE_URL.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from companion.models import User
from companion.tokens import sign_up_link_kwargs
from reminders.models import Delivery, Kind
from tests.conftest import PASSWORD, link_in

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
NEW_PASSWORD = "a-long-unusual-passphrase-42"


def sign_up(client, email: str, password: str = NEW_PASSWORD, name: str = "New Person", query: str = ""):
    data = {"full_name": name, "email": email, "password1": password, "password2": password}
    return client.post(reverse("signup") + query, data, follow=True)


def test_sign_up_shows_the_same_page_for_an_address_with_an_account_and_one_without(world):
    known = sign_up(Client(), "Alice@example.org")
    unknown = sign_up(Client(), "nobody-yet@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("signup_done"), 302)]
    assert CSRF.sub("", known.content.decode()) == CSRF.sub("", unknown.content.decode())
    assert "Check your e-mail" in known.content.decode()
    assert "already exists" not in known.content.decode()


def test_signing_up_with_an_address_that_has_an_account_emails_that_account_and_changes_nothing(
    world, client, worker_after_commit, settings
):
    settings.SITE_URL = "https://companion.example"
    before = User.objects.count()
    with worker_after_commit():
        sign_up(client, "alice@example.org", name="Copy Cat", query="", password="another-long-passphrase-8")
    assert User.objects.count() == before
    world.alice_user.refresh_from_db()
    assert world.alice_user.check_password(PASSWORD)
    assert world.alice_user.full_name == "Alice Example"
    (message,) = mail.outbox
    assert message.to == ["alice@example.org"]
    assert "tried to sign up" in message.subject
    assert link_in(message, "/accounts/login/") == "https://companion.example/accounts/login/"
    assert link_in(message, "/accounts/password_reset/").startswith("https://companion.example/")
    assert "Copy Cat" not in message.body  # nothing typed by the stranger reaches the inbox
    assert "_auth_user_id" not in client.session


def test_a_new_account_opens_with_the_emailed_link_and_the_password_chosen_at_sign_up(
    db, client, worker_after_commit, settings
):
    settings.SITE_URL = "https://companion.example"
    with worker_after_commit():
        sign_up(client, "New.Person@example.org", query="?next=/invitations/abc/")
    user = User.objects.get(email="new.person@example.org")
    assert not user.is_active  # cannot sign in before the mailbox is proven
    assert "_auth_user_id" not in client.session
    (message,) = mail.outbox
    assert message.to == ["new.person@example.org"]
    url = link_in(message, "/accounts/signup/confirm/")
    assert url.startswith("https://companion.example/accounts/signup/confirm/")
    path = url.removeprefix("https://companion.example")

    assert client.get(path).status_code == 200
    wrong = client.post(path, {"password": "not-the-one-chosen-1"})
    assert "not the password chosen at sign-up" in wrong.content.decode()
    user.refresh_from_db()
    assert not user.is_active

    done = client.post(path, {"password": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/invitations/abc/"  # where the sign-up started
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.is_active
    assert Client().get(path).status_code == 404  # used: the link works once


def test_signing_up_again_before_confirming_replaces_the_password_and_the_old_link(db, client, worker_after_commit):
    with worker_after_commit():
        sign_up(client, "twice@example.org", password="first-long-passphrase-1")
    with worker_after_commit():
        sign_up(client, "twice@example.org", password="second-long-passphrase-2")
    first, second = (link_in(m, "/accounts/signup/confirm/") for m in mail.outbox)
    assert Client().get(first).status_code == 404
    response = client.post(second, {"password": "second-long-passphrase-2"})
    assert response.status_code == 302
    assert User.objects.get(email="twice@example.org").is_active


def test_sign_up_e_mails_to_one_address_stop_at_the_hourly_limit_and_the_page_stays_the_same(
    world, worker_after_commit, settings
):
    settings.ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR = 3
    pages = []
    for _ in range(6):
        with worker_after_commit():
            pages.append(CSRF.sub("", sign_up(Client(), "alice@example.org").content.decode()))
    assert len(set(pages)) == 1
    assert [m.to for m in mail.outbox] == [["alice@example.org"]] * 3
    Delivery.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    with worker_after_commit():
        sign_up(Client(), "alice@example.org")
    assert len(mail.outbox) == 4
    assert Delivery.objects.filter(kind=Kind.SIGN_UP_EXISTING).count() == 4


@pytest.mark.parametrize(
    "uidb64,token",
    # (A NUL in the link is a 400 before any view: tests/security/test_hostile_input.py, every token route.)
    [("MQ", "wrong-token"), ("not-base64!", "x"), ("OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "x")],
)
def test_a_broken_confirmation_link_is_a_404_with_a_way_forward(db, client, uidb64, token):
    response = client.get(f"/accounts/signup/confirm/{uidb64}/{token}/")
    assert response.status_code == 404
    assert "Sign up again" in response.content.decode()


def test_an_active_account_cannot_be_confirmed_again_by_an_old_link(world, client):
    kwargs = sign_up_link_kwargs(world.alice_user)
    assert client.get(reverse("signup_confirm", kwargs=kwargs)).status_code == 404
