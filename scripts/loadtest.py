"""Load test: 50 people for 60 s against gunicorn on PostgreSQL, on this machine only.

    make loadtest          # or: .venv/bin/python scripts/loadtest.py --locust .venv-load/bin/locust

What it does, in order:
1. Recreates a dedicated PostgreSQL database (LOAD_DATABASE_URL, default .../companion_load),
   migrates it and seeds 440 adult patients whose dose is due now, 40 family accounts and
   10 clinicians. Each family account is the patient of one profile and a caregiver of 20
   more; every one of those 400 is shared by two family accounts, so two people race to log
   the same dose all through the run (MISS-NODOUBLE must let exactly one through).
   Sessions are created directly, so password hashing is not what gets measured.
2. Starts gunicorn on 127.0.0.1 (never another address) with DEBUG off.
3. Runs locust headless: 40 family users open a patient's today page, open the log form and
   log the dose; 10 clinicians open their panel and a patient's overview. 50 users, 60 s.
4. Checks the database: every dose locust saw logged is there exactly once, no slot has two
   injections, and nothing was logged that locust did not see succeed.
5. Prints requests per second, p50/p95/p99 per page, and errors. Exit status 1 on any error,
   lost or doubled dose.

This same file is the locustfile: locust (in .venv-load) imports it for the user classes;
the app's venv runs it as the orchestrator. Neither needs the other's packages.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only: the load never leaves this machine
DURATION_S = 60
USERS = 50
FAMILIES = 40
CLINICIANS = USERS - FAMILIES
SHARED_PER_FAMILY = 20  # each family account is caregiver of 20 profiles, each shared with the next family
PATIENTS_PER_CLINICIAN = 100

# --------------------------------------------------------------------------------------
# The locust side (imported by locust; needs only locust).
# --------------------------------------------------------------------------------------
try:
    from locust import HttpUser, between, events, task
except ImportError:  # the orchestrator runs without locust installed
    HttpUser = None

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

if HttpUser is not None:
    _plan = json.loads(Path(os.environ["LOADTEST_PLAN"]).read_text())
    _families = list(_plan["families"])
    _clinicians = list(_plan["clinicians"])
    _outcomes_path = Path(os.environ["LOADTEST_OUTCOMES"])
    _outcomes: list[dict] = []

    @events.quitting.add_listener
    def _save_outcomes(environment, **kwargs):
        _outcomes_path.write_text(json.dumps(_outcomes))

    class _SignedIn(HttpUser):
        abstract = True
        host = f"http://{HOST}"

        def sign_in(self, account: dict) -> None:
            self.account = account
            self.client.cookies.set("sessionid", account["session"])

    class Family(_SignedIn):
        """A patient (or family member) opening today's page and logging the dose."""

        fixed_count = FAMILIES
        wait_time = between(0.5, 1.5)

        def on_start(self):
            self.sign_in(_families.pop())
            self.todo = list(self.account["patients"])
            random.shuffle(self.todo)

        @task
        def log_a_dose(self):
            patient = random.choice(self.account["patients"]) if not self.todo else self.todo.pop()
            pid = patient["id"]
            self.client.get(f"/patients/{pid}/", name="today")
            form = self.client.get(f"/patients/{pid}/log/", name="log form")
            match = CSRF_RE.search(form.text)
            if not match:
                return
            body = {
                "csrfmiddlewaretoken": match.group(1),
                "taken_at": time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - 60)),  # patients are in UTC
                "dose_mg": "100",
                "injected_by": "self" if patient["own"] else "other",
                "site_spot": "abdomen-left-1",
                "notes": "",
                **{f"prep_{key}": "yes" for key in _plan["prep_keys"]},
            }
            with self.client.post(
                f"/patients/{pid}/log/",
                data=body,
                name="log dose",
                headers={"Referer": f"http://{HOST}/patients/{pid}/log/"},
                allow_redirects=False,
                catch_response=True,
            ) as response:
                if response.status_code == 302 and response.headers.get("Location", "").rstrip("/").endswith(
                    f"/patients/{pid}"
                ):
                    _outcomes.append({"patient": pid, "user": self.account["email"], "logged": True})
                    response.success()
                elif response.status_code == 200:
                    # Refused with a message (already logged by the other caregiver: MISS-NODOUBLE).
                    _outcomes.append({"patient": pid, "user": self.account["email"], "logged": False})
                    response.success()
                else:
                    response.failure(f"unexpected {response.status_code}")

    class Clinician(_SignedIn):
        """A clinician opening the panel and a patient's overview."""

        fixed_count = CLINICIANS
        wait_time = between(1, 3)

        def on_start(self):
            self.sign_in(_clinicians.pop())

        @task(3)
        def panel(self):
            self.client.get("/panel/", name="panel")

        @task(1)
        def overview(self):
            pid = random.choice(self.account["patients"])["id"]
            self.client.get(f"/patients/{pid}/overview/", name="patient overview")


