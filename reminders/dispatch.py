"""What is due, for whom, at a moment: plain functions the periodic tasks call.

Every function here does one unit of work for one moment `now` and is safe to repeat:
deliveries are created with bulk_create(ignore_conflicts=True) against the unique
(kind, recipient, subject_key) constraint, so a second tick or a second worker creates
nothing new. The number of queries does not grow with the number of patients.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Mod
from django.db.models.lookups import Exact
from django.utils import timezone

from companion.celery import app
from companion.models import CareMembership, Patient
from doses import record_version, schedule
from doses.models import CareAlert, DoseSlot, FridgeSyringe, LabTest, Regimen, SlotStatus, SupplyEvent
from doses.rules import regimen_review, syringe_supply
from doses.selectors import supply as supply_selectors
from doses.services.holds import covering_hold

from .models import KIND_ROLES, Delivery, JobRun, Kind, NotificationPreference, wants
from .subjects import preference_of, with_preferences

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Due:
    """Something one patient's circle should hear about."""

    patient_id: int
    subject_key: str
    bypass_quiet_hours: bool = False


@dataclass(frozen=True)
class Recipient:
    user_id: int
    role: str
    zone: str  # for quiet hours: the member's own zone, else the patient's
    preference: NotificationPreference | None


# ---------------------------------------------------------------------------
# Who
# ---------------------------------------------------------------------------


def recipients_for(kind: str, patient_ids: QuerySet | Iterable[int]) -> dict[int, list[Recipient]]:
    """Active, opted-in members of each patient's circle who receive `kind`. One query."""
    rows = with_preferences(
        CareMembership.objects.active()
        .filter(receives_reminders=True, role__in=KIND_ROLES[kind], patient_id__in=patient_ids)
        .values("id", "patient_id", "user_id", "role", "patient__time_zone", "user__is_active", "user__email")
    )
    found: dict[int, list[Recipient]] = defaultdict(list)
    for row in rows:
        if not row["user__is_active"] or not row["user__email"]:
            continue
        preference = preference_of(row)
        if not wants(kind, row["role"], preference):
            continue
        zone = (preference.time_zone if preference else "") or row["patient__time_zone"]
        found[row["patient_id"]].append(Recipient(row["user_id"], row["role"], zone, preference))
    return found


def create_deliveries(kind: str, due: list[Due], patient_ids, now: datetime) -> int:
    """Create one queued Delivery per due thing and recipient; existing ones are left alone.

    Quiet hours defer (not_before), never drop; AE-SERIOUS alerts bypass them.
    """
    if not due:
        return 0
    recipients = recipients_for(kind, patient_ids)
    rows = []
    for item in due:
        for person in recipients.get(item.patient_id, ()):
            not_before = None
            if not item.bypass_quiet_hours and person.preference is not None:
                not_before = person.preference.quiet_until(now, person.zone)
            rows.append(
                Delivery(
                    kind=kind,
                    patient_id=item.patient_id,
                    recipient_id=person.user_id,
                    subject_key=item.subject_key,
                    not_before=not_before,
                    bypass_quiet_hours=item.bypass_quiet_hours,
                    created_at=now,
                )
            )
    # The unique constraint is the claim: a conflicting row already exists and is kept.
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# ---------------------------------------------------------------------------
# Which slots, at a moment
# ---------------------------------------------------------------------------


def catch_up() -> timedelta:
    return timedelta(minutes=settings.REMINDER_CATCH_UP_MINUTES)


@dataclass(frozen=True)
class Shard:
    """Part `index` of `count` of the patients, by patient id: one worker's share of the minute
    tick at the 08:00 peak (tasks.dispatch_due_reminders fans out one task per shard)."""

    index: int
    count: int

    def patients(self, field: str = "patient_id") -> Q:
        return Exact(Mod(F(field), self.count), self.index)

    def deliveries(self) -> Q:
        # Account e-mail has no patient: the first shard hands it over.
        mine = self.patients()
        return (mine | Q(patient_id__isnull=True)) if self.index == 0 else mine


EVERYONE = None  # no shard: the whole tick in one task


def _in(slots: QuerySet[DoseSlot], shard: Shard | None) -> QuerySet[DoseSlot]:
    return slots if shard is None else slots.filter(shard.patients())


def slots_due_for_reminder(now: datetime, shard: Shard | None = EVERYONE) -> QuerySet[DoseSlot]:
    """Pending slots whose time has come (SCHED-DAILY), within the catch-up span so a
    worker that was down sends what it missed, but not reminders from days ago."""
    slots = DoseSlot.objects.filter(
        status=SlotStatus.PENDING, scheduled_at__lte=now, scheduled_at__gt=now - catch_up()
    ).exclude(covering_hold())  # on hold: no injection reminder, even before the pull job runs
    return _in(slots, shard)


