"""Fixtures for the reminders tests: a fixed clock, alice on a daily 08:00 regimen, eager Celery."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import Message

import pytest

from doses.models import DoseSlot
from tests.conftest import start_adult_regimen

# 10 March 2026: London is on GMT, so local 08:00 is 08:00 UTC.
DAY = date(2026, 3, 10)
SLOT_AT = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def eager_celery(eager_celery):
    """Tasks run in the test process (tests/conftest.py; the integration tests start a real worker instead)."""
    yield


@pytest.fixture
def daily(world):
    """alice on 100 mg daily at 08:00 since 7 March, slots materialised as of 10 March 07:00."""
    return start_adult_regimen(
        world.alice, world.carol, starts_on=date(2026, 3, 7), now=datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    )


@pytest.fixture
def slot(daily):
    return DoseSlot.objects.get(regimen=daily, scheduled_at=SLOT_AT)


class LoopbackSMTP:
    """A real SMTP server (aiosmtpd) on a loopback port that can be stopped and started again.

    While it is stopped nothing listens on the port, so a connection is really refused.
    """

    def __init__(self):
        self.messages: list[tuple[list[str], Message]] = []
        self.port = free_port()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Message]:
        return [message for rcpts, message in self.messages if address in rcpts]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def loopback_smtp(settings):
    """Django sends through SMTP to a LoopbackSMTP (started); the test stops and starts it."""
    server = LoopbackSMTP()
    yield from serve_mail_with(server, settings)


def serve_mail_with(server: LoopbackSMTP, settings):
    """Start `server` and send Django's e-mail to it over SMTP until the test ends."""
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def at_once(work, workers: int = 2) -> list[Exception]:
    """Run `work` in `workers` threads released together (each with its own database
    connection, as two workers have); returns the errors they raised."""
    from django.db import connection

    barrier = threading.Barrier(workers)
    errors: list[Exception] = []

    def worker():
        try:
            barrier.wait()
            work()
        except Exception as exc:  # surfaced to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
