"""What a care message is about and who it goes to, read for many deliveries at once.

Sending a message needs a few facts besides the Delivery row: is the recipient still in the
circle with this kind switched on (and their unsubscribe token), is the dose still pending or
the blood test still not done, when the dose window closes, when the syringe's 24 hours end.
`facts_for` reads them for a whole batch in a fixed number of queries (one per kind of
subject, not one per message); the checks (sending.reason_not_needed), the retry span
(relevance) and the message (messages.care_message_context) all read these facts, so one
message and a batch of a hundred answer the same questions the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F
from django.utils import timezone

from companion.models import CareMembership
from doses import schedule
from doses.models import CareAlert, DoseSlot, FridgeSyringe, LabTest, SlotStatus
from doses.selectors.supply import SupplyOutlook, supply_outlooks

from .models import ACCOUNT_KINDS, Delivery, Kind, NotificationPreference

_PREF_FIELDS = [
    f.name
    for f in NotificationPreference._meta.get_fields()
    if getattr(f, "concrete", False) and f.name not in ("membership", "updated_at")
]


def with_preferences(memberships):
    """`memberships` (a values() queryset of CareMembership) with each member's preference
    fields joined in, for preference_of: one query for members and preferences alike."""
    return memberships.annotate(**{f"pref_{name}": F(f"notification_preference__{name}") for name in _PREF_FIELDS})


def preference_of(row: dict) -> NotificationPreference | None:
    """The preference of a with_preferences row (None: the member has none, so the defaults)."""
    if row["pref_id"] is None:
        return None
    return NotificationPreference(membership_id=row.get("id"), **{name: row[f"pref_{name}"] for name in _PREF_FIELDS})


# Kinds about one dose slot: their message names its time.
_SLOT_SUBJECT_KINDS = frozenset({Kind.INJECTION_REMINDER, Kind.ESCALATION, Kind.MISSED_NOTE})


@dataclass
class Facts:
    """What one delivery's checks and message need to know. None: not known / not there."""

    role: str | None = None  # the recipient's role in the circle (None: not an active member)
    membership_id: int | None = None
    receives_reminders: bool = False
    preference: NotificationPreference | None = None  # None: the field defaults
    slot_pending: bool | None = None
    slot_time: datetime | None = None
    window_closes_at: datetime | None = None  # MISS-SKIP: the dose window (doses.schedule)
    alert_kind: str | None = None
    alert_logged_by_id: int | None = None  # who logged the symptom the alert is about ("you logged")
    lab_open: bool | None = None
    lab_due_on: date | None = None
    syringe_open: bool | None = None
    syringe_use_by: datetime | None = None
    supply: SupplyOutlook | None = None  # refill: the run-out day (doses/selectors/supply.py)


def facts_for(deliveries: Iterable[Delivery], now: datetime | None = None) -> dict[int, Facts]:
    """The facts of every care delivery in `deliveries` (account e-mail has none), by delivery id.

    Queries: one for the memberships and preferences, then at most one per kind of subject
    (slots, and their regimen versions for the windows; alerts; labs; syringes; the supply
    outlook of refill messages, at `now`).
    """
    care = [d for d in deliveries if d.kind not in ACCOUNT_KINDS]
    facts = {d.pk: Facts() for d in care}
    if not care:
        return facts
    _read_memberships(care, facts)
    by_kind: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in care:
        by_kind[delivery.kind].append(delivery)
    slot_deliveries = [d for kind in _SLOT_SUBJECT_KINDS for d in by_kind.get(kind, ())]
    if slot_deliveries:
        _read_slots(slot_deliveries, facts)
    if by_kind.get(Kind.REFILL):
        outlooks = supply_outlooks({d.patient_id for d in by_kind[Kind.REFILL]}, now or timezone.now())
        for delivery in by_kind[Kind.REFILL]:
            facts[delivery.pk].supply = outlooks.get(delivery.patient_id)
    for kind, (model, fields, apply) in _SUBJECT_READERS.items():
        if by_kind.get(kind):
            rows = {
                row[0]: row[1:]
                for row in model.objects.filter(pk__in={d.object_id for d in by_kind[kind]}).values_list("pk", *fields)
            }
            for delivery in by_kind[kind]:
                if delivery.object_id in rows:
                    apply(facts[delivery.pk], *rows[delivery.object_id])
    return facts


def _alert(fact: Facts, kind: str, logged_by_id: int | None) -> None:
    fact.alert_kind, fact.alert_logged_by_id = kind, logged_by_id


def _lab(fact: Facts, done_on: date | None, due_on: date) -> None:
    fact.lab_open, fact.lab_due_on = done_on is None, due_on


def _syringe(fact: Facts, closed_at: datetime | None, use_by: datetime) -> None:
    fact.syringe_open, fact.syringe_use_by = closed_at is None, use_by


# The subject of each kind (besides dose slots): its model, the fields read, and what they tell.
_SUBJECT_READERS = {
    Kind.CARE_ALERT: (CareAlert, ("kind", "side_effect__logged_by_id"), _alert),
    Kind.LAB: (LabTest, ("done_on", "due_on"), _lab),
    Kind.FRIDGE: (FridgeSyringe, ("closed_at", "use_by"), _syringe),
}


def _read_memberships(care: list[Delivery], facts: dict[int, Facts]) -> None:
    patients = {d.patient_id for d in care}
    users = {d.recipient_id for d in care}
    rows = with_preferences(
        CareMembership.objects.active()
        .filter(patient_id__in=patients, user_id__in=users)
        .values("id", "patient_id", "user_id", "role", "receives_reminders")
    )
    found = {}
    for row in rows:
        member = (row["id"], row["role"], row["receives_reminders"], preference_of(row))
        found[(row["patient_id"], row["user_id"])] = member
    for delivery in care:
        member = found.get((delivery.patient_id, delivery.recipient_id))
        if member is not None:
            fact = facts[delivery.pk]
            fact.membership_id, fact.role, fact.receives_reminders, fact.preference = member


def _read_slots(slot_deliveries: list[Delivery], facts: dict[int, Facts]) -> None:
    rows = list(
        DoseSlot.objects.filter(pk__in={d.object_id for d in slot_deliveries}).values_list(
            "id", "patient_id", "scheduled_at", "regimen_id", "status"
        )
    )
    windows = schedule.windows_of([row[:4] for row in rows])
    slots = {row[0]: row for row in rows}
    for delivery in slot_deliveries:
        row = slots.get(delivery.object_id)
        if row is None:
            continue
        fact = facts[delivery.pk]
        fact.slot_pending = row[4] == SlotStatus.PENDING
        fact.slot_time = row[2]
        window = windows.get(row[0])
        fact.window_closes_at = window.closes_at if window else None


def ensure_preferences(facts: Iterable[Facts]) -> None:
    """Give every member about to be written to a preference row (it carries the unsubscribe
    token), in one insert and one read, before any message is rendered: rendering never writes."""
    missing: dict[int, list[Facts]] = defaultdict(list)
    for fact in facts:
        if fact.membership_id and fact.preference is None:
            missing[fact.membership_id].append(fact)
    if not missing:
        return
    # ignore_conflicts: another worker may have created some of them a moment ago.
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(membership_id=pk) for pk in missing], ignore_conflicts=True
    )
    for preference in NotificationPreference.objects.filter(membership_id__in=missing):
        for fact in missing[preference.membership_id]:
            fact.preference = preference
