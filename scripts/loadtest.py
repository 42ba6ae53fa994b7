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
3. Runs locust headless, 50 users for 60 s, once per pacing (PACES below): 40 family users
   open a patient's today page, open the log form and log the dose; 10 clinicians open
   their panel and a patient's overview. "daily" paces them as people (reading and
   answering the checks take seconds) and is the phase the p95 goal is judged on; "stress"
   removes the reading time, which saturates the 2 cores and races the shared doses hard.
4. Checks the database: every dose locust saw logged is there exactly once, no slot has two
   injections, and nothing was logged that locust did not see succeed.
5. Prints, per phase, requests per second, p50/p95/p99 per page, errors, and where the CPU
   went (gunicorn, the Celery worker, PostgreSQL, locust), with a calibration figure for the
   machine's speed that day. Exit status 1 on any error, lost or doubled dose.
6. Then, in the same run and on the same server, the CPU per request of logging a dose beside
   the bare page's ("My people", the cheapest signed-in page): CPU_REQUESTS of each, one at a
   time from this script, so the CPU that gunicorn, the worker (the panel summaries a dose
   hands it) and PostgreSQL used in each block is that block's.

A Celery worker runs beside gunicorn (`celery -A companion worker --pool solo`), on the
broker the settings give (Redis when REDIS_URL is set, else the filesystem broker): logging a
dose leaves the panel summary to it (doses/tasks.py), so its CPU is counted, not hidden.

This same file is the locustfile: locust (in .venv-load) imports it for the user classes;
the app's venv runs it as the orchestrator. Neither needs the other's packages.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import resource
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
CPU_REQUESTS = 60  # per block of the CPU comparison (bare page, dose logged); one patient per dose

# --------------------------------------------------------------------------------------
# The locust side (imported by locust; needs only locust).
# --------------------------------------------------------------------------------------
try:
    from locust import HttpUser, between, events, task
except ImportError:  # the orchestrator runs without locust installed
    HttpUser = None

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Two pacings of the same 50 people (LOADTEST_PACE):
# - "daily": people using the app as people do. A family member reads Today (2-5 s), opens
#   the log form and answers the pre-injection checks and picks a spot (5-10 s), logs the
#   dose, lands on Today again, and moves on to the next person they care for (2-5 s). A
#   clinician reads the panel (3-8 s), then a patient's page (3-8 s). Brisk for people:
#   every family logs a dose every ~15 s. This is the phase the p95 goal is judged on.
# - "stress": the same journeys with no reading time and 0.5-1.5 s between them (about
#   ten times the request rate): finds the saturation point and puts the two-people-one-dose
#   race (MISS-NODOUBLE) under pressure. Its latency is queueing on 2 saturated cores.
PACES = {
    # name: (read today, answer the checks, between journeys, clinician reading time)
    "daily": ((2.0, 5.0), (5.0, 10.0), (2.0, 5.0), (3.0, 8.0)),
    "stress": ((0.0, 0.0), (0.0, 0.0), (0.5, 1.5), (1.0, 3.0)),
}