def slots_due_for_escalation(now: datetime, shard: Shard | None = EVERYONE) -> QuerySet[DoseSlot]:
    """Pending slots ESCALATE_AFTER_MINUTES past their time whose window is still open
    (doses.schedule): the caregivers hear of it. After the cut-off the missed-dose note takes over."""
    late = now - timedelta(minutes=settings.ESCALATE_AFTER_MINUTES)
    candidates = DoseSlot.objects.filter(
        status=SlotStatus.PENDING, scheduled_at__lte=late, scheduled_at__gt=late - catch_up()
    ).exclude(covering_hold())  # on hold: no escalation
    return DoseSlot.objects.filter(pk__in=schedule.slots_still_open(_in(candidates, shard), now))


def queue_slot_deliveries(kind: str, slots: QuerySet[DoseSlot], now: datetime) -> int:
    due = [Due(patient_id, f"slot:{slot_id}") for slot_id, patient_id in slots.values_list("id", "patient_id")]
    return create_deliveries(kind, due, slots.values("patient_id"), now)


def queue_injection_reminders(now: datetime, shard: Shard | None = EVERYONE) -> int:
    return queue_slot_deliveries(Kind.INJECTION_REMINDER, slots_due_for_reminder(now, shard), now)


def queue_escalations(now: datetime, shard: Shard | None = EVERYONE) -> int:
    return queue_slot_deliveries(Kind.ESCALATION, slots_due_for_escalation(now, shard), now)


# ---------------------------------------------------------------------------
# Missed doses (MISS-SKIP)
# ---------------------------------------------------------------------------


def slots_past_cutoff(now: datetime) -> list[int]:
    """Pending slots whose dose window has closed (MISS-SKIP), for every patient at once.

    The window comes from doses.schedule, computed from each patient's regimen versions in
    Python: the same window Today and the log use, in a fixed number of queries. A held dose
    is never missed.
    """
    pending = DoseSlot.objects.filter(status=SlotStatus.PENDING, scheduled_at__lt=now).exclude(covering_hold())
    return schedule.slots_past_cutoff(pending, now)


def mark_missed_doses(now: datetime) -> list[int]:
    """MISS-SKIP: mark slots missed once their cut-off passes; caregivers get a final note.

    The conditional update (pending -> missed) loses to a dose logged at the same moment.
    """
    candidates = slots_past_cutoff(now)
    if not candidates:
        return []
    DoseSlot.objects.filter(pk__in=candidates, status=SlotStatus.PENDING).update(
        status=SlotStatus.MISSED, status_changed_at=now, status_changed_by=None
    )
    marked = DoseSlot.objects.filter(pk__in=candidates, status=SlotStatus.MISSED, status_changed_at=now)
    record_version.record_changed(marked.values_list("patient_id", flat=True).distinct())  # an update sends no signal
    queue_slot_deliveries(Kind.MISSED_NOTE, marked, now)
    return list(marked.values_list("id", flat=True))


# ---------------------------------------------------------------------------
# Care alerts (AE-SERIOUS, IX-TNF, ...)
# ---------------------------------------------------------------------------


# AE-SERIOUS: a serious symptom reaches the care team at once, even in quiet hours;
# AE-OVERDOSE: so does a dose recorded above the prescribed one; and so does a treatment hold
# a rule started (AE-ALLERGY, AE-INFECTION), pending a clinician's review.
# AE-NEUTROPENIA: a count below 1.5 x 10^9/L goes to the clinician at once, quiet hours or not.
URGENT_ALERT_KINDS = frozenset(
    {
        CareAlert.Kind.SERIOUS_SYMPTOM,
        CareAlert.Kind.OVERDOSE,
        CareAlert.Kind.TREATMENT_HOLD,
        CareAlert.Kind.LOW_NEUTROPHILS,
    }
)


def care_alert_due(alert_id: int, patient_id: int, alert_kind: str) -> Due:
    return Due(patient_id, f"alert:{alert_id}", bypass_quiet_hours=alert_kind in URGENT_ALERT_KINDS)


def queue_care_alerts(now: datetime, alerts: QuerySet[CareAlert] | None = None) -> int:
    """Deliveries for recent care alerts (the tick's catch-up for queue_care_alert)."""
    if alerts is None:
        alerts = CareAlert.objects.filter(created_at__gt=now - timedelta(hours=24), created_at__lte=now)
    due = [care_alert_due(*row) for row in alerts.values_list("id", "patient_id", "kind")]
    return create_deliveries(Kind.CARE_ALERT, due, alerts.values("patient_id"), now)


