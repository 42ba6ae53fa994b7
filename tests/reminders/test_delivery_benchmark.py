"""benchmark_delivery's pipeline at 1,000 patients, as a test of correctness, not of speed (issue 18).

The real thing: `run_once` creates 1,000 patients due in the same minute on the pytest test
database, starts a real `celery -A companion worker` (2 pool processes) on it with Redis
database 8 as its broker (flushed) and an SMTP server on loopback, sends the minute tick as
beat does, and waits until every delivery is sent. Every reminder must reach the server
exactly once, in today's pipeline (baseline) and in the new one (the settings' defaults).
No figure is asserted: the benchmark itself prints those.

Skipped on a bare machine; required in CI (REQUIRE_SERVICES=1 with DATABASE_URL and REDIS_URL).
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reminders.management.commands.benchmark_delivery import (
    BASELINE,
    broker_url_for,
    new_mode,
    run_once,
    worker_environment,
)
from reminders.models import Delivery, Kind

PATIENTS = 1000
BROKER_DB = 8


@pytest.fixture
def eager_celery():
    """Overrides the package's eager fixture: here a real worker runs the tasks."""
    yield


@pytest.mark.services
@pytest.mark.django_db(transaction=True)  # the worker is another process: it sees committed rows only
@pytest.mark.timeout(240)
@pytest.mark.parametrize("mode", [BASELINE, new_mode()], ids=["baseline", "new"])
def test_1000_due_reminders_reach_the_mail_server_once_each_through_the_real_worker(mode, on_postgres, redis_url):
    out = io.StringIO()
    result = run_once(
        patients=PATIENTS,
        workers=2,
        mode=mode,
        broker_url=broker_url_for(redis_url, BROKER_DB),
        timeout=180,
        keep=True,  # the test database is emptied after the test
        out=out,
    )
    assert result.finished, out.getvalue()

    deliveries = Delivery.objects.filter(patient_id__in=result.patient_ids)
    assert deliveries.count() == PATIENTS  # one reminder per patient
    assert set(deliveries.values_list("kind", flat=True)) == {Kind.INJECTION_REMINDER}
    # Exactly 1,000 messages at the server, one per delivery, and nothing else.
    assert result.messages == PATIENTS
    assert set(result.received) == set(deliveries.values_list("pk", flat=True))
    assert set(result.received.values()) == {1}
    assert (result.duplicates, result.lost, result.unexpected, result.without_id) == (0, 0, 0, 0)
    # Each sent on its first attempt: nothing was claimed twice or retried.
    assert set(deliveries.values_list("status", "attempts")) == {(Delivery.Status.SENT, 1)}
    assert result.ok


@pytest.mark.services
@pytest.mark.django_db
def test_without_redis_the_benchmark_refuses_with_a_message(on_postgres, settings):
    settings.REDIS_URL = ""
    with pytest.raises(CommandError, match="needs Redis: set REDIS_URL"):
        call_command("benchmark_delivery", "--patients", "10")
    assert not Delivery.objects.exists()


@pytest.mark.services
@pytest.mark.django_db
def test_the_benchmark_refuses_a_broker_database_that_is_redis_urls_own(on_postgres, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/8"  # the benchmark flushes its broker's database
    with pytest.raises(CommandError, match="REDIS_URL's own database"):
        call_command("benchmark_delivery", "--broker-db", "8")


def test_baseline_is_todays_pipeline_and_new_is_the_defaults_unless_chosen(monkeypatch):
    # Set in the benchmark's own environment: never passed on, each mode decides.
    monkeypatch.setenv("REMINDER_SEND_BATCH_SIZE", "7")
    monkeypatch.setenv("REMINDER_TICK_SHARDS", "3")

    def mode_settings(mode):
        env = worker_environment(mode, broker_url="redis://127.0.0.1:6379/8", smtp_port=2525)
        assert (env["REDIS_URL"], env["EMAIL_PORT"]) == ("redis://127.0.0.1:6379/8", "2525")
        return env.get("REMINDER_SEND_BATCH_SIZE"), env.get("REMINDER_TICK_SHARDS")

    assert mode_settings(BASELINE) == ("1", "1")
    assert mode_settings(new_mode()) == (None, None)
    assert mode_settings(new_mode(batch_size=100, shards=4)) == ("100", "4")
    assert mode_settings(new_mode(shards=4)) == (None, "4")