if HttpUser is not None:
    import gevent

    _plan = json.loads(Path(os.environ["LOADTEST_PLAN"]).read_text())
    _families = list(_plan["families"])
    _clinicians = list(_plan["clinicians"])
    _outcomes_path = Path(os.environ["LOADTEST_OUTCOMES"])
    _outcomes: list[dict] = []
    _pace = os.environ.get("LOADTEST_PACE", "daily")
    _read_today, _answer_checks, _between, _clinician_reading = PACES[_pace]

    def _think(bounds: tuple[float, float]) -> None:
        if bounds[1] > 0:
            gevent.sleep(random.uniform(*bounds))

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
        wait_time = between(*_between)

        def on_start(self):
            self.sign_in(_families.pop())
            self.todo = list(self.account["patients"])
            random.shuffle(self.todo)
            # People do not all open the app in the same second: each starts somewhere in
            # the first journey's length (stress pacing starts everyone at once).
            _think((0.0, _read_today[1] + _answer_checks[1]))

        @task
        def log_a_dose(self):
            patient = random.choice(self.account["patients"]) if not self.todo else self.todo.pop()
            pid = patient["id"]
            self.client.get(f"/patients/{pid}/", name="today")
            _think(_read_today)
            form = self.client.get(f"/patients/{pid}/log/", name="log form")
            match = CSRF_RE.search(form.text)
            if not match:
                return
            _think(_answer_checks)
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
                    return
            if _pace == "daily":
                # A browser follows the redirect: Today again, with the "Dose logged" message.
                self.client.get(f"/patients/{pid}/", name="today")

    class Clinician(_SignedIn):
        """A clinician opening the panel and a patient's overview."""

        fixed_count = CLINICIANS
        wait_time = between(*_clinician_reading)

        def on_start(self):
            self.sign_in(_clinicians.pop())
            _think((0.0, _clinician_reading[1]))

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
    from datetime import date, timedelta
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from companion.models import CareMembership, CareRole, Patient, User
    from doses.models import Regimen
    from doses.rules import preparation
    from doses.services import regimens as regimen_services

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
        Patient(display_name=f"Load Patient {i}", date_of_birth=date(1980, 1, 1), time_zone="UTC", indication="RA")
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
    # The CPU comparison's account (not a locust user): caregiver of its own patients, one dose each.
    cpu_user = User.objects.create(email="cpu@load.test", full_name="CPU Family", password=hashed)
    cpu_patients = Patient.objects.bulk_create(
        Patient(display_name=f"CPU Patient {i}", date_of_birth=date(1980, 1, 1), time_zone="UTC", indication="RA")
        for i in range(CPU_REQUESTS)
    )
    memberships += [CareMembership(patient=p, user=cpu_user, role=CareRole.CAREGIVER) for p in cpu_patients]
    # ... and on a clinician's panel, so their summaries are the panel's like everyone's.
    memberships += [CareMembership(patient=p, user=clinicians[0], role=CareRole.CLINICIAN) for p in cpu_patients]
    CareMembership.objects.bulk_create(memberships)
    prescriber = clinicians[0]
    for patient in patients + cpu_patients:
        regimen_services.create_regimen_version(
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
    from doses.services import summaries as summary_services

    summary_services.refresh_adherence_summaries(now=now)  # the panel's rows, as the 15-minute job keeps them
    plan = {
        "families": plan_families,
        "clinicians": plan_clinicians,
        "cpu": {"session": session_for(cpu_user), "patients": [p.pk for p in cpu_patients]},
        "prep_keys": [check.key for check in preparation.PREP_CHECKS],
        "started_at": now.isoformat(),
    }
    plan_path.write_text(json.dumps(plan))
    return plan


def _verify(outcomes: list[dict], started_at: str, *, not_locust: set[int] = frozenset()) -> tuple[list[str], dict]:
    """Every dose locust saw logged is in the database exactly once; nothing else was logged."""
    from collections import Counter
    from datetime import datetime

    from django.db.models import Count

    from doses.models import Injection

    since = datetime.fromisoformat(started_at)
    problems = []
    seen = Counter(o["patient"] for o in outcomes if o["logged"])
    stored = Counter(
        Injection.objects.filter(logged_at__gte=since)
        .exclude(patient_id__in=not_locust)  # the CPU comparison's doses, checked by their status codes
        .values_list("patient_id", flat=True)
        .iterator()
    )
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


def _read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv") as f:
        return list(csv.DictReader(f))


def _calibration_ms() -> float:
    """A fixed pure-Python workload (median of 5): how fast this machine is right now.

    Shared machines vary from day to day; this lets two runs' latencies be compared.
    """
    import statistics

    times = []
    for _ in range(5):
        started = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def _warm_up(port: int, plan: dict, rounds: int = 3) -> None:
    """Each page a few times per worker before measuring, as a server that has been up a while.

    A fresh worker compiles templates and opens its database connection on its first
    requests; that is start-up, not what 50 people see from a running server.
    """
    from concurrent.futures import ThreadPoolExecutor
    from urllib.request import Request, urlopen

    family, clinician = plan["families"][0], plan["clinicians"][0]
    pid = family["patients"][0]["id"]
    pages = [(family, f"/patients/{pid}/"), (family, f"/patients/{pid}/log/"), (clinician, "/panel/")]
    pages.append((clinician, f"/patients/{clinician['patients'][0]['id']}/overview/"))

    def fetch(item):
        account, path = item
        request = Request(f"http://{HOST}:{port}{path}", headers={"Cookie": f"sessionid={account['session']}"})
        with urlopen(request, timeout=30) as response:
            response.read()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(fetch, pages * rounds * 4))