# ---------------------------------------------------------------------------
# Refill (SUPPLY-BOX), labs (AE-LABS), fridge (PREP-24H)
# ---------------------------------------------------------------------------


def patients_low_on_supply(now: datetime, patient_ids: Iterable[int] | None = None) -> list[tuple[int, int, int]]:
    """(patient id, days left, last pick-up id) for patients whose syringes need a refill
    (syringe_supply.needs_refill at REFILL_REMINDER_DAYS: the rule Today's banner uses). One query.
    `patient_ids`: only these (a dose just logged, notify.py); None: every patient."""
    current = Regimen.objects.filter(patient=OuterRef("pk"), ends_on__isnull=True)
    patients = Patient.objects.all() if patient_ids is None else Patient.objects.filter(pk__in=list(patient_ids))
    rows = (
        patients.annotate(
            on_hand=Sum("supply_events__syringes"),
            last_pickup=Max("supply_events__id", filter=Q(supply_events__kind=SupplyEvent.Kind.PICKUP)),
            daily_mg=Subquery(current.values("daily_dose_mg")[:1]),
            per_day=Subquery(current.values("administrations_per_day")[:1]),
            interval=Subquery(current.values("interval_days")[:1]),
        )
        .filter(on_hand__isnull=False, daily_mg__isnull=False)
        .values_list("id", "on_hand", "last_pickup", "daily_mg", "per_day", "interval")
    )
    low = []
    for patient_id, on_hand, last_pickup, daily_mg, per_day, interval in rows:
        days = syringe_supply.days_of_supply(
            on_hand,
            dose_mg=regimen_review.split_dose_mg(daily_mg, per_day),
            administrations_per_day=per_day,
            interval_days=interval,
        )
        if syringe_supply.needs_refill(days, refill_days=supply_selectors.refill_days()):
            low.append((patient_id, days, last_pickup or 0))
    return low


def refill_subject_key(last_pickup_id: int) -> str:
    """SUPPLY-BOX: one refill message per low-supply episode, which ends with the next pick-up:
    the unique (kind, recipient, subject_key) constraint holds it, whether the dose that crossed
    the threshold (notify.py) or the periodic job queued it first."""
    return f"refill:{last_pickup_id}"


def queue_refill_reminders(now: datetime, patient_ids: Iterable[int] | None = None) -> int:
    low = patients_low_on_supply(now, patient_ids)
    due = [Due(patient_id, refill_subject_key(last_pickup)) for patient_id, _days, last_pickup in low]
    return create_deliveries(Kind.REFILL, due, [patient_id for patient_id, _, _ in low], now)


def labs_due_soon(now: datetime) -> QuerySet[LabTest]:
    """AE-LABS: neutrophil counts not done and due within LAB_REMINDER_DAYS_BEFORE days of
    the patient's local today (today included)."""
    ahead = settings.LAB_REMINDER_DAYS_BEFORE
    utc_today = now.astimezone(UTC).date()
    candidates = LabTest.objects.filter(
        done_on__isnull=True,
        due_on__gte=utc_today - timedelta(days=1),
        due_on__lte=utc_today + timedelta(days=ahead + 1),
    ).values_list("id", "due_on", "patient__time_zone")
    ids = []
    for lab_id, due_on, zone in candidates:
        local_today = Patient(time_zone=zone).local_today(now)
        if 0 <= (due_on - local_today).days <= ahead:
            ids.append(lab_id)
    return LabTest.objects.filter(pk__in=ids)


def queue_lab_reminders(now: datetime) -> int:
    labs = labs_due_soon(now)
    due = [Due(patient_id, f"lab:{lab_id}") for lab_id, patient_id in labs.values_list("id", "patient_id")]
    return create_deliveries(Kind.LAB, due, labs.values("patient_id"), now)


def syringes_near_use_by(now: datetime) -> QuerySet[FridgeSyringe]:
    """PREP-24H: syringes out of the fridge whose 24 hours end within FRIDGE_REMINDER_BEFORE_MINUTES."""
    before = timedelta(minutes=settings.FRIDGE_REMINDER_BEFORE_MINUTES)
    return FridgeSyringe.objects.filter(closed_at__isnull=True, use_by__gt=now, use_by__lte=now + before)


def queue_fridge_reminders(now: datetime) -> int:
    syringes = syringes_near_use_by(now)
    due = [Due(patient_id, f"fridge:{pk}") for pk, patient_id in syringes.values_list("id", "patient_id")]
    return create_deliveries(Kind.FRIDGE, due, syringes.values("patient_id"), now)


