"""Sessions end SESSION_COOKIE_AGE after the last activity, and an unchanged session row is
rewritten at most once a minute (companion/sessions.py, on Django's public session API)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from companion.sessions import LAST_WRITE_KEY, TOUCH_EVERY_S
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """clock(seconds): the time is that many seconds after 09:00 UTC on 25 Nov 2026, for the code under test."""

    def set_to(seconds: float) -> datetime:
        moment = datetime(2026, 11, 25, 9, 0, tzinfo=UTC) + timedelta(seconds=seconds)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_to


def session_updates(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "django_session"')]


def get_patients(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("patients"))
    return response, session_updates(queries)


def signed_in(client, world, clock):
    """alice signs in through the sign-in page at clock(0)."""
    clock(0)
    response = client.post(reverse("login"), {"username": "alice@example.org", "password": PASSWORD})
    assert response.status_code == 302
    return response


def stored_expiry(client) -> datetime:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).expire_date


def test_sessions_use_djangos_own_middleware_and_no_save_on_every_request():
    assert "django.contrib.sessions.middleware.SessionMiddleware" in settings.MIDDLEWARE
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert not settings.SESSION_SAVE_EVERY_REQUEST


def test_a_request_within_a_minute_of_the_last_write_writes_no_session_row(world, client, clock):
    signed_in(client, world, clock)
    before = stored_expiry(client)
    clock(TOUCH_EVERY_S - 1)
    response, updates = get_patients(client)
    assert response.status_code == 200
    assert updates == []
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # nothing to renew yet
    assert stored_expiry(client) == before


def test_a_request_more_than_a_minute_later_renews_the_row_and_the_cookie(world, client, clock):
    signed_in(client, world, clock)
    now = clock(TOUCH_EVERY_S + 1)
    response, updates = get_patients(client)
    assert response.status_code == 200
    assert len(updates) == 1
    assert stored_expiry(client) == now + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE
    assert cookie["httponly"]
    # And the minute starts again from that write.
    clock(2 * TOUCH_EVERY_S)
    assert get_patients(client)[1] == []


def test_a_session_signed_in_by_a_test_client_is_not_rewritten_by_the_next_request(world, client_for, clock):
    """force_login signs in without the sign-in page; user_logged_in records the write all the same."""
    clock(0)
    client = client_for(world.alice_user)
    clock(TOUCH_EVERY_S - 1)
    assert get_patients(client)[1] == []
    clock(TOUCH_EVERY_S + 1)
    assert len(get_patients(client)[1]) == 1


@pytest.mark.parametrize(
    "idle_s,status", [(settings.SESSION_COOKIE_AGE - 1, 200), (settings.SESSION_COOKIE_AGE + 1, 302)]
)
def test_an_idle_session_ends_session_cookie_age_after_the_last_write(world, client, clock, idle_s, status):
    signed_in(client, world, clock)
    clock(idle_s)
    response = client.get(reverse("patients"))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


def test_activity_that_wrote_nothing_still_keeps_the_session_at_most_a_minute_short(world, client, clock):
    """Activity 59 s after the last write did not move the expiry: the session ends SESSION_COOKIE_AGE
    after the last write, less than TOUCH_EVERY_S before SESSION_COOKIE_AGE after the last activity."""
    signed_in(client, world, clock)
    clock(TOUCH_EVERY_S - 1)
    assert get_patients(client)[1] == []
    clock(settings.SESSION_COOKIE_AGE + 1)
    assert client.get(reverse("patients")).status_code == 302


def test_steady_activity_keeps_the_session_open_past_session_cookie_age(world, client, clock):
    signed_in(client, world, clock)
    step = settings.SESSION_COOKIE_AGE // 3
    for n in range(1, 7):
        clock(n * step)
        assert client.get(reverse("patients")).status_code == 200


def test_signing_in_rotates_the_session_key_and_keeps_one_row(world, client, clock):
    clock(0)
    anonymous = client.session
    anonymous["seen_sign_in_page"] = True
    anonymous.save()
    old_key = anonymous.session_key
    signed_in(client, world, clock)
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert LAST_WRITE_KEY in Session.objects.get(session_key=new_key).get_decoded()


def test_signing_out_deletes_the_row_and_clears_the_cookie(world, client, clock):
    signed_in(client, world, clock)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    clock(10)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == 0
    assert client.get(reverse("patients")).status_code == 302
    assert Session.objects.count() == 0


def test_an_unknown_session_cookie_creates_no_session_row(world, client, clock):
    """A cookie for a session that expired or never existed: no touch, no new row for an anonymous visitor."""
    clock(0)
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    for seconds in (0, TOUCH_EVERY_S + 1):
        clock(seconds)
        assert client.get(reverse("login")).status_code == 200
    assert Session.objects.count() == 0
