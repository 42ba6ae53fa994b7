"""Deploy as the README documents, on this machine only, and prove it serves.

    make deploy-check      # or: .venv/bin/python scripts/deploy_check.py

With `companion.settings_production` (a fresh random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1):
1. migrates a throw-away database (PostgreSQL `companion_deploy` on the server of
   DATABASE_URL, recreated each run; SQLite in a temporary folder without DATABASE_URL)
   and loads the demo circle, so there is someone to sign in as;
2. runs `collectstatic --noinput` (whitenoise's compressed manifest storage: a vendored file
   naming a missing source map fails here, as it did in production);
3. starts gunicorn with the README's flags on 127.0.0.1 (never another address), a Celery
   worker and beat as the README starts them, and an SMTP server (aiosmtpd) on loopback;
4. over HTTP: fetches the sign-in page, signs in as the demo patient, opens Today, fetches
   every static file the page links (by its hashed name), checks the 404 page renders, and
   asks for a password reset, whose e-mail must reach the SMTP server with a link built
   from SITE_URL;
5. stops them all. Exit status 1, naming the step, on any failure.

The one thing changed from the documented deploy is SECURE_SSL_REDIRECT=false: there is no
TLS proxy in front of gunicorn here. The cookies stay Secure; this client sends them back
itself, as the browser would over HTTPS.
"""

from __future__ import annotations

import email
import email.policy
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"  # loopback only
DEPLOY_DATABASE = "companion_deploy"
STATIC_LINK_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class DeployCheckFailed(Exception):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def deploy_database_url(work_dir: Path) -> str:
    """A database only this check uses: recreated on the PostgreSQL server of DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{work_dir / 'deploy.sqlite3'}"
    import psycopg

    server = urlparse(url)
    admin_url = server._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DEPLOY_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DEPLOY_DATABASE}"')
    return server._replace(path=f"/{DEPLOY_DATABASE}").geturl()


def production_environment(port: int, work_dir: Path) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        DJANGO_SETTINGS_MODULE="companion.settings_production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS=HOST,
        SITE_URL=f"http://{HOST}:{port}",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=deploy_database_url(work_dir),
        STATIC_ROOT=str(work_dir / "staticfiles"),
        DEBUG="false",
    )
    return environment


def manage(environment: dict[str, str], *arguments: str) -> str:
    step = " ".join(arguments)
    print(f"  manage.py {step}", flush=True)
    done = subprocess.run(
        [str(BIN / "python"), "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise DeployCheckFailed(
            f"manage.py {step} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
        )
    return done.stdout


class Browser:
    """Just enough of a browser: keeps cookies (Secure ones too: we play the HTTPS side)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {"Host": HOST}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        payload = None
        if body is not None:
            payload = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise DeployCheckFailed(what)
    print(f"  ok: {what}", flush=True)


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DeployCheckFailed(f"gunicorn exited {process.returncode} before it served")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise DeployCheckFailed(f"gunicorn did not listen on {HOST}:{port} within {seconds:.0f} s")


class SmtpSink:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        self.messages.append((list(envelope.rcpt_tos), text.get_content() if text is not None else ""))
        return "250 OK"


def start_smtp(sink: SmtpSink):
    from aiosmtpd.controller import Controller

    controller = Controller(sink, hostname=HOST, port=free_port())
    controller.start()
    return controller


