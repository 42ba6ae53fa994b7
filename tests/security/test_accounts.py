"""Sign-in protection: lockout, strong passwords, a reset that leaks nothing, sessions that end, CSP."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from companion.models import User
from companion.sessions import TOUCH_EVERY_S
from tests.conftest import PASSWORD, link_in

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)


def sign_in(client, email: str, password: str):
    return client.post(reverse("login"), {"username": email, "password": password})


# --- lockout (django-axes) ---


def test_five_wrong_passwords_lock_the_account_and_the_right_one_then_fails(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "alice@example.org", "not-her-password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    locked = sign_in(client, "alice@example.org", "not-her-password")
    assert locked.status_code in (403, 429)
    assert "Too many sign-in attempts" in locked.content.decode()

    right = sign_in(client, "alice@example.org", PASSWORD)
    assert right.status_code in (403, 429)
    assert "Too many sign-in attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_changing_the_case_of_the_address_does_not_reset_the_count(world, client):
    for variant in ("alice@example.org", "Alice@example.org", "ALICE@EXAMPLE.ORG", "alice@Example.org"):
        sign_in(client, variant, "not-her-password")
    locked = sign_in(client, "aLiCe@example.org", "not-her-password")
    assert locked.status_code in (403, 429)
    assert sign_in(client, "alice@example.org", PASSWORD).status_code in (403, 429)


def test_a_lockout_is_per_account_so_others_still_sign_in(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice@example.org", "not-her-password")
    response = sign_in(client, "bob@example.org", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.bob.pk)


def test_the_right_password_before_the_limit_signs_in_and_resets_the_count(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "alice@example.org", "not-her-password")
    assert sign_in(client, "alice@example.org", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "alice@example.org", "not-her-password")
    assert sign_in(client, "alice@example.org", PASSWORD).status_code == 302


# --- strong passwords ---


@pytest.mark.parametrize(
    "password,message",
    [
        ("short1!", "too short"),
        ("password1234", "too common"),
        ("83749201937465", "entirely numeric"),
        ("newperson@example.org", "too similar"),
    ],
)
def test_sign_up_refuses_a_weak_password_and_creates_nothing(client, db, password, message):
    response = client.post(
        reverse("signup"),
        {"full_name": "New Person", "email": "newperson@example.org", "password1": password, "password2": password},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email="newperson@example.org").exists()
    assert 'value="newperson@example.org"' in response.content.decode()  # what was typed is kept


def test_password_change_refuses_a_weak_password(world, client_for):
    client = client_for(world.alice_user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    world.alice_user.refresh_from_db()
    assert world.alice_user.check_password(PASSWORD)


# --- password reset reveals nothing ---


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(world, client, worker_after_commit):
    with worker_after_commit():  # the e-mail goes through the worker after commit (issue 12)
        known = client.post(reverse("password_reset"), {"email": "alice@example.org"}, follow=True)
        unknown = client.post(reverse("password_reset"), {"email": "nobody-here@example.org"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", known.content.decode()) == strip.sub("", unknown.content.decode())
    assert "If that address belongs to an account" in known.content.decode()
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]


def test_the_reset_link_works_once(world, client, worker_after_commit):
    with worker_after_commit():
        client.post(reverse("password_reset"), {"email": "alice@example.org"})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    form_url = page.redirect_chain[-1][0]
    new = "another-long-passphrase-9"
    done = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    world.alice_user.refresh_from_db()
    assert world.alice_user.check_password(new)
    again = client.get(link, follow=True)
    assert "This link does not work any more" in again.content.decode()


# --- sessions end after inactivity ---


def test_session_cookie_lasts_the_inactivity_window_and_is_renewed_as_the_person_goes_on(world, client, monkeypatch):
    cookie = sign_in(client, "alice@example.org", PASSWORD).cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE
    assert cookie["httponly"]
    assert settings.SESSION_COOKIE_AGE <= 60 * 60 * 12
    # Activity pushes the end of the window forward: at most a minute apart (companion/sessions.py).
    later = timezone.now() + timedelta(seconds=TOUCH_EVERY_S + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    renewed = client.get(reverse("patients")).cookies[settings.SESSION_COOKIE_NAME]
    assert int(renewed["max-age"]) == settings.SESSION_COOKIE_AGE
    assert Session.objects.get().expire_date == later + timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_an_idle_session_is_signed_out(world, client):
    sign_in(client, "alice@example.org", PASSWORD)
    assert client.get(reverse("patients")).status_code == 200
    # Idle for longer than SESSION_COOKIE_AGE: the server-side session has expired.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("patients"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- production settings: secure cookies, HSTS, check --deploy ---


def _production_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(
        DJANGO_SETTINGS_MODULE="companion.settings_production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="companion.example.org",
    )
    return env


def test_production_settings_use_secure_cookies_and_hsts():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_HTTPONLY)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=_production_env(), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True", "True", "True", "True", "True"]


def test_check_deploy_is_clean_with_production_settings():
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=_production_env(),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_production_refuses_the_development_secret_key():
    env = _production_env() | {"SECRET_KEY": "dev-only-insecure-key-change-me"}
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "SECRET_KEY" in out.stderr


# --- Content-Security-Policy, and no inline script or style anywhere ---


def test_pages_carry_a_strict_content_security_policy(world, client_for):
    for url, user in ((reverse("login"), None), (reverse("patients"), world.alice_user)):
        response = client_for(user).get(url)
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style[\s>]", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def _templates() -> list[Path]:
    return sorted(p for p in (BASE_DIR / "templates").rglob("*") if p.suffix in (".html", ".svg"))


def test_no_template_has_inline_script_style_or_event_handlers():
    offenders = []
    for path in _templates():
        text = path.read_text()
        for pattern, what in (
            (INLINE_SCRIPT, "inline <script>"),
            (INLINE_STYLE, "style= attribute"),
            (STYLE_TAG, "<style> element"),
            (EVENT_HANDLER, "on…= handler"),
        ):
            if pattern.search(text):
                offenders.append(f"{path.relative_to(BASE_DIR)}: {what}")
    assert _templates(), "no templates found"
    assert not offenders, "CSP forbids these: " + "; ".join(offenders)


def test_the_scan_would_catch_an_inline_script():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/app.js" defer></script>')
    assert INLINE_STYLE.search('<div class="x" style="color:red">')
    assert EVENT_HANDLER.search('<button onclick="go()">')


# --- no open redirects ---


def sign_up_and_confirm(client, query: str, worker_after_commit):
    """Sign up (the same "check your e-mail" page for everyone), then open the e-mailed link."""
    passphrase = "a-long-unusual-passphrase-42"
    with worker_after_commit():
        response = client.post(
            reverse("signup") + query,
            {
                "full_name": "New Person",
                "email": "newperson@example.org",
                "password1": passphrase,
                "password2": passphrase,
            },
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("signup_done")
    return client.post(link_in(mail.outbox[-1], "/accounts/signup/confirm/"), {"password": passphrase})


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)"])
def test_sign_up_never_redirects_off_site(db, client, target, worker_after_commit):
    response = sign_up_and_confirm(client, "?next=" + target, worker_after_commit)
    assert response.status_code == 302
    assert response["Location"] == reverse("patient_new")


def test_sign_up_follows_a_next_path_on_this_site(db, client, worker_after_commit):
    response = sign_up_and_confirm(client, "?next=/invitations/abc/", worker_after_commit)
    assert response["Location"] == "/invitations/abc/"


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/"])
def test_sign_in_never_redirects_off_site(world, client, target):
    response = client.post(reverse("login") + "?next=" + target, {"username": "bob@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