# --------------------------------------------------------------------------------------
# The orchestrator side (runs with the app's venv).
# --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"Refusing an unusual database name: {name!r}")
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("The load test only uses a PostgreSQL server on this machine.")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _seed(plan_path: Path) -> dict:
    """Create the world and sessions; return the plan locust reads."""
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from companion.models import CareMembership, CareRole, Patient, User
    from doses import rules, services
    from doses.models import Regimen

    call_command("migrate", verbosity=0)
    now = timezone.now()
    due = (now - timedelta(minutes=20)).strftime("%H:%M")  # the dose is due now, its window open
    password = "unused-" + os.urandom(8).hex()

    def session_for(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.set_expiry(settings.SESSION_COOKIE_AGE)
        store.create()
        return store.session_key

    # One hash for everyone (sessions are made directly): sign-in is not what this test measures.
    from django.contrib.auth.hashers import make_password

    hashed = make_password(password)
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(email=f"family{i}@load.test", full_name=f"Family {i}", password=hashed) for i in range(FAMILIES)]
            + [User(email=f"clinician{i}@load.test", full_name=f"Dr {i}", password=hashed) for i in range(CLINICIANS)]
        )
    families, clinicians = users[:FAMILIES], users[FAMILIES:]
    block = SHARED_PER_FAMILY // 2  # 40 own profiles + 40 blocks of 10 shared ones = 440 patients
    patients = Patient.objects.bulk_create(
        Patient(display_name=f"Load Patient {i}", date_of_birth="1980-01-01", time_zone="UTC", indication="RA")
        for i in range(FAMILIES + FAMILIES * block)
    )
    own, shared = patients[:FAMILIES], patients[FAMILIES:]
    memberships = []
    plan_families = []
    for i, user in enumerate(families):
        own[i].account = user
        memberships.append(CareMembership(patient=own[i], user=user, role=CareRole.SELF))
        # Caregiver of its own block and the next family's block: every shared profile has two loggers.
        mine = (
            shared[i * block : (i + 1) * block]
            + shared[((i + 1) % FAMILIES) * block : ((i + 1) % FAMILIES + 1) * block]
        )
        memberships += [CareMembership(patient=p, user=user, role=CareRole.CAREGIVER) for p in mine]
        plan_families.append(
            {
                "email": user.email,
                "session": session_for(user),
                "patients": [{"id": own[i].pk, "own": True}] + [{"id": p.pk, "own": False} for p in mine],
            }
        )
    Patient.objects.bulk_update(own, ["account"])
    plan_clinicians = []
    for i, user in enumerate(clinicians):
        panel = [patients[(i * 37 + k) % len(patients)] for k in range(PATIENTS_PER_CLINICIAN)]
        memberships += [CareMembership(patient=p, user=user, role=CareRole.CLINICIAN) for p in panel]
        plan_clinicians.append(
            {"email": user.email, "session": session_for(user), "patients": [{"id": p.pk} for p in panel]}
        )
    CareMembership.objects.bulk_create(memberships)
    prescriber = clinicians[0]
    for patient in patients:
        services.create_regimen_version(
            patient=patient,
            entered_by=prescriber,
            dose_basis=Regimen.DoseBasis.FIXED_ADULT,
            daily_dose_mg=Decimal("100"),
            interval_days=1,
            administrations_per_day=1,
            times_of_day=[due],
            starts_on=patient.local_today(now) - timedelta(days=3),
            confirmed=True,
            now=now,
        )
    plan = {
        "families": plan_families,
        "clinicians": plan_clinicians,
        "prep_keys": [check.key for check in rules.PREP_CHECKS],
        "started_at": now.isoformat(),
    }
    plan_path.write_text(json.dumps(plan))
    return plan


