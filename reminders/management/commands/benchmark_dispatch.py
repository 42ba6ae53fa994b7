"""Benchmark one dispatch tick: N patients with a slot due in the same minute.

    manage.py benchmark_dispatch --patients 10000            # on the configured DB and broker
    manage.py benchmark_dispatch --patients 10000 --no-publish   # stop at the broker's door

Creates the patients in bulk, then times one tick end to end (find due slots, create
one Delivery per recipient, stamp and publish send_delivery messages) and prints the
queries issued and deliveries queued per second. The benchmark rows are deleted at the end
(--keep keeps them); --purge empties the broker's default queue afterwards.
"""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from companion.models import CareMembership, CareRole, Indication, Patient, User
from doses.models import DoseSlot, Regimen
from reminders import dispatch
from reminders.models import Delivery

EMAIL_DOMAIN = "bench.invalid"


@transaction.atomic
def create_due_patients(count: int, slot_at: datetime, *, prefix: str = "bench") -> list[int]:
    """`count` patients, each their own self-managing user, each with one slot at `slot_at`."""
    users = User.objects.bulk_create(
        [
            User(email=f"{prefix}-{index}@{EMAIL_DOMAIN}", full_name=f"Bench {index}", password="!")
            for index in range(count)
        ],
        batch_size=2000,
    )
    patients = Patient.objects.bulk_create(
        [
            Patient(
                display_name=f"Bench {index}",
                date_of_birth=datetime(1980, 1, 1).date(),
                time_zone="UTC",
                indication=Indication.RHEUMATOID_ARTHRITIS,
                account=user,
            )
            for index, user in enumerate(users)
        ],
        batch_size=2000,
    )
    CareMembership.objects.bulk_create(
        [CareMembership(patient=p, user=u, role=CareRole.SELF) for p, u in zip(patients, users, strict=True)],
        batch_size=2000,
    )
    day = slot_at.date()
    regimens = Regimen.objects.bulk_create(
        [
            Regimen(
                patient=p,
                version=1,
                dose_basis=Regimen.DoseBasis.FIXED_ADULT,
                daily_dose_mg=Decimal("100"),
                times_of_day=[slot_at.strftime("%H:%M")],
                starts_on=day,
                status=Regimen.Status.CONFIRMED,
            )
            for p in patients
        ],
        batch_size=2000,
    )
    DoseSlot.objects.bulk_create(
        [
            DoseSlot(patient=r.patient, regimen=r, scheduled_at=slot_at, local_date=day, dose_mg=Decimal("100"))
            for r in regimens
        ],
        batch_size=2000,
    )
    return [p.pk for p in patients]


def delete_due_patients(patient_ids: list[int], *, prefix: str, chunk: int = 5000) -> None:
    """Delete what create_due_patients made (their deliveries too), a chunk of patients per transaction.

    The record's post_delete signals make Django load each row it deletes, so chunks keep the
    memory of a 100,000-patient benchmark bounded.
    """
    for start in range(0, len(patient_ids), chunk):
        ids = patient_ids[start : start + chunk]
        with transaction.atomic():
            accounts = list(Patient.objects.filter(pk__in=ids).values_list("account_id", flat=True))
            Delivery.objects.filter(patient_id__in=ids).delete()
            Patient.objects.filter(pk__in=ids).delete()
            User.objects.filter(pk__in=accounts, email__endswith=EMAIL_DOMAIN).delete()
    User.objects.filter(email__startswith=f"{prefix}-", email__endswith=EMAIL_DOMAIN).delete()


class Command(BaseCommand):
    help = "Time one dispatch tick for N patients with a slot due in the same minute."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=10_000)
        parser.add_argument("--no-publish", action="store_true", help="Do not hand messages to the broker.")
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark rows afterwards.")
        parser.add_argument("--purge", action="store_true", help="Empty the broker's default queue afterwards.")

    def handle(self, *args, patients, no_publish, keep, purge, **options):
        now = timezone.now().replace(second=30, microsecond=0)
        slot_at = now.replace(second=0)
        self.stdout.write(
            f"Database: {connection.vendor}; creating {patients} patients with a slot at {slot_at:%H:%M} UTC…"
        )
        started = time.perf_counter()
        prefix = f"bench{int(time.time())}"
        patient_ids = create_due_patients(patients, slot_at, prefix=prefix)
        self.stdout.write(f"  created in {time.perf_counter() - started:.1f} s")

        original_publish = dispatch.publish_send_tasks
        publish_seconds = []

        def timed_publish(ids, now=None):
            started = time.perf_counter()
            try:
                return len(ids) if no_publish else original_publish(ids, now=now)  # --no-publish: count, send nothing
            finally:
                publish_seconds.append(time.perf_counter() - started)

        dispatch.publish_send_tasks = timed_publish
        try:
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                created = dispatch.queue_injection_reminders(now)
                planned = time.perf_counter() - started
                enqueued = dispatch.enqueue_ready_deliveries(now)
                elapsed = time.perf_counter() - started
        finally:
            dispatch.publish_send_tasks = original_publish
        mine = Delivery.objects.filter(patient_id__in=patient_ids).count()
        self.stdout.write(
            "\n".join(
                [
                    f"Tick for {patients} patients:",
                    f"  deliveries created:        {mine} ({created} planned)",
                    f"  send tasks published:      {enqueued}{' (publishing skipped)' if no_publish else ''}",
                    f"  queries issued:            {len(queries)}",
                    f"  find + create deliveries:  {planned:.2f} s",
                    f"  publish to the broker:     {sum(publish_seconds):.2f} s",
                    f"  whole tick (with publish): {elapsed:.2f} s",
                    f"  deliveries queued per s:   {mine / elapsed:,.0f}",
                ]
            )
        )
        if not keep:
            delete_due_patients(patient_ids, prefix=prefix)
            self.stdout.write("Benchmark rows deleted.")
        if purge and not no_publish:
            from companion.celery import app

            self.stdout.write(f"Purged {app.control.purge()} messages from the broker.")
