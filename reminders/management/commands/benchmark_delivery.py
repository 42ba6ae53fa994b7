"""End to end: N reminders due in the same minute, from the tick to the mail server (issue 18).

    manage.py benchmark_delivery --patients 1000 10000 --workers 2 --modes baseline new
    manage.py benchmark_delivery --patients 10000 --workers 1 2 --modes new

benchmark_dispatch times the tick alone; a reminder is delivered only when the transport has
accepted it. Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL). For each mode, number of
worker processes and number of patients, in that order (baseline first):

1. creates N patients due in the same minute (benchmark_dispatch.create_due_patients: each
   their own user, one slot a minute ago);
2. starts an SMTP server on loopback in this process (aiosmtpd on 127.0.0.1, a free port) that
   accepts every message and counts it by its X-Companion-Delivery header;
3. starts a real `celery -A companion worker --concurrency W` on the same database, with
   database --broker-db (8) of the Redis server as its broker (flushed before and after each
   run), sending through SMTP to that server, with the mode's settings in its environment;
4. sends the minute tick (reminders.tasks.dispatch_due_reminders) to the broker as beat does,
   and again at beat's interval while it waits, so the worker runs the tick too; and times until
   every delivery of these patients is SENT and the server has its message;
5. prints messages per second, CPU milliseconds per message (the worker's process tree and this
   database's PostgreSQL processes, from /proc), duplicates and lost; stops the worker and
   deletes the benchmark rows (--keep keeps them).
At the end: a table (baseline first, then new) and the projection for the 08:00 peak.

Modes: `baseline` is today's pipeline (REMINDER_SEND_BATCH_SIZE=1: one send_delivery task per
message; REMINDER_TICK_SHARDS=1: one tick); `new` is the settings' defaults, or --batch-size and
--shards. Baseline runs above --baseline-max patients (10,000) are skipped: at today's ~52
messages a second 100,000 take about half an hour.

One prefork worker with W pool processes, not W solo workers: that is how the README deploys
workers (`celery -A companion worker --concurrency 4`), so the parent process that takes the
messages from Redis and hands them to the pool is measured too, as production pays for it.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TextIO
from urllib.parse import quote, urlparse, urlunparse

import redis
from aiosmtpd.controller import Controller
from celery import Celery
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from companion.cpu_time import CpuMeter, postgres_pids, tree_pids
from reminders.models import Delivery

from .benchmark_dispatch import create_due_patients, delete_due_patients

CELERY = str(Path(sys.executable).with_name("celery"))
TICK = "reminders.tasks.dispatch_due_reminders"
SITE_URL = "http://companion.bench.invalid"
MODE_SETTINGS = ("REMINDER_SEND_BATCH_SIZE", "REMINDER_TICK_SHARDS")
BASELINE_MAX_PATIENTS = 10_000
# The 08:00 peak: 1M patients; the busiest time zone holds about a tenth of them, all on an
# 08:00 dose, so 100,000 reminders fall due in the same minute.
PEAK_PATIENTS = 1_000_000
PEAK_SHARE = 0.10
SETTLE_SECONDS = 2.0  # after the last message, how long a late duplicate still has to arrive
PROGRESS_SECONDS = 15.0
DELIVERY_HEADER = re.compile(rb"^X-Companion-Delivery:[ \t]*(\d+)", re.IGNORECASE | re.MULTILINE)


class BenchmarkError(Exception):
    pass


# --- modes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mode:
    name: str
    settings: dict[str, str]  # put in the worker's environment; MODE_SETTINGS not named here keep their defaults

    def describe(self) -> str:
        named = ", ".join(f"{name}={value}" for name, value in self.settings.items())
        defaults = [name for name in MODE_SETTINGS if name not in self.settings]
        if not defaults:
            return named
        missing = [name for name in defaults if not hasattr(settings, name)]
        shown = [f"{name}={getattr(settings, name)}" for name in defaults if hasattr(settings, name)]
        parts = [named] if named else []
        if shown:
            parts.append(f"the defaults ({', '.join(shown)})")
        if missing:
            parts.append(f"{', '.join(missing)} not in settings yet: the same pipeline as baseline")
        return "; ".join(parts)


BASELINE = Mode("baseline", {"REMINDER_SEND_BATCH_SIZE": "1", "REMINDER_TICK_SHARDS": "1"})


def new_mode(*, batch_size: int | None = None, shards: int | None = None) -> Mode:
    chosen = {"REMINDER_SEND_BATCH_SIZE": batch_size, "REMINDER_TICK_SHARDS": shards}
    return Mode("new", {name: str(value) for name, value in chosen.items() if value is not None})


# --- the services -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: accepts every message and counts it by its X-Companion-Delivery header."""

    def __init__(self):
        self.received: Counter[int] = Counter()
        self.without_id = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        content = envelope.content
        end = content.find(b"\r\n\r\n")
        match = DELIVERY_HEADER.search(content if end < 0 else content[:end])  # the headers only
        with self._lock:
            if match:
                self.received[int(match[1])] += 1
            else:
                self.without_id += 1
        return "250 Message accepted"

    def snapshot(self) -> tuple[Counter[int], int]:
        with self._lock:
            return Counter(self.received), self.without_id

    @property
    def distinct(self) -> int:
        return len(self.received)