def _cpu_per_request(port: int, plan: dict, *, gunicorn_pid: int, worker_pid: int | None, settle_s: float) -> dict:
    """The CPU of one request, for the bare page and for logging a dose, measured in turn.

    CPU_REQUESTS of each, one at a time (nothing else is running: locust has stopped), so the
    CPU gunicorn used during a block is that block's; the CPU per request is the block's over
    its count. After the doses, the worker is given `settle_s` to run the summary refreshes
    they published (a few seconds' countdown), and its CPU is counted beside them.
    """
    from http.cookies import SimpleCookie
    from urllib.parse import urlencode
    from urllib.request import HTTPRedirectHandler, Request, build_opener

    class _NoRedirect(HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # a logged dose answers 302: counted as such, not followed

    from companion.cpu_time import cpu_seconds_of_postgres, cpu_seconds_of_tree

    cpu = plan["cpu"]
    opener = build_opener(_NoRedirect)
    base = f"http://{HOST}:{port}"
    cookies = {"sessionid": cpu["session"]}

    def fetch(path, data=None):
        body = urlencode(data).encode() if data is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if data is not None:
            headers["Referer"] = f"{base}{path}"
        try:
            with opener.open(Request(f"{base}{path}", data=body, headers=headers), timeout=30) as response:
                for header in response.headers.get_all("Set-Cookie") or []:
                    cookies.update({k: m.value for k, m in SimpleCookie(header).items() if k == "csrftoken"})
                return response.status, response.read().decode()
        except Exception as exc:  # urllib raises on 3xx when redirects are not followed
            code = getattr(exc, "code", None)
            if code is None:
                raise
            return code, ""

    patients = cpu["patients"]
    status, page = fetch(f"/patients/{patients[0]}/log/")  # the CSRF cookie and token for every POST
    token = CSRF_RE.search(page).group(1)
    assert "csrftoken" in cookies, "the log form set no CSRF cookie"
    for _ in range(3):
        fetch("/people/")  # warm: the bare page's template compiled in whichever worker serves it

    def block(requests) -> dict:
        server, worker, postgres = cpu_seconds_of_tree(gunicorn_pid), _worker_cpu(worker_pid), cpu_seconds_of_postgres()
        started = time.monotonic()
        statuses = [fetch(*request)[0] for request in requests]
        wall = time.monotonic() - started
        server = cpu_seconds_of_tree(gunicorn_pid) - server
        postgres_now = cpu_seconds_of_postgres() - postgres
        return {"statuses": statuses, "server": server, "postgres": postgres_now, "worker_before": worker, "wall": wall, "postgres_before": postgres}

    bare = block([("/people/",)] * len(patients))
    dose_body = {
        "csrfmiddlewaretoken": token,
        "taken_at": time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - 60)),
        "dose_mg": "100",
        "injected_by": "other",
        "site_spot": "abdomen-left-1",
        "notes": "",
        **{f"prep_{key}": "yes" for key in plan["prep_keys"]},
    }
    doses = block([(f"/patients/{pid}/log/", dose_body) for pid in patients])
    time.sleep(settle_s)  # the refreshes' countdown, then the worker's run
    doses["worker"] = _worker_cpu(worker_pid) - doses["worker_before"]
    doses["postgres_with_worker"] = cpu_seconds_of_postgres() - doses["postgres_before"]
    bare["worker"] = 0.0
    return {"bare": bare, "dose": doses, "count": len(patients)}


def _worker_cpu(pid: int | None) -> float:
    from companion.cpu_time import cpu_seconds_of_tree

    return cpu_seconds_of_tree(pid) if pid else 0.0


def _wait_until_idle(pid: int | None, *, quiet_s: float = 2.0, limit_s: float = 90.0) -> None:
    """Until the worker has booted (Django imported, connected): its CPU still for `quiet_s`,
    so its start-up is not counted in the first phase."""
    if not pid:
        return
    deadline, last, still_since = time.monotonic() + limit_s, -1.0, time.monotonic()
    while time.monotonic() < deadline:
        used = _worker_cpu(pid)
        if used != last:
            last, still_since = used, time.monotonic()
        elif used > 0 and time.monotonic() - still_since >= quiet_s:
            return
        time.sleep(0.25)