def _verify(outcomes: list[dict], started_at: str) -> tuple[list[str], dict]:
    """Every dose locust saw logged is in the database exactly once; nothing else was logged."""
    from collections import Counter
    from datetime import datetime

    from django.db.models import Count

    from doses.models import Injection

    since = datetime.fromisoformat(started_at)
    problems = []
    seen = Counter(o["patient"] for o in outcomes if o["logged"])
    stored = Counter(Injection.objects.filter(logged_at__gte=since).values_list("patient_id", flat=True).iterator())
    doubled_slots = Injection.objects.values("slot").annotate(n=Count("id")).filter(n__gt=1).count()
    if doubled_slots:
        problems.append(f"{doubled_slots} slot(s) with more than one injection")
    for pid, n in seen.items():
        if n > 1:
            problems.append(f"patient {pid}: logged {n} times in one dose window (MISS-NODOUBLE broken)")
        if stored.get(pid, 0) != 1:
            problems.append(f"patient {pid}: locust saw it logged, database has {stored.get(pid, 0)} injection(s)")
    for pid, n in stored.items():
        if pid not in seen:
            problems.append(f"patient {pid}: {n} injection(s) in the database that locust never saw succeed")
    figures = {
        "doses_logged": sum(seen.values()),
        "doses_in_database": sum(stored.values()),
        "refused_as_already_logged": sum(1 for o in outcomes if not o["logged"]),
    }
    return problems, figures


def _cpu_seconds_of_tree(pid: int) -> float:
    """CPU time (user + system) used so far by gunicorn and its workers, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        pids += [int(child) for child in task.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv") as f:
        return list(csv.DictReader(f))


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locust", default=str(ROOT / ".venv-load" / "bin" / "locust"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")))
    parser.add_argument("--duration", type=int, default=DURATION_S, help="seconds, at most 60")
    args = parser.parse_args()
    duration = max(5, min(args.duration, DURATION_S))
    if not Path(args.locust).exists():
        raise SystemExit(f"locust not found at {args.locust}: run `make loadtest`, which installs it.")

    db_url = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/companion_load")
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "companion.settings",
        "DEBUG": "False",
        "ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    print(f"Database: {db_url} (recreated)")
    _recreate_database(db_url)
    work = Path(tempfile.mkdtemp(prefix="loadtest-"))
    plan_path, outcomes_path, stats_prefix = work / "plan.json", work / "outcomes.json", work / "locust"
    started = time.monotonic()
    plan = _seed(plan_path)
    print(
        f"Seeded {len(plan['families'])} family and {len(plan['clinicians'])} clinician accounts in {time.monotonic() - started:.0f} s"
    )

    load_before = os.getloadavg()[0]
    port = _free_port()
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "companion.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection((HOST, port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        locust_env = {k: v for k, v in env.items() if k not in ("DJANGO_SETTINGS_MODULE",)} | {
            "LOADTEST_PLAN": str(plan_path),
            "LOADTEST_OUTCOMES": str(outcomes_path),
        }
        print(f"Running locust: {USERS} users, {duration} s, against http://{HOST}:{port}")
        subprocess.run(
            [
                args.locust,
                "-f",
                str(Path(__file__).resolve()),
                "--headless",
                "--host",
                f"http://{HOST}:{port}",
                "--users",
                str(USERS),
                "--spawn-rate",
                "25",
                "--run-time",
                f"{duration}s",
                "--stop-timeout",
                "10",
                "--csv",
                str(stats_prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env=locust_env,
            timeout=duration + 90,  # bounded: never runs on
            check=False,
            stdout=subprocess.DEVNULL,
        )
        server_cpu_s = _cpu_seconds_of_tree(gunicorn.pid)
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)

    rows = _read_stats(stats_prefix)
    outcomes = json.loads(outcomes_path.read_text()) if outcomes_path.exists() else []
    problems, figures = _verify(outcomes, plan["started_at"])
    print()
    print(f"{'page':<18}{'requests':>9}{'errors':>8}{'rps':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    errors = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        errors += int(row["Failure Count"]) if name == "ALL" else 0
        print(
            f"{name:<18}{row['Request Count']:>9}{row['Failure Count']:>8}{float(row['Requests/s']):>8.1f}"
            f"{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}"
        )
    print()
    print(
        f"Doses logged (seen by locust): {figures['doses_logged']}; in the database: {figures['doses_in_database']}; "
        f"refused as already logged (two people, one dose): {figures['refused_as_already_logged']}"
    )
    total_requests = sum(int(r["Request Count"]) for r in rows if r["Name"] == "Aggregated")
    if total_requests:
        per_request_ms = 1000 * server_cpu_s / total_requests
        print(
            f"gunicorn CPU (PostgreSQL not counted): {server_cpu_s:.1f} s for {total_requests} requests = {per_request_ms:.0f} ms per request "
            f"(at most ~{1000 * (os.cpu_count() or 1) / per_request_ms:.0f} requests/s on {os.cpu_count()} cores "
            f"if nothing else ran); machine load average before the run: {load_before:.1f}"
        )
    for problem in problems:
        print("PROBLEM:", problem)
    ok = errors == 0 and not problems
    print("Result:", "OK, zero errors, nothing lost or doubled" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
