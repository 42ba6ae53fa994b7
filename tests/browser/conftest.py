"""The browser harness: Debian's Chromium driven by Playwright against pytest-django's live server.

Never downloads a browser: `chromium_path` (tests/conftest.py) skips every test here when
Chromium is missing, or fails them when REQUIRE_BROWSER=1 (CI).

- `phone` / `desktop`: a fresh page (own cookies) at 390x844 or 1280x900, with the live
  server's address as base URL, so `phone.goto(url("login"))` works. Each page fails the test
  at teardown if the browser reported a Content-Security-Policy violation or a JavaScript error.
- `sign_in(page, email, password)`: signs in through the real form.
- `assert_accessible(page)`: axe-core (offline, through axe-playwright-python); fails on any
  violation of impact "serious" or "critical", listing rule, impact and target selectors.
- `screenshot(page, name)`: saves test-artifacts/screenshots/<name>.png (git-ignored).
- `url(name, *args)`: Django's reverse() as an absolute live-server address.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import get_resolver, reverse

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING_IMPACTS = ("serious", "critical")
# Short waits: every page here is served by a local, in-process server.
NAVIGATION_TIMEOUT_MS = 15_000
ACTION_TIMEOUT_MS = 5_000


def pytest_collection_modifyitems(items):
    """Everything under tests/browser/ needs Chromium: mark it, so `-m "not browser"` skips it."""
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser(request):
    """One Chromium for the tests in this folder, closed when they are done.

    Package scope, not session: Playwright's sync API cannot start a second time while one is
    running, and other folders' tests may start their own. While it runs, Playwright keeps an
    event loop in this thread, so Django would refuse ORM calls from the test body ("You cannot
    call this from an async context"): DJANGO_ALLOW_ASYNC_UNSAFE is set for exactly that time
    (never for the whole run: a `check --deploy` subprocess would inherit it).
    """
    chromium = request.getfixturevalue("_chromium_session")  # skips (or fails in CI) without Chromium
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def _chromium_session() -> str:
    # tests/conftest.py's chromium_path is function-scoped; repeat its check once per session.
    import shutil

    from tests.conftest import need

    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    need(shutil.which(path) is not None, f"Chromium ({path})", flag="REQUIRE_BROWSER")
    return path


@pytest.fixture(autouse=True)
def _static_from_finders(settings):
    # The live server serves /static/ through the staticfiles finders; WhiteNoise must not
    # answer 404 first for files that were never collected.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


class PageProblems:
    """JavaScript errors, CSP violations and static files that failed to load while a test ran."""

    CSP = re.compile(r"Content Security Policy|Refused to (apply|execute|load)", re.I)

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"JavaScript error: {exc}"))
        # A stylesheet, script or icon that does not load leaves a page unstyled or broken.
        page.on(
            "response",
            lambda response: (
                self.errors.append(f"{response.status} for {response.url}")
                if "/static/" in response.url and response.status >= 400
                else None
            ),
        )
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"{msg.type}: {msg.text}")
                if msg.type == "error" and self.CSP.search(msg.text)
                else None
            ),
        )


def _new_page(browser, live_server, viewport: dict, **context_options):
    context = browser.new_context(
        viewport=viewport,
        base_url=live_server.url,
        locale="en-GB",
        accept_downloads=True,
        **context_options,
    )
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    # axe-core in every page from the start: one injection per page load instead of a
    # 500 kB evaluate before each check (init scripts are not subject to the page's CSP).
    context.add_init_script(_axe_script())
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)
    return context, page, problems


@pytest.fixture
def phone(browser, live_server, transactional_db) -> Iterator:
    """A page at phone size (390x844, touch), with its own cookies."""
    context, page, problems = _new_page(browser, live_server, PHONE, has_touch=True, device_scale_factor=2)
    yield page
    context.close()
    assert not problems.errors, "The browser reported problems:\n" + "\n".join(problems.errors)


@pytest.fixture
def desktop(browser, live_server, transactional_db) -> Iterator:
    """A page at desktop size (1280x900), with its own cookies."""
    context, page, problems = _new_page(browser, live_server, DESKTOP)
    yield page
    context.close()
    assert not problems.errors, "The browser reported problems:\n" + "\n".join(problems.errors)


@pytest.fixture
def url(live_server):
    """url("doses:today", patient.pk) -> "http://localhost:PORT/patients/1/"."""

    def build(name: str, *args, **kwargs) -> str:
        return live_server.url + reverse(name, args=args or None, kwargs=kwargs or None)

    return build


def page_exists(name: str) -> bool:
    """Is there a URL pattern called `name` ("doses:log") yet, whatever its arguments?"""
    resolver = get_resolver()
    *namespaces, short = name.split(":")
    for namespace in namespaces:
        if namespace not in resolver.namespace_dict:
            return False
        resolver = resolver.namespace_dict[namespace][1]
    return bool(resolver.reverse_dict.getlist(short))


def waiting_for(*names: str) -> list:
    """An expected failure while another helper's page is missing; nothing once it exists."""
    missing = [name for name in names if not page_exists(name)]
    if not missing:
        return []
    return [pytest.mark.xfail(strict=False, reason=f"waiting for {', '.join(missing)}")]


@pytest.fixture
def log_in_as(live_server):
    """log_in_as(page, user): a signed-in session cookie without going through the form (fast)."""
    from django.conf import settings
    from django.test import Client

    def log_in(page, user) -> None:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return log_in


def sign_in(page, email: str, password: str) -> None:
    """Sign in through the real sign-in form, and wait for the page after it."""
    page.goto(reverse("login"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/accounts/login/" not in page.url, f"Sign-in as {email} failed: still on {page.url}"


@functools.cache
def _axe_script() -> str:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def axe_violations(page, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """Run axe-core (bundled with axe-playwright-python, offline) on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_script())
    results = page.evaluate("() => axe.run({resultTypes: ['violations']})")
    return [v for v in results["violations"] if v.get("impact") in impacts]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(map(str, node["target"])) for node in v["nodes"][:8])
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}\n    at {targets}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    violations = axe_violations(page)
    if violations and os.environ.get("AXE_REPORT_ONLY"):  # while debugging a journey's later steps
        print(f"axe on {page.url}:\n{describe_violations(violations)}")
        return
    assert not violations, f"axe found serious/critical problems on {page.url}:\n" + describe_violations(violations)


def screenshot(page, name: str) -> Path:
    """Save the whole page as test-artifacts/screenshots/<name>.png."""
    path = ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def visit(page, address: str, *, check: bool = True) -> None:
    """Go to a page, expect it to load (status < 400), and run axe on it."""
    response = page.goto(address)
    assert response is not None and response.status < 400, f"{address} answered {response and response.status}"
    if check:
        assert_accessible(page)


def focused_description(page) -> str:
    """The focused element's tag, role, accessible-ish name and value, for keyboard-only tests."""
    return page.evaluate(
        """() => {
        const el = document.activeElement;
        if (!el) return "";
        const labelled = el.getAttribute("aria-labelledby");
        const byId = labelled ? labelled.split(" ").map(id => document.getElementById(id)?.textContent || "").join(" ") : "";
        const label = el.labels && el.labels.length ? Array.from(el.labels).map(l => l.textContent).join(" ") : "";
        return [el.tagName, el.getAttribute("role") || "", el.getAttribute("aria-label") || "", byId, label,
                el.getAttribute("title") || "", el.tagName === "INPUT" ? el.value : el.textContent.slice(0, 200)]
               .join(" | ").replace(/\\s+/g, " ");
    }"""
    )


def tab_to(page, pattern: str, *, max_presses: int = 80, backwards: bool = False) -> str:
    """Press Tab (or Shift+Tab) until the focused element's description matches `pattern` (regex, any case)."""
    wanted = re.compile(pattern, re.I)
    seen = []
    for _ in range(max_presses):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        description = focused_description(page)
        if wanted.search(description):
            return description
        seen.append(description)
    raise AssertionError(
        f"No focusable element matching {pattern!r} by keyboard. Focus went through:\n" + "\n".join(seen)
    )


def field(page, label: str):
    """The form field labelled exactly `label` (crispy adds "*" to required fields' labels)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


@pytest.fixture
def celery_eager(settings):
    """Run Celery tasks in-process while this test runs (CELERY_TASK_ALWAYS_EAGER).

    The web request in the live-server thread queues the care-team alert through the real
    on_commit -> reminders path; eager mode makes the send task run right there, so the
    e-mail lands in Django's locmem outbox (shared by the in-process server) instead of
    waiting for a worker. The Celery app read its settings at start-up, so its conf is set too.
    """
    from companion.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def morning_in_london(monkeypatch):
    """The server's clock moved to 08:30 in London today, and still running: a journey that
    logs the 08:00 dose can, whatever the hour the suite runs (after about 20:00 that dose is
    past its cut-off, MISS-SKIP). Request it before the fixtures that create the regimen."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    real_now = timezone.now
    london = ZoneInfo("Europe/London")
    morning = datetime.combine(real_now().astimezone(london).date(), time(8, 30), tzinfo=london)
    shift = morning - real_now()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + shift)
    return morning
