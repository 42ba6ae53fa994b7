"""Integration on real services: a real `celery -A companion worker` on the real Redis, the
PostgreSQL test database, and a real SMTP server (aiosmtpd) on loopback.

Skipped on a bare machine; required in CI (REQUIRE_SERVICES=1 with DATABASE_URL and REDIS_URL).
The worker uses its own Redis database (9), flushed before each test, so it never touches
the queues of anyone else using the same Redis server.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from doses import sites
from doses.models import CareAlert, DoseSlot, Injection, SlotStatus
from doses.services import records as record_services
from reminders import dispatch
from reminders.management.commands.benchmark_dispatch import create_due_patients
from reminders.models import Delivery, Kind
from tests.conftest import broker_unreachable, start_adult_regimen

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
SITE_URL = "http://companion.test"
LEASE_SECONDS = 2


@pytest.fixture
def eager_celery():
    """Overrides the package's eager fixture: here a real worker runs the tasks."""
    yield


# --- the services ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def worker_redis_url(redis_url) -> str:
    """redis://host:port/9 on the same server as REDIS_URL, flushed."""
    import redis

    parsed = urlparse(redis_url)
    url = urlunparse(parsed._replace(path="/9"))
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def test_database_url(on_postgres) -> str:
    """The URL of pytest-django's test database (test_<name>), for the worker subprocess."""
    db = connection.settings_dict
    auth = db["USER"] or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Mailbox:
    """aiosmtpd handler keeping every message; `hold` makes RCPT wait (a slow mail server)."""

    def __init__(self):
        self.messages: list[tuple[list[str], Message]] = []
        self.hold = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()
        self.hold_after = 0  # hold only once this many messages were accepted
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold.is_set() and len(self.messages) >= self.hold_after:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        return [message for rcpts, message in self.messages if address in rcpts]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    mailbox.release.set()
    controller.stop()


class Worker:
    """A `celery -A companion worker` subprocess in its own process group."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log = env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = subprocess.Popen(
            [
                CELERY,
                "-A",
                "companion",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "-n",
                f"it-{uuid.uuid4().hex[:8]}@%h",
            ]
            + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: "ready." in self.log.read_text(errors="replace")[offset:], 30, "the worker to start", self)
        return self

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a power cut would: no chance to ack or clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def wait_for(condition, seconds: float, what: str, worker: Worker | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    log = worker.log.read_text(errors="replace")[-3000:] if worker else ""
    raise AssertionError(f"Timed out after {seconds}s waiting for {what}.\n{log}")


@pytest.fixture
def worker(test_database_url, worker_redis_url, smtp, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "companion.settings",
        "DATABASE_URL": test_database_url,
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": worker_redis_url,
        "REDIS_VISIBILITY_TIMEOUT": "5",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "20",
        "SITE_URL": SITE_URL,
        "DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_LEVEL": "INFO",
    }
    started: list[Worker] = []

    def make(**extra_env: str) -> Worker:
        w = Worker({**env, **extra_env}, tmp_path / "worker.log")
        started.append(w)
        return w

    yield make
    for w in started:
        w.stop()


@pytest.fixture
def beat(worker_redis_url):
    """Send a periodic task by name, as beat would, to the worker's broker."""
    from celery import Celery

    sender = Celery("it-beat", broker=worker_redis_url, set_as_current=False)

    def tick(name: str = "reminders.tasks.dispatch_due_reminders") -> None:
        sender.send_task(name)

    yield tick
    sender.close()


def due_now(patient, by, minutes_ago: int = 2) -> DoseSlot:
    """Put `patient` on a daily regimen whose dose was due a couple of minutes ago."""
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    local = moment.astimezone(patient.zone)
    regimen = start_adult_regimen(patient, by, starts_on=local.date(), times=(local.strftime("%H:%M"),))
    return DoseSlot.objects.filter(regimen=regimen).order_by("scheduled_at").first()


# --- the tests --------------------------------------------------------------------------