def _report_cpu(cpu: dict) -> list[str]:
    """Print the CPU comparison; return its problems (a dose not logged, a bare page not 200)."""
    n = cpu["count"]
    bare, dose = cpu["bare"], cpu["dose"]
    print()
    print(f"CPU PER REQUEST (same run, same server; {n} requests each, one at a time)")
    print(f"{'request':<26}{'gunicorn ms':>12}{'worker ms':>11}{'PostgreSQL ms':>15}{'wall ms':>9}{'x bare':>8}")
    for name, figures in (("bare page (My people)", bare), ("log dose (POST)", dose)):
        per = 1000 * figures["server"] / n
        print(
            f"{name:<26}{per:>12.1f}{1000 * figures['worker'] / n:>11.1f}"
            f"{1000 * figures.get('postgres_with_worker', figures['postgres']) / n:>15.1f}"
            f"{1000 * figures['wall'] / n:>9.1f}{per / max(1000 * bare['server'] / n, 0.001):>8.1f}"
        )
    print(
        "(gunicorn: the request; worker: the panel summary refreshes those doses handed it, run after their "
        "countdown; PostgreSQL: all databases, worker included; /proc counts CPU in 10 ms ticks)"
    )
    problems = []
    if any(code != 200 for code in bare["statuses"]):
        problems.append(f"bare page answered {sorted(set(bare['statuses']))}")
    if any(code != 302 for code in dose["statuses"]):
        problems.append(f"CPU block: {sum(code != 302 for code in dose['statuses'])} dose(s) not logged ({sorted(set(dose['statuses']))})")
    return problems