# ---------------------------------------------------------------------------
# Handing deliveries to the broker
# ---------------------------------------------------------------------------


def ready_to_enqueue(now: datetime) -> Q:
    """Queued and not deferred, and never handed to the broker (or long enough ago that the
    message may be lost); or claimed by a worker that died (its lease ran out)."""
    lease = now - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    not_deferred = Q(not_before__isnull=True) | Q(not_before__lte=now)
    stale = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=lease)
    return (Q(status=Delivery.Status.QUEUED) & not_deferred & stale) | (
        Q(status=Delivery.Status.SENDING, claimed_at__lt=lease) & stale
    )


def enqueue_ready_deliveries(now: datetime | None = None, limit: int = 50_000, only: Q | None = None) -> int:
    """Hand every ready delivery to the broker as a send_delivery(id) message.

    Rows are first stamped with a batch id by one conditional UPDATE (a concurrent tick
    re-checks the condition and skips them), then published. If the broker is down the
    unpublished rows are unstamped and the next tick tries again; a message that is
    published twice is harmless because send_delivery claims before sending.
    """
    now = now or timezone.now()
    batch = uuid.uuid4().hex
    ready = ready_to_enqueue(now) if only is None else ready_to_enqueue(now) & only
    picked = Delivery.objects.filter(ready).order_by("pk").values("pk")[:limit]
    Delivery.objects.filter(ready, pk__in=Subquery(picked)).update(enqueued_at=now, enqueue_batch=batch)
    ids = list(Delivery.objects.filter(enqueue_batch=batch).order_by("pk").values_list("pk", flat=True))
    published = publish_send_tasks(ids, now=now)
    if published < len(ids):
        Delivery.objects.filter(enqueue_batch=batch, pk__gte=ids[published], status=Delivery.Status.QUEUED).update(
            enqueued_at=None
        )
    return published


def publish_send_tasks(ids: list[int], now: datetime | None = None) -> int:
    """Publish the send tasks for `ids` over one broker connection; returns how many ids went.

    One send_deliveries task per REMINDER_SEND_BATCH_SIZE ids (sending.deliver_batch: one
    claim, one mail-server connection per batch); with a batch size of 1, one send_delivery
    task per id, as before batches. In eager mode the task runs here, inside the tick, so it
    runs at the tick's `now`; a worker uses its own clock.

    A broker error stops publishing and is logged, never raised: a web request or a tick
    must not fail because the broker is away (the rows stay queued for the next tick).
    """
    # Imported here: tasks.py imports this module (its jobs call it), and publishing needs the
    # tasks it defines. This is the one real cycle in reminders (tasks -> dispatch -> tasks).
    from .tasks import send_deliveries, send_delivery

    if not ids:
        return 0
    size = max(1, settings.REMINDER_SEND_BATCH_SIZE)
    batches = [ids[start : start + size] for start in range(0, len(ids), size)]

    def publish(batch, **options):
        if size == 1:
            send_delivery.apply_async((batch[0],), **options)
        else:
            send_deliveries.apply_async((batch,), **options)

    published = 0
    try:
        if app.conf.task_always_eager:  # tests and development without a broker
            for batch in batches:
                publish(batch, kwargs={"now": now} if now else None)
                published += len(batch)
            return published
        with app.connection_for_write() as connection:
            # One quick attempt: a request must not hang for seconds on a broker that is away.
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            producer = connection.Producer()
            # kombu pipelines the Redis LPUSHes of a batch: one round trip per 1000 messages.
            for start in range(0, len(batches), 1000):
                chunk = batches[start : start + 1000]
                with producer.batch(max_size=len(chunk) * 2):
                    for batch in chunk:
                        publish(batch, producer=producer, retry=False)
                published += sum(len(batch) for batch in chunk)
    except Exception as exc:  # the broker is the edge of our world: any failure here means "not queued"
        logger.warning(
            "Broker unavailable, %d of %d deliveries left for the next tick: %s", len(ids) - published, len(ids), exc
        )
    return published


def record_run(name: str, now: datetime, summary: str = "") -> None:
    JobRun.objects.update_or_create(name=name, defaults={"last_run_at": now, "last_summary": summary[:300]})


# ---------------------------------------------------------------------------
# Keeping slots materialised
# ---------------------------------------------------------------------------


def extend_dose_schedules(now: datetime) -> int:
    """Materialise SCHEDULE_HORIZON_DAYS of slots ahead for every current regimen, in bulk.

    doses.schedule.materialise, the one materialiser, for all regimens in a constant number
    of queries (MISS-NODOUBLE: a day with a logged dose of another version gets no new slot).
    """
    return schedule.extend_all(now)