def wait_for_mail(sink: SmtpSink, to: str, containing: str, seconds: float = 90.0) -> str:
    """The first message to `to` whose text contains `containing` (the worker also sends the
    demo circle's own e-mails, such as a care alert, to the same people)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for recipients, content in sink.messages:
            if to in recipients and containing in content:
                return content
        time.sleep(0.5)
    sent = sum(to in recipients for recipients, _ in sink.messages)
    raise DeployCheckFailed(
        f"no e-mail to {to} containing {containing!r} reached the SMTP server within {seconds:.0f} s "
        f"({sent} other e-mails to that address did)"
    )


def start(command: list[str], environment: dict[str, str], log_path: Path) -> subprocess.Popen:
    print(f"  {' '.join(command)}", flush=True)
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log_path.open("w"), stderr=subprocess.STDOUT)


def check_serving(port: int, email: str, password: str) -> None:
    browser = Browser(port)
    status, _headers, page = browser.request("GET", "/accounts/login/")
    expect(status == 200, f"the sign-in page answers 200 (got {status})")
    token = CSRF_RE.search(page.decode())
    expect(token is not None and "csrftoken" in browser.cookies, "the sign-in page sets a CSRF token")

    status, headers, _ = browser.request(
        "POST", "/accounts/login/", {"csrfmiddlewaretoken": token.group(1), "username": email, "password": password}
    )
    expect(
        status == 302 and "sessionid" in browser.cookies, f"signing in as {email} redirects with a session ({status})"
    )

    status, headers, page = browser.request("GET", "/")
    while status == 302:  # home sends a patient on to her own Today page
        status, headers, page = browser.request("GET", urlparse(headers["location"]).path)
    text = page.decode()
    expect(status == 200 and "Sign out" in text, f"a signed-in page renders ({status})")
    expect("no-store" in headers.get("cache-control", ""), "the signed-in page is not cached (Cache-Control: no-store)")

    static_paths = sorted(set(STATIC_LINK_RE.findall(text)))
    expect(bool(static_paths), f"the page links {len(static_paths)} static files")
    for path in static_paths:
        expect(re.search(r"\.[0-9a-f]{12}\.", path) is not None, f"{path} is a hashed (manifest) name")
        status, headers, content = browser.request("GET", path)
        expect(status == 200 and content, f"GET {path} serves {len(content)} bytes")
        expect("immutable" in headers.get("cache-control", ""), f"{path} is cached for good (immutable)")

    status, _headers, page = browser.request("GET", "/no-such-page/")
    expect(status == 404 and b"<html" in page, f"an unknown address is the 404 page ({status})")


def check_mail(port: int, sink: SmtpSink, address: str, site_url: str) -> None:
    browser = Browser(port)
    status, _headers, page = browser.request("GET", "/accounts/password_reset/")
    token = CSRF_RE.search(page.decode())
    expect(status == 200 and token is not None, "the password reset page answers 200")
    status, _headers, _ = browser.request(
        "POST", "/accounts/password_reset/", {"csrfmiddlewaretoken": token.group(1), "email": address}
    )
    expect(status == 302, f"asking for a password reset redirects ({status})")
    content = wait_for_mail(sink, address, containing="/accounts/reset/")
    links = re.findall(r"https?://\S+", content)
    expect(
        any(link.startswith(f"{site_url}/accounts/reset/") for link in links),
        f"the reset e-mail reached the SMTP server, its link on {site_url} (links: {links})",
    )


def main() -> int:
    print("Deploy check: the README's production deploy on 127.0.0.1", flush=True)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="companion-deploy-") as folder:
        work_dir = Path(folder)
        processes: list[subprocess.Popen] = []
        smtp = None
        try:
            environment = production_environment(port, work_dir)
            manage(environment, "check")  # check --deploy is `make check-deploy` (it wants the TLS redirect on)
            manage(environment, "migrate", "--noinput")
            manage(environment, "seed_demo")
            password = manage(environment, "seed_demo", "--print-password").strip()
            manage(environment, "collectstatic", "--noinput")
            sink = SmtpSink()
            smtp = start_smtp(sink)
            environment.update(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST=HOST,
                EMAIL_PORT=str(smtp.port),
            )
            processes.append(
                start(
                    [
                        str(BIN / "gunicorn"),
                        "companion.wsgi",
                        "--workers",
                        "2",
                        "--preload",
                        "--bind",
                        f"{HOST}:{port}",
                    ],
                    environment,
                    work_dir / "gunicorn.log",
                )
            )
            processes.append(
                start(
                    [str(BIN / "celery"), "-A", "companion", "worker", "--concurrency", "2"],
                    environment,
                    work_dir / "worker.log",
                )
            )
            processes.append(
                start(
                    [str(BIN / "celery"), "-A", "companion", "beat", "--schedule", str(work_dir / "beat-schedule")],
                    environment,
                    work_dir / "beat.log",
                )
            )
            wait_for_port(port, processes[0])
            check_serving(port, "alice@demo.example", password)
            check_mail(port, sink, "alice@demo.example", environment["SITE_URL"])
            for process, name in zip(processes, ("gunicorn", "worker", "beat"), strict=True):
                expect(process.poll() is None, f"{name} is still running")
        except (DeployCheckFailed, subprocess.TimeoutExpired, OSError) as failure:
            print(f"DEPLOY CHECK FAILED: {failure}", flush=True)
            for name in ("gunicorn", "worker", "beat"):
                log_file = work_dir / f"{name}.log"
                if log_file.exists():
                    print(f"{name} log (last lines):\n" + log_file.read_text()[-3000:], flush=True)
            return 1
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
            if smtp is not None:
                smtp.stop()
    print("Deploy check passed.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