def test_a_due_slot_produces_an_email_at_the_smtp_server_with_the_right_recipient_and_links(
    world, worker, beat, smtp, client
):
    slot = due_now(world.alice, world.carol)
    worker().start()
    beat()
    wait_for(lambda: smtp.to("alice@example.org"), 30, "the reminder e-mail")
    (message,) = smtp.to("alice@example.org")
    assert message["Subject"] == "Time for your injection"
    body = message.get_body(("plain",)).get_content()
    assert f"{SITE_URL}/patients/{world.alice.pk}/" in body
    unsubscribe = re.search(rf"{re.escape(SITE_URL)}(/unsubscribe/[^\s?]+/)", body).group(1)
    assert str(message["List-Unsubscribe"]).strip().startswith(f"<{SITE_URL}/unsubscribe/")
    # Nobody else got it (bob did not ask for a copy, carol is a clinician).
    assert [rcpts for rcpts, _ in smtp.messages] == [["alice@example.org"]]
    delivery = wait_for(
        lambda: Delivery.objects.filter(
            kind=Kind.INJECTION_REMINDER, subject_key=f"slot:{slot.pk}", status=Delivery.Status.SENT
        ).first(),
        10,
        "the delivery to be marked sent",
    )
    assert delivery.attempts == 1
    # The unsubscribe link works without signing in.
    assert client.get(unsubscribe).status_code == 200


def test_a_worker_killed_in_the_middle_of_sending_loses_nothing_and_duplicates_nothing(world, worker, beat, smtp):
    due_now(world.alice, world.carol)
    smtp.hold.set()  # the mail server stalls in the middle of the SMTP conversation
    first = worker().start()
    beat()
    wait_for(smtp.held.is_set, 30, "the worker to be in the middle of sending", first)
    first.kill()
    smtp.release.set()
    smtp.hold.clear()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENDING  # claimed by the dead worker
    assert smtp.messages == []

    time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's claim runs out
    second = worker().start()
    beat()  # the next tick hands the orphaned delivery over again (Redis also redelivers the unacked message)
    wait_for(lambda: smtp.to("alice@example.org"), 30, "the reminder after the restart", second)
    # Give the redelivered original message and another tick the chance to send it twice.
    beat()
    time.sleep(6)
    assert len(smtp.to("alice@example.org")) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)


def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing_and_duplicates_nothing(world, worker, beat, smtp):
    """Issue 18: five reminders in one batch over one connection; the worker dies while the mail
    server holds the third. The two accepted are already marked sent; the other three go once,
    after the lease, from the next worker."""
    minute = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    patient_ids = create_due_patients(5, minute, prefix="killed")
    smtp.hold_after = 2
    smtp.hold.set()
    first = worker(REMINDER_TICK_SHARDS="1", REMINDER_SEND_BATCH_SIZE="10").start()
    beat()
    wait_for(smtp.held.is_set, 30, "the worker to be in the middle of the batch", first)
    first.kill()
    smtp.release.set()
    smtp.hold.clear()
    mine = Delivery.objects.filter(patient_id__in=patient_ids)
    assert len(smtp.messages) == 2
    assert smtp.connections == 1  # one batch, one connection to the mail server
    accepted = sorted(int(message["X-Companion-Delivery"]) for _, message in smtp.messages)
    assert sorted(mine.filter(status=Delivery.Status.SENT).values_list("pk", flat=True)) == accepted
    assert mine.filter(status=Delivery.Status.SENDING).count() == 3  # claimed by the dead worker

    time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's claim runs out
    second = worker(REMINDER_TICK_SHARDS="2", REMINDER_SEND_BATCH_SIZE="10").start()
    beat()
    wait_for(lambda: len(smtp.messages) >= 5, 30, "the rest of the batch after the restart", second)
    beat()  # the redelivered original task and another tick get their chance to send twice
    time.sleep(6)
    received = sorted(int(message["X-Companion-Delivery"]) for _, message in smtp.messages)
    assert received == sorted(mine.values_list("pk", flat=True))  # each exactly once
    assert set(mine.values_list("status", flat=True)) == {Delivery.Status.SENT}
    attempts = dict(mine.values_list("pk", "attempts"))
    assert sorted(attempts[pk] for pk in accepted) == [1, 1]
    assert sorted(attempts.values()) == [1, 1, 2, 2, 2]


