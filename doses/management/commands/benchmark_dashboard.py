"""Benchmark the clinician panel and the patient page against a bare signed-in page.

    manage.py benchmark_dashboard                       # 1,000 patients x 365 days, 7 requests each
    manage.py benchmark_dashboard --patients 200 --days 90 --repeat 11

Seeds the synthetic panel with seed_demo's `seed_synthetic_patients` (only the patients
still missing, so a second run starts at once), refreshes every patient's adherence
summary (what the 15-minute job does; timed), then requests each page through
Django's test Client in this process: the whole server path (middleware, sessions,
the audit trail, queries, templates) without a network. Prints, per page, the median
server time of `--repeat` requests (after one warm-up; pages are requested in turn,
so load from other processes falls on all of them alike), the query count and the ratio
to the bare page, as a Markdown table for the README. The bare page is "My people" for the demo clinician (two patients):
a signed-in page of the same app with the same middleware and almost no work.

Run it on PostgreSQL (DATABASE_URL=postgres://...); it writes to that database.
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
from doses.management.commands.seed_demo import (
    SYNTHETIC_CLINICIAN,
    seed_demo_circle,
    seed_synthetic_patients,
)
from doses.selectors import panel as panel_selectors
from doses.services import summaries as summary_services

GOAL_RATIO = 3.0


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
            ("Panel, needs attention first (demo clinician, 2)", bare_user, reverse("doses:panel"), {}),
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
        clients, query_counts = [], []
        for label, user, url, query in pages:
            client = Client()
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            response = client.get(url, query)  # warm-up: connection, template cache
            if response.status_code != 200:
                self.stderr.write(f"{label}: HTTP {response.status_code}")
                return
            reset_queries()  # the request_started signal clears the log; start from empty
            with CaptureQueriesContext(connection) as captured:
                client.get(url, query)
            clients.append(client)
            query_counts.append(len(captured.captured_queries))
        # Round-robin, so that load from anything else on the machine falls on every page alike.
        timings: list[list[float]] = [[] for _ in pages]
        for _ in range(repeat):
            for index, (_label, _user, url, query) in enumerate(pages):
                started = time.perf_counter()
                clients[index].get(url, query)
                timings[index].append((time.perf_counter() - started) * 1000)
        results = [
            (label, statistics.median(times), count)
            for (label, *_rest), times, count in zip(pages, timings, query_counts, strict=True)
        ]

        bare_ms = results[0][1]
        self.stdout.write("")
        self.stdout.write("| Page | Median ms | Queries | × bare |")
        self.stdout.write("|---|---:|---:|---:|")
        for label, median_ms, queries in results:
            self.stdout.write(f"| {label} | {median_ms:.1f} | {queries} | {median_ms / bare_ms:.2f} |")
        self.stdout.write("")
        goal_pages = [(label, ms / bare_ms) for label, ms, _q in results if label.startswith(("Panel", "Patient page"))]
        worst_label, worst = max(goal_pages, key=lambda item: item[1])
        verdict = "met" if worst <= GOAL_RATIO else "NOT met"
        self.stdout.write(
            f"Goal (every panel and patient page within {GOAL_RATIO:g}x the bare page): {verdict} "
            f"(slowest: {worst_label}, {worst:.2f}x). "
            "Query counts do not depend on the number of patients or days "
            "(tests/doses/test_dashboard_queries.py)."
        )