def _run_phase(pace: str, *, locust: str, port: int, duration: int, env: dict, work: Path, gunicorn_pid: int, worker_pid: int | None = None) -> dict:
    """One locust run of `duration` seconds at one pacing; returns its figures."""
    # Imported here like the orchestrator's other app imports: locust imports this file without
    # the app's packages, and ROOT is on sys.path only once main() has run.
    from companion.cpu_time import cpu_seconds_of_postgres, cpu_seconds_of_tree

    outcomes_path, stats_prefix = work / f"outcomes-{pace}.json", work / f"locust-{pace}"
    locust_env = {k: v for k, v in env.items() if k not in ("DJANGO_SETTINGS_MODULE",)} | {
        "LOADTEST_PLAN": str(work / "plan.json"),
        "LOADTEST_OUTCOMES": str(outcomes_path),
        "LOADTEST_PACE": pace,
    }
    server_cpu_before = cpu_seconds_of_tree(gunicorn_pid)
    worker_cpu_before = _worker_cpu(worker_pid)
    postgres_cpu_before = cpu_seconds_of_postgres()
    locust_cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"Running locust, {pace} pacing: {USERS} users, {duration} s, against http://{HOST}:{port}")
    subprocess.run(
        [
            locust,
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
            "30",  # longer than any journey: a user is never cut off between its POST and recording it
            "--csv",
            str(stats_prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=locust_env,
        timeout=duration + 120,  # bounded: never runs on
        check=False,
        stdout=subprocess.DEVNULL,
    )
    locust_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "pace": pace,
        "rows": _read_stats(stats_prefix),
        "outcomes": json.loads(outcomes_path.read_text()) if outcomes_path.exists() else [],
        "server_cpu_s": cpu_seconds_of_tree(gunicorn_pid) - server_cpu_before,
        "worker_cpu_s": _worker_cpu(worker_pid) - worker_cpu_before,
        "postgres_cpu_s": cpu_seconds_of_postgres() - postgres_cpu_before,
        "locust_cpu_s": (locust_cpu.ru_utime + locust_cpu.ru_stime)
        - (locust_cpu_before.ru_utime + locust_cpu_before.ru_stime),
        "duration": duration,
    }


GOAL_P95_MS = 300
DAILY_LOG_PAGES = ("today", "log form", "log dose")


def _report_phase(phase: dict) -> tuple[int, bool | None]:
    """Print one phase's table; return its error count and whether the p95 goal held (daily pacing only)."""
    print()
    print(f"{phase['pace'].upper()} PACING")
    print(f"{'page':<18}{'requests':>9}{'errors':>8}{'rps':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    errors = 0
    worst_p95 = 0
    for row in phase["rows"]:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        if name == "ALL":
            errors += int(row["Failure Count"])
        elif name in DAILY_LOG_PAGES and row["95%"] not in ("", "N/A"):
            worst_p95 = max(worst_p95, int(float(row["95%"])))
        print(
            f"{name:<18}{row['Request Count']:>9}{row['Failure Count']:>8}{float(row['Requests/s']):>8.1f}"
            f"{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}"
        )
    total_requests = sum(int(r["Request Count"]) for r in phase["rows"] if r["Name"] == "Aggregated")
    logged = sum(1 for o in phase["outcomes"] if o["logged"])
    refused = sum(1 for o in phase["outcomes"] if not o["logged"])
    print(f"Doses logged: {logged}; refused as already logged by the other family member (MISS-NODOUBLE): {refused}")
    if total_requests:
        cores = os.cpu_count() or 1
        print(
            f"CPU: gunicorn {phase['server_cpu_s']:.1f} s = {1000 * phase['server_cpu_s'] / total_requests:.0f} ms per request; "
            f"Celery worker {phase['worker_cpu_s']:.1f} s; "
            f"PostgreSQL {phase['postgres_cpu_s']:.1f} s (all databases); locust {phase['locust_cpu_s']:.1f} s; "
            f"of {cores * phase['duration']} CPU-seconds on {cores} cores"
        )
    met = None
    if phase["pace"] == "daily":
        met = worst_p95 < GOAL_P95_MS and errors == 0
        print(
            f"Goal, p95 under {GOAL_P95_MS} ms for the daily log ({', '.join(DAILY_LOG_PAGES)}): "
            f"worst p95 {worst_p95} ms, {'MET' if met else 'NOT MET'}"
        )
    return errors, met


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locust", default=str(ROOT / ".venv-load" / "bin" / "locust"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")))
    parser.add_argument("--duration", type=int, default=DURATION_S, help="seconds per phase, at most 60")
    parser.add_argument(
        "--paces", default="daily,stress", help="comma-separated phases, in order: daily, stress (default both)"
    )
    parser.add_argument(
        "--no-worker", action="store_true", help="no Celery worker: the panel summaries wait for the panel's own check"
    )
    args = parser.parse_args()
    duration = max(5, min(args.duration, DURATION_S))
    paces = [p.strip() for p in args.paces.split(",") if p.strip()]
    if not paces or any(p not in PACES for p in paces):
        raise SystemExit(f"--paces takes a comma-separated list of: {', '.join(PACES)}")
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
    started = time.monotonic()
    plan = _seed(work / "plan.json")
    print(
        f"Seeded {len(plan['families'])} family and {len(plan['clinicians'])} clinician accounts in {time.monotonic() - started:.0f} s"
    )
    print(
        f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"calibration (sum of 10^6 squares in Python) {_calibration_ms():.0f} ms"
    )

    port = _free_port()
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "companion.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(args.workers),
            # The app is imported once, before the workers fork: as in the README's deployment.
            "--preload",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    worker = None
    if not args.no_worker:
        worker = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("celery")),
                "-A",
                "companion",
                "worker",
                "--pool",
                "solo",  # one process: its CPU is the refreshes' (no beat: the periodic jobs are not measured)
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
    phases = []
    cpu = None
    try:
        for _ in range(100):
            try:
                socket.create_connection((HOST, port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        _warm_up(port, plan)
        _wait_until_idle(worker.pid if worker else None)
        for pace in paces:
            phases.append(
                _run_phase(
                    pace,
                    locust=args.locust,
                    port=port,
                    duration=duration,
                    env=env,
                    work=work,
                    gunicorn_pid=gunicorn.pid,
                    worker_pid=worker.pid if worker else None,
                )
            )
        from doses.services.summaries import COALESCE_SECONDS

        time.sleep(COALESCE_SECONDS + 2)  # the phases' last refreshes, before the CPU blocks
        cpu = _cpu_per_request(
            port,
            plan,
            gunicorn_pid=gunicorn.pid,
            worker_pid=worker.pid if worker else None,
            settle_s=COALESCE_SECONDS + 5,
        )
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)

    errors = 0
    goal_met = None
    for phase in phases:
        phase_errors, met = _report_phase(phase)
        errors += phase_errors
        goal_met = met if met is not None else goal_met
    outcomes = [o for phase in phases for o in phase["outcomes"]]
    problems, figures = _verify(outcomes, plan["started_at"], not_locust=set(plan["cpu"]["patients"]))
    if cpu is not None:
        problems += _report_cpu(cpu)
    print()
    print(
        f"All phases: doses logged (seen by locust) {figures['doses_logged']}; in the database {figures['doses_in_database']}; "
        f"refused as already logged {figures['refused_as_already_logged']}"
    )
    for problem in problems:
        print("PROBLEM:", problem)
    ok = errors == 0 and not problems
    print("Result:", "OK, zero errors, nothing lost or doubled" if ok else "FAILED")
    if goal_met is not None:
        print(f"Latency goal (daily pacing, p95 < {GOAL_P95_MS} ms): {'MET' if goal_met else 'NOT MET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
