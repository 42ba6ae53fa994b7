"""Transient database faults are not 500s, and a database that is really down says so (issue 12, point 6).

Django's test client turns off the per-request connection handling (close_old_connections)
that health checks rely on, so the tests that matter run a real gunicorn on a loopback
port, against the test database, and kill its PostgreSQL backends.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path, reverse

import companion.urls as app_urls
from companion.models import AuditEvent, CareRole, User
from doses.models import SideEffect
from tests.conftest import PASSWORD, link, make_patient

BASE_DIR = Path(__file__).resolve().parents[2]
SERVER_HASHER = PBKDF2PasswordHasher()  # the stored format the server reads (the suite's own is MD5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str) -> tuple[subprocess.Popen, str]:
    """gunicorn as the README deploys it (--preload, several workers), DEBUG off, on loopback."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "companion.settings",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "LOG_LEVEL": "CRITICAL",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "companion.wsgi", "--preload", "--workers", "2"]
        + ["--bind", f"127.0.0.1:{port}", "--timeout", "60"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("gunicorn exited at start") from None
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start listening within 60 s")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def server_backends(*, last_query_like: str = "%") -> list[int]:
    """The server's idle connections to the test database whose last query matches."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state = 'idle' AND query LIKE %s",
            [last_query_like],
        )
        return [pid for (pid,) in cursor.fetchall()]


def kill(pids: list[int]) -> None:
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def kill_server_connections() -> int:
    pids = server_backends()
    kill(pids)
    return len(pids)


@pytest.fixture
def server(on_postgres, transactional_db):
    url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict)
    if connection.settings_dict.get("PASSWORD"):
        url = url.replace("@", f":{connection.settings_dict['PASSWORD']}@", 1)
    process, base = start_gunicorn(url)
    yield base
    stop(process)


@pytest.fixture
def alice(transactional_db):
    """A patient whose password is hashed as the server hashes it (the suite's fast hasher is not the server's)."""
    user = User.objects.create(
        email="alice@example.org", full_name="Alice Example", password=make_password(PASSWORD, hasher=SERVER_HASHER)
    )
    patient = make_patient("Alice Example", account=user)
    link(patient, user, CareRole.SELF)
    return patient


class Browser:
    """requests with the app's cookies (and its CSRF token) sent back, as a browser would."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, allow_redirects=False, timeout=60)

    def sign_in(self, email: str) -> requests.Response:
        self.get(reverse("login"))
        return self.http.post(
            self.base + reverse("login"),
            data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": self.http.cookies.get("csrftoken")},
            allow_redirects=False,
            timeout=60,
        )


def test_pages_and_sign_ins_work_when_connections_are_killed_between_requests(server, alice):
    pages = [reverse("home"), reverse("doses:today", args=[alice.pk]), reverse("circle", args=[alice.pk])]
    statuses = []
    for _ in range(3):
        browser = Browser(server)
        kill_server_connections()
        signed_in = browser.sign_in("alice@example.org")
        assert signed_in.status_code == 302 and signed_in.headers["Location"] == reverse("home")
        for page in pages:
            kill_server_connections()
            statuses.append(browser.get(page).status_code)
    assert statuses == [302, 200, 200] * 3


def test_a_change_is_saved_with_its_audit_row_when_connections_are_killed_between_requests(server, alice):
    browser = Browser(server)
    assert browser.sign_in("alice@example.org").status_code == 302
    url = reverse("doses:side_effects", args=[alice.pk])
    for _ in range(3):
        kill_server_connections()
        form = browser.get(url)
        kill_server_connections()
        saved = browser.http.post(
            server + url,
            data={
                "symptom": "nausea",
                "severity": "mild",
                "started_on": alice.local_today().isoformat(),
                "csrfmiddlewaretoken": browser.http.cookies.get("csrftoken"),
            },
            allow_redirects=False,
            timeout=60,
        )
        assert (form.status_code, saved.status_code) == (200, 302)
    assert SideEffect.objects.filter(patient=alice).count() == 3
    assert AuditEvent.objects.filter(patient_ref=alice.pk, action="changed").count() == 3


def test_a_sign_in_succeeds_when_its_connection_dies_while_the_password_is_checked(server, alice):
    # Warm the connections up first, then sign in; once the server has read the account (its
    # last query is the user lookup, now idle), it is hashing the password: kill it then.
    browser = Browser(server)
    assert browser.sign_in("alice@example.org").status_code == 302
    browser = Browser(server)
    browser.get(reverse("login"))
    result = {}
    request = threading.Thread(target=lambda: result.update(response=browser.sign_in("alice@example.org")))
    killed = []
    request.start()
    deadline = time.monotonic() + 30
    while request.is_alive() and not killed and time.monotonic() < deadline:
        pids = server_backends(last_query_like='%FROM "companion_user"%')
        if pids:
            kill(pids)
            killed.extend(pids)
        time.sleep(0.005)
    request.join(timeout=60)
    assert killed, "the sign-in finished before its connection could be killed; the test proved nothing"
    response = result["response"]
    assert response.status_code == 302 and response.headers["Location"] == reverse("home")
    today = browser.get(reverse("doses:today", args=[alice.pk]))
    assert today.status_code == 200 and "Alice Example" in today.text


def test_when_the_database_is_down_pages_say_so_and_when_to_try_again():
    # Nothing listens on this port: every connection attempt is refused.
    process, base = start_gunicorn(f"postgres://postgres@127.0.0.1:{free_port()}/nowhere")
    try:
        signed_in = Browser(base)
        signed_in.http.cookies.set("sessionid", "a-session-that-needs-the-database-to-be-read")
        page = signed_in.get(reverse("patients"))
        anonymous = Browser(base)
        form = anonymous.get(reverse("login"))  # needs no database: no session yet
        sent = anonymous.sign_in("alice@example.org")
    finally:
        stop(process)
    assert form.status_code == 200
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "60"
    assert "We cannot reach the records right now" in page.text
    assert "Nothing you entered was lost" in page.text
    assert "If a dose is due now" in page.text
    assert sent.status_code == 503
    assert "We cannot reach the records right now" in sent.text and "Nothing you entered was lost" not in sent.text


# In-process: a page whose own connection is terminated in the middle of the request.
attempts: list[int] = []


def page_that_loses_its_connection_once(request):
    attempts.append(1)
    if len(attempts) == 1:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    return HttpResponse(f"{User.objects.count()} people")


urlpatterns = [
    path("test-only/flaky/", page_that_loses_its_connection_once),
    path("", include("companion.urls")),
]
handler500 = getattr(app_urls, "handler500", "django.views.defaults.server_error")  # the app's own


def test_a_page_whose_connection_dies_mid_request_is_loaded_again_on_a_fresh_one(
    on_postgres, transactional_db, client, settings
):
    settings.ROOT_URLCONF = __name__
    attempts.clear()
    client.raise_request_exception = False  # the first attempt's error is logged, then answered
    response = client.get("/test-only/flaky/")
    assert len(attempts) == 2
    assert response.status_code == 200 and response.content.decode() == "0 people"
