"""Helpers for the injection-log tests: a fixed clock, form data, quick history."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from doses import sites
from doses.models import DoseSlot, InjectedBy, Injection, SlotStatus, SupplyEvent
from doses.rules import dose_timing, preparation


def freeze(monkeypatch, moment: datetime) -> datetime:
    """Stop the clock at `moment` for the code under test (time is the edge of the world)."""
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def prep_answers(**overrides) -> dict[str, str]:
    answers = {f"prep_{check.key}": "yes" for check in preparation.PREP_CHECKS}
    answers.update({f"prep_{key}": value for key, value in overrides.items()})
    return answers


def local_input(moment: datetime, zone) -> str:
    """What a datetime-local input sends: the patient's wall-clock time, to the minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def log_data(patient, when: datetime, **overrides) -> dict[str, str]:
    """What the log form posts for a dose taken at `when`; "__omit__" leaves a field out."""
    data = {
        "taken_at": local_input(when, patient.zone),
        "dose_mg": "100",
        "injected_by": InjectedBy.SELF,
        "site_spot": "abdomen-left-1",
        "notes": "",
        **prep_answers(),
    }
    data.update({k: v for k, v in overrides.items() if v is not None})
    return {k: v for k, v in data.items() if v != "__omit__"}


def fill_history(patient, user, slots: list[DoseSlot]) -> None:
    """Mark slots taken, each with an injection on the next spot in turn (fast, bulk)."""
    spots = sites.allowed_spots(False)
    injections = []
    for index, slot in enumerate(slots):
        injections.append(
            Injection(
                slot=slot,
                patient=patient,
                taken_at=slot.scheduled_at + timedelta(minutes=5),
                dose_mg=Decimal("100"),
                site_spot=spots[index % len(spots)],
                logged_by=user,
                logged_at=slot.scheduled_at + timedelta(minutes=6),
            )
        )
    Injection.objects.bulk_create(injections)
    DoseSlot.objects.filter(pk__in=[s.pk for s in slots]).update(status=SlotStatus.TAKEN)
    SupplyEvent.objects.bulk_create(
        [
            SupplyEvent(patient=patient, kind=SupplyEvent.Kind.DOSE, syringes=-1, occurred_at=i.taken_at)
            for i in injections
        ]
    )


NEW_YORK = "America/New_York"


def alice_in_new_york(world, monkeypatch, *, at=(2026, 11, 25, 10, 0), days_before=3, **regimen):
    """alice lives in New York (UTC-5 in November, so a time-zone slip shows), 08:00 daily.

    The clock is frozen at local `at`; the regimen started `days_before` days earlier.
    Returns the frozen `now`.
    """
    from zoneinfo import ZoneInfo

    from tests.conftest import start_adult_regimen

    world.alice.time_zone = NEW_YORK
    world.alice.save()
    now = freeze(monkeypatch, datetime(*at, tzinfo=ZoneInfo(NEW_YORK)))
    start_adult_regimen(
        world.alice,
        world.carol,
        now=now,
        starts_on=world.alice.local_today(now) - timedelta(days=days_before),
        **regimen,
    )
    return now


def slot_at(patient, local_day, hour: int = 8, minute: int = 0) -> DoseSlot:
    from datetime import time

    moment = dose_timing.local_slot(local_day, time(hour, minute), patient.zone)
    return DoseSlot.objects.get(patient=patient, scheduled_at=moment)
