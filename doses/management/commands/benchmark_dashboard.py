"""Benchmark the clinician panel and the patient page against a bare signed-in page.

    manage.py benchmark_dashboard                       # 1,000 patients x 365 days, 7 requests each
    manage.py benchmark_dashboard --patients 200 --days 365 --repeat 11

Seeds the synthetic panel with seed_demo's `seed_synthetic_patients` (only the patients
still missing, so a second run starts at once), refreshes every patient's adherence
summary (what the 15-minute job does; timed), then requests each page through
Django's test Client in this process: the whole server path (middleware, sessions,
the audit trail, queries, templates, the cache) without a network. Each page is timed
twice: warm (its cached fragments filled by an earlier request: a second look at a
page nobody has written to since) and cold (a new record version and a new panel
version before each request: the first look after a write such as a dose logged). Prints, per page and state, the median server time of
`--repeat` requests (after one warm-up; pages are requested in turn, so load from
other processes falls on all of them alike), the query count and the ratio to the bare
page, as a Markdown table for the README. The bare page is "My people" for the demo
clinician (two patients): a signed-in page of the same app with the same middleware
and almost no work.

Run it on PostgreSQL (DATABASE_URL=postgres://...; REDIS_URL for the cache the site
uses); it writes to that database.
"""

from __future__ import annotations

import random
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from companion.models import User
from doses import record_version
from doses.management.commands.seed_demo import (
    SYNTHETIC_CLINICIAN,
    seed_demo_circle,
    seed_synthetic_patients,
)
from doses.selectors import panel as panel_selectors
from doses.services import summaries as summary_services

WARM_GOAL = 2.0  # x the bare page, fragments cached
COLD_GOAL = 5.0  # x the bare page, a new record version before each request


class Command(BaseCommand):
    help = "Seed a large synthetic panel and time the panel and patient page against a bare page."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=1000)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--repeat", type=int, default=7, help="Timed requests per page (median reported).")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, patients, days, repeat, seed, **options):
        if repeat < 1:
            self.stderr.write("--repeat must be at least 1.")
            return
        self.stdout.write(f"Database: {connection.vendor} ({connection.settings_dict.get('NAME')})")
        seed_demo_circle()
        started = time.perf_counter()
        created = seed_synthetic_patients(count=patients, days=days, rng=random.Random(seed))
        self.stdout.write(
            f"Seeded {created} new synthetic patients ({patients} wanted, {days} days each) "
            f"in {time.perf_counter() - started:.1f} s."
        )
        clinician = User.objects.get(email=SYNTHETIC_CLINICIAN)
        in_panel = panel_selectors.clinician_patients(clinician).count()
        # The panel reads summary rows: compute them all now, as the 15-minute job does
        # (a database seeded before summaries existed has none), and report its cost.
        started = time.perf_counter()
        refreshed = summary_services.refresh_adherence_summaries()
        self.stdout.write(
            f"Refreshed {refreshed} adherence summaries (the periodic job) in {time.perf_counter() - started:.1f} s."
        )
        first = panel_selectors.panel_rows(clinician).rows[0].patient
        today = first.local_today()
        year_ago = today.replace(year=today.year - 1) if not (today.month == 2 and today.day == 29) else today
        bare_user = User.objects.get(email="carol@demo.example")

        pages = [
            ("Bare page: My people (demo clinician)", bare_user, reverse("patients"), {}),
            (f"Panel, needs attention first ({in_panel} patients)", clinician, reverse("doses:panel"), {}),
            ("Panel, page 2, sorted by name", clinician, reverse("doses:panel"), {"sort": "name", "page": 2}),
            ("Panel, sorted by days covered (PDC)", clinician, reverse("doses:panel"), {"sort": "pdc"}),
            (
                "Panel, children with low adherence",
                clinician,
                reverse("doses:panel"),
                {"age": "child", "flag": "low_adherence"},
            ),
            ("Patient page, last 90 days", clinician, reverse("doses:patient", args=[first.pk]), {}),
            (
                "Patient page, one year",
                clinician,
                reverse("doses:patient", args=[first.pk]),
                {"start": str(year_ago), "end": str(today)},
            ),
            ("FHIR export, last 90 days", clinician, reverse("doses:export_fhir", args=[first.pk]), {}),
        ]
        clients = []
        for label, user, url, query in pages:
            client = Client()
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            response = client.get(url, query)  # warm-up: connection, template cache, fragments
            if response.status_code != 200:
                self.stderr.write(f"{label}: HTTP {response.status_code}")
                return
            clients.append((client, user))

        def request(index: int, cold: bool) -> tuple[float, int]:
            client, user = clients[index]
            _label, _user, url, query = pages[index]
            if cold:
                # As after a write to the record that changes the patient's summary (a dose logged):
                # a new record version and a new panel version, so no fragment is cached.
                # (Not cache.clear(): on Redis that would empty the whole database, the broker's too.)
                record_version.record_changed([first.pk], panel=True)
            reset_queries()  # the request_started signal clears the log; start from empty
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                client.get(url, query)
                elapsed = (time.perf_counter() - started) * 1000
            return elapsed, len(captured.captured_queries)

        # Round-robin, so that load from anything else on the machine falls on every page alike.
        states = ("warm", "cold")
        timings = {(i, state): [] for i in range(len(pages)) for state in states}
        counts = {}
        for _ in range(repeat):
            for index in range(len(pages)):
                for state in states:
                    if state == "warm":
                        request(index, cold=False)  # fill what the cold request before emptied
                    elapsed, count = request(index, cold=state == "cold")
                    timings[(index, state)].append(elapsed)
                    counts[(index, state)] = count

        bare_ms = statistics.median(timings[(0, "warm")])
        self.stdout.write("")
        self.stdout.write("| Page | Warm ms | Queries | × bare | Cold ms | Queries | × bare |")
        self.stdout.write("|---|---:|---:|---:|---:|---:|---:|")
        worst = {state: (0.0, "") for state in states}
        for index, (label, *_rest) in enumerate(pages):
            cells = []
            for state in states:
                ms = statistics.median(timings[(index, state)])
                ratio = ms / bare_ms
                cells += [f"{ms:.1f}", str(counts[(index, state)]), f"{ratio:.2f}"]
                if label.startswith(("Panel", "Patient page")) and ratio > worst[state][0]:
                    worst[state] = (ratio, label)
            self.stdout.write(f"| {label} | " + " | ".join(cells) + " |")
        self.stdout.write("")
        for state, goal in (("warm", WARM_GOAL), ("cold", COLD_GOAL)):
            ratio, label = worst[state]
            verdict = "met" if ratio <= goal else "NOT met"
            self.stdout.write(
                f"Goal, {state} (every panel and patient page within {goal:g}x the bare page): {verdict} "
                f"(slowest: {label}, {ratio:.2f}x)."
            )
        self.stdout.write(
            "Query counts do not depend on the number of patients or days (tests/doses/views/test_dashboard_queries.py)."
        )