@contextmanager
def loopback_smtp() -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server on 127.0.0.1 that accepts everything: (its mailbox, its port)."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


def redis_db_of(url: str) -> int:
    return int(urlparse(url).path.strip("/") or 0)


def broker_url_for(redis_url: str, db: int) -> str:
    """The same Redis server as `redis_url`, database `db`."""
    return urlunparse(urlparse(redis_url)._replace(path=f"/{db}"))


def database_url() -> str:
    """This process's database as a URL for the worker (under pytest: the test database)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def worker_environment(mode: Mode, *, broker_url: str, smtp_port: int) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in MODE_SETTINGS}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "companion.settings"),
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "SITE_URL": SITE_URL,
            "LOG_LEVEL": "WARNING",
            **mode.settings,
        }
    )
    return env


class Worker:
    """One `celery -A companion worker` with `concurrency` pool processes, in its own process group."""

    def __init__(self, *, concurrency: int, env: dict[str, str], log: Path):
        self.concurrency, self.env, self.log = concurrency, env, log
        self.nodename = f"bench-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        self.process: subprocess.Popen | None = None

    def start(self, sender: Celery, timeout: float = 90) -> Worker:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [CELERY, "-A", "companion", "worker", "--pool", "prefork", "--concurrency", str(self.concurrency)]
                + ["--loglevel", "WARNING", "-n", self.nodename],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Ready when it answers a ping: its pool is up and it consumes from the broker.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchmarkError(f"The worker exited with status {self.process.returncode}.\n{self.log_tail()}")
            if sender.control.ping(destination=[self.nodename], timeout=0.5):
                return self
        raise BenchmarkError(f"The worker did not start within {timeout:.0f} s.\n{self.log_tail()}")

    def pids(self) -> list[int]:
        return tree_pids(self.process.pid) if self.process else []

    def stop(self) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL if it has not ended within 20 s."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


# --- one run ----------------------------------------------------------------------------


@dataclass
class RunResult:
    mode: str
    workers: int
    patients: int
    finished: bool
    seconds: float
    received: Counter[int]  # delivery id -> messages the server accepted with it
    without_id: int  # messages with no X-Companion-Delivery header
    deliveries: int  # Delivery rows of these patients
    statuses: dict[str, int]
    retried: int  # sent after more than one attempt
    lost: int  # patients whose reminder the server did not get
    unexpected: int  # distinct delivery ids received that are not these patients' deliveries
    cpu: dict[str, float]  # seconds: worker, postgres, benchmark (this process: the SMTP server)
    patient_ids: list[int] = field(repr=False)

    @property
    def messages(self) -> int:
        return sum(self.received.values()) + self.without_id

    @property
    def delivered(self) -> int:
        """Distinct deliveries of these patients that reached the server."""
        return self.patients - self.lost

    @property
    def duplicates(self) -> int:
        """Messages received minus distinct deliveries received (must be 0)."""
        return sum(self.received.values()) - len(self.received)

    @property
    def duplicate_ids(self) -> list[int]:
        return sorted(pk for pk, count in self.received.items() if count > 1)

    @property
    def not_sent(self) -> int:
        return self.patients - self.statuses.get(Delivery.Status.SENT, 0)

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0

    def cpu_ms_per_message(self, *groups: str) -> float:
        return 1000 * sum(self.cpu.get(g, 0.0) for g in groups) / self.delivered if self.delivered else 0.0

    @property
    def ok(self) -> bool:
        return self.finished and not (
            self.duplicates or self.lost or self.not_sent or self.unexpected or self.without_id
        )


def patients_filter(patient_ids: list[int]) -> Q:
    """The deliveries of these patients: a range when their ids are contiguous (one bulk insert)."""
    low, high = min(patient_ids), max(patient_ids)
    if high - low + 1 == len(patient_ids):
        return Q(patient_id__gte=low, patient_id__lte=high)
    return Q(patient_id__in=patient_ids)


def wait_until_delivered(
    *, mailbox: Mailbox, expected: int, mine: Q, sender: Celery, worker: Worker, timeout: float, out: TextIO
) -> tuple[bool, float]:
    """Send the tick as beat does (and again at beat's interval); wait until the server has
    `expected` messages and the rows are SENT. Returns (finished, seconds); not finished when
    the timeout passes or the worker ends."""
    beat_every = float(settings.CELERY_BEAT_SCHEDULE["dispatch-due-reminders"]["schedule"])
    started = time.monotonic()
    sender.send_task(TICK)
    next_tick, next_report = started + beat_every, started + PROGRESS_SECONDS
    while True:
        now = time.monotonic()
        # The server has them all: the worker marks each SENT just after the server accepts it.
        # (The database is asked only then: its polling would count as PostgreSQL's CPU.)
        if mailbox.distinct >= expected:
            if Delivery.objects.filter(mine, status=Delivery.Status.SENT).count() >= expected:
                return True, time.monotonic() - started
        if now - started > timeout or worker.process.poll() is not None:
            return False, now - started
        if now >= next_tick:
            sender.send_task(TICK)
            next_tick += beat_every
        if now >= next_report:
            out.write(f"    {now - started:5.0f} s: {mailbox.distinct:,} of {expected:,} received\n")
            out.flush()
            next_report += PROGRESS_SECONDS
        time.sleep(0.1)


def run_once(
    *,
    patients: int,
    workers: int,
    mode: Mode,
    broker_url: str,
    timeout: float,
    keep: bool = False,
    out: TextIO = sys.stdout,
) -> RunResult:
    """One end-to-end run (steps 1-5 of the module's docstring)."""
    broker = redis.Redis.from_url(broker_url)
    broker.flushdb()  # the benchmark's own database of the Redis server: nothing else is in it
    sender = Celery("benchmark-beat", broker=broker_url, set_as_current=False)
    prefix = f"delivery{uuid.uuid4().hex[:8]}"
    slot_at = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    created = time.monotonic()
    patient_ids = create_due_patients(patients, slot_at, prefix=prefix)
    out.write(f"  {patients:,} patients due at {slot_at:%H:%M} UTC created in {time.monotonic() - created:.1f} s\n")
    mine = patients_filter(patient_ids)
    try:
        with loopback_smtp() as (mailbox, port), tempfile.TemporaryDirectory(prefix="benchmark-delivery-") as work:
            env = worker_environment(mode, broker_url=broker_url, smtp_port=port)
            worker = Worker(concurrency=workers, env=env, log=Path(work) / "worker.log")
            try:
                worker.start(sender)
                database = connection.settings_dict["NAME"]
                meter = CpuMeter({"worker": worker.pids, "postgres": lambda: postgres_pids(database)}).start()
                own_cpu = time.process_time()
                finished, seconds = wait_until_delivered(
                    mailbox=mailbox,
                    expected=patients,
                    mine=mine,
                    sender=sender,
                    worker=worker,
                    timeout=timeout,
                    out=out,
                )
                cpu = meter.stop()
                cpu["benchmark"] = time.process_time() - own_cpu
                time.sleep(SETTLE_SECONDS)  # a message sent twice would arrive now
                if not finished:
                    out.write(f"  The worker's log ends:\n{worker.log_tail()}\n")
            finally:
                worker.stop()
            received, without_id = mailbox.snapshot()
        rows = Delivery.objects.filter(mine)
        ids = set(rows.values_list("pk", flat=True))
        statuses = dict(rows.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
        return RunResult(
            mode=mode.name,
            workers=workers,
            patients=patients,
            finished=finished,
            seconds=seconds,
            received=received,
            without_id=without_id,
            deliveries=len(ids),
            statuses=statuses,
            retried=rows.filter(status=Delivery.Status.SENT, attempts__gt=1).count(),
            lost=patients - len(ids & received.keys()),
            unexpected=len(received.keys() - ids),
            cpu=cpu,
            patient_ids=patient_ids,
        )
    finally:
        if not keep:
            deleting = time.monotonic()
            delete_due_patients(patient_ids, prefix=prefix)
            out.write(f"  benchmark rows deleted in {time.monotonic() - deleting:.1f} s\n")
        broker.flushdb()
        broker.close()
        sender.close()


# --- reports ----------------------------------------------------------------------------


def run_report(r: RunResult) -> list[str]:
    state = "done" if r.finished else f"NOT FINISHED after {r.seconds:.0f} s (what arrived is below)"
    duplicates = f"{r.duplicates}"
    if r.duplicate_ids:
        duplicates += f" (received more than once: deliveries {', '.join(map(str, r.duplicate_ids[:10]))}...)"
    statuses = ", ".join(f"{status} {count:,}" for status, count in sorted(r.statuses.items())) or "none"
    return [
        f"  {state}",
        f"  messages received:  {r.messages:,} ({len(r.received):,} distinct deliveries; "
        f"{r.without_id} without a delivery id; {r.unexpected} of other deliveries)",
        f"  time:               {r.seconds:.1f} s, {r.rate:,.1f} messages/s",
        f"  CPU per message:    {r.cpu_ms_per_message('worker', 'postgres'):.1f} ms "
        f"(worker processes {r.cpu_ms_per_message('worker'):.1f}, PostgreSQL {r.cpu_ms_per_message('postgres'):.1f}); "
        f"this process, the SMTP server: {r.cpu_ms_per_message('benchmark'):.1f} ms",
        f"  duplicates:         {duplicates}",
        f"  lost:               {r.lost} (deliveries created {r.deliveries:,} of {r.patients:,}; not sent {r.not_sent})",
        f"  deliveries:         {statuses}; sent after more than one attempt: {r.retried}",
    ]


def results_table(results: list[RunResult]) -> list[str]:
    lines = [
        "| mode | workers | patients | messages | seconds | messages/s | CPU ms/message (worker + PostgreSQL) "
        "| duplicates | lost |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cpu = (
            f"{r.cpu_ms_per_message('worker', 'postgres'):.1f} "
            f"({r.cpu_ms_per_message('worker'):.1f} + {r.cpu_ms_per_message('postgres'):.1f})"
        )
        seconds = f"{r.seconds:.1f}" if r.finished else f"{r.seconds:.0f} (not finished)"
        lines.append(
            f"| {r.mode} | {r.workers} | {r.patients:,} | {r.messages:,} | {seconds} | {r.rate:,.1f} | {cpu} "
            f"| {r.duplicates} | {r.lost} |"
        )
    return lines


def peak_projection(results: list[RunResult]) -> list[str]:
    """Per mode and number of workers, from its largest finished run: the 08:00 peak."""
    peak = round(PEAK_PATIENTS * PEAK_SHARE)
    largest: dict[tuple[str, int], RunResult] = {}
    for r in results:
        key = (r.mode, r.workers)
        if r.finished and r.delivered and (key not in largest or r.patients >= largest[key].patients):
            largest[key] = r
    lines = [
        f"The 08:00 peak: {PEAK_PATIENTS:,} patients. Assumption: the busiest time zone holds about "
        f"{PEAK_SHARE:.0%} of them, all on an 08:00 dose, so {peak:,} reminders fall due in the same minute.",
        "",
        f"| mode | workers | measured at | messages/s | minutes to deliver {peak:,} | CPU ms/message "
        "| cores to deliver them in one minute |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (mode, workers), r in largest.items():
        ms = r.cpu_ms_per_message("worker", "postgres")
        lines.append(
            f"| {mode} | {workers} | {r.patients:,} | {r.rate:,.1f} | {peak / r.rate / 60:,.1f} | {ms:.1f} "
            f"| {peak * ms / 1000 / 60:,.1f} |"
        )
    lines.append("")
    lines.append(
        "Cores: CPU ms per message x messages / 60 s, workers and PostgreSQL together, on this machine's "
        "cores; the SMTP server, Redis and the network are not in it."
    )
    for mode in dict.fromkeys(r.mode for r in results):
        one, two = largest.get((mode, 1)), largest.get((mode, 2))
        if one and two and one.patients == two.patients:
            lines.append(
                f"{mode}: 2 worker processes deliver {two.rate / one.rate:.2f}x as fast as 1 "
                f"({two.rate:,.1f} vs {one.rate:,.1f} messages/s at {one.patients:,})."
            )
    return lines


class Command(BaseCommand):
    help = "End to end: N reminders due in the same minute, tick to SMTP server, with real workers."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, nargs="+", default=[1000, 10_000], help="one or more sizes")
        parser.add_argument("--workers", type=int, nargs="+", default=[2], help="worker processes, one or more")
        parser.add_argument("--modes", nargs="+", choices=["baseline", "new"], default=["baseline", "new"])
        parser.add_argument("--batch-size", type=int, help="new mode: REMINDER_SEND_BATCH_SIZE (default: settings)")
        parser.add_argument("--shards", type=int, help="new mode: REMINDER_TICK_SHARDS (default: settings)")
        parser.add_argument("--broker-db", type=int, default=8, help="the workers' Redis database (flushed)")
        parser.add_argument("--baseline-max", type=int, default=BASELINE_MAX_PATIENTS, help="skip larger baseline runs")
        parser.add_argument("--timeout", type=float, help="seconds per run (default: 120 + patients / 20)")
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark rows afterwards.")

    def handle(self, *args, patients, workers, modes, batch_size, shards, broker_db, baseline_max, timeout, keep, **o):
        if connection.vendor != "postgresql":
            raise CommandError(
                "benchmark_delivery needs PostgreSQL, shared by this process and the workers: "
                "set DATABASE_URL=postgres://..."
            )
        if not settings.REDIS_URL:
            raise CommandError(
                f"benchmark_delivery needs Redis: set REDIS_URL=redis://... (the workers' broker is "
                f"database {broker_db} of that server)"
            )
        if redis_db_of(settings.REDIS_URL) == broker_db:
            raise CommandError(
                f"--broker-db {broker_db} is REDIS_URL's own database, and the benchmark flushes it: choose another"
            )
        broker_url = broker_url_for(settings.REDIS_URL, broker_db)
        try:
            redis.Redis.from_url(broker_url, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            raise CommandError(f"Redis is not reachable at {broker_url}: {exc}") from exc

        chosen = {"baseline": BASELINE, "new": new_mode(batch_size=batch_size, shards=shards)}
        plan = [
            (chosen[name], w, n) for name in ("baseline", "new") if name in modes for w in workers for n in patients
        ]
        out = self.stdout
        out.write(
            f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}. "
            f"Database {connection.settings_dict['NAME']}; the workers' broker {broker_url} (flushed)."
        )
        for name in dict.fromkeys(mode.name for mode, _, _ in plan):
            out.write(f"Mode {name}: {chosen[name].describe()}")
        results: list[RunResult] = []
        failed: list[str] = []
        for mode, w, n in plan:
            if mode is BASELINE and n > baseline_max:
                out.write(
                    f"\nbaseline, {w} worker processes, {n:,} patients: skipped (over --baseline-max "
                    f"{baseline_max:,}: at today's ~52 messages/s it would take {n / 52 / 60:.0f} min)."
                )
                continue
            out.write(f"\n{mode.name}, {w} worker process{'es' if w > 1 else ''}, {n:,} patients:")
            try:
                result = run_once(
                    patients=n,
                    workers=w,
                    mode=mode,
                    broker_url=broker_url,
                    timeout=timeout or 120 + n / 20,
                    keep=keep,
                    out=out,
                )
            except BenchmarkError as exc:
                failed.append(f"{mode.name}/{w}/{n}: {exc}")
                out.write(f"  FAILED: {exc}")
                break
            results.append(result)
            out.write("\n".join(run_report(result)))
            if not result.ok:
                failed.append(f"{mode.name}/{w}/{n}: {'not finished' if not result.finished else 'lost or duplicated'}")
            if not result.finished:
                break  # the pipeline is stuck: the next runs would only wait as long
        if results:
            out.write("\n" + "\n".join(results_table(results)))
            out.write("\n" + "\n".join(peak_projection(results)))
        if failed:
            raise CommandError("Failed: " + "; ".join(failed))