@pytest.fixture
def broker_away():
    """Point this (web) process's Celery app at a closed port, as if Redis were down; then back
    to the broker it had, whose pools stay open for the tests after this one."""
    from companion.celery import app

    with broker_unreachable(app, f"redis://127.0.0.1:{free_port()}/9"):
        yield


def test_with_the_broker_away_logging_works_and_reminders_catch_up_when_it_is_back(
    world, worker, beat, smtp, client_for, broker_away
):
    alice_slot = due_now(world.alice, world.carol)
    zoe_slot = due_now(world.zoe, world.dave)

    # Logging a dose in the web app works although nothing can be queued.
    started = time.monotonic()
    local = timezone.now().astimezone(world.alice.zone)
    form = {
        "taken_at": local.strftime("%Y-%m-%dT%H:%M"),
        "dose_mg": "100",
        "injected_by": "self",
        "site_spot": sites.allowed_spots(False)[0],
    }
    from doses.rules import preparation

    form.update({f"prep_{check.key}": "yes" for check in preparation.PREP_CHECKS})
    response = client_for(world.alice_user).post(reverse("doses:log", args=[world.alice.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Injection.objects.filter(slot=alice_slot).exists()

    # A serious symptom is recorded; queueing the care-team alert fails quietly (on_commit).
    record_services.record_side_effect(
        patient=world.alice, symptom="fever", severity="moderate", started_on=local.date(), by=world.alice_user
    )
    alert = CareAlert.objects.get(patient=world.alice)
    # The minute tick runs in a process that cannot reach the broker either.
    now = timezone.now()
    dispatch.queue_injection_reminders(now)
    assert dispatch.enqueue_ready_deliveries(now) == 0
    assert time.monotonic() - started < 15, "queueing against a dead broker must fail fast"
    waiting = Delivery.objects.filter(status=Delivery.Status.QUEUED, enqueued_at__isnull=True)
    assert set(waiting.values_list("kind", "recipient__email")) == {
        (Kind.CARE_ALERT, "alice@example.org"),
        (Kind.CARE_ALERT, "bob@example.org"),
        (Kind.CARE_ALERT, "carol@example.org"),
        (Kind.INJECTION_REMINDER, "zoe@example.org"),
        # SUPPLY-BOX: the dose took Alice's count (none recorded) to the refill threshold: the
        # refill is queued by the dose itself (doses.signals.supply_taken), and waits too.
        (Kind.REFILL, "alice@example.org"),
    }

    # The broker is back: the next beat tick on a worker sends everything that waited.
    worker().start()
    beat()
    wait_for(lambda: len(smtp.messages) >= 5, 30, "the caught-up messages")
    wait_for(
        lambda: not Delivery.objects.exclude(status=Delivery.Status.SENT).exists(), 10, "every delivery marked sent"
    )
    assert sorted(r for rcpts, _ in smtp.messages for r in rcpts) == [
        "alice@example.org",
        "alice@example.org",
        "bob@example.org",
        "carol@example.org",
        "zoe@example.org",
    ]
    assert smtp.to("carol@example.org")[0]["Subject"] == "Please check on your patient Alice now"  # to the clinician
    assert not Delivery.objects.filter(subject_key=f"slot:{alice_slot.pk}").exists()  # logged: no reminder
    assert Delivery.objects.get(subject_key=f"slot:{zoe_slot.pk}").status == Delivery.Status.SENT
    assert alert.pk and DoseSlot.objects.get(pk=alice_slot.pk).status == SlotStatus.TAKEN
