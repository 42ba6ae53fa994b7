"""A fixed, deterministic dose history for the dashboard tests (no randomness).

Bulk rows, like seed_demo: live logging goes through doses.services, which has its own tests.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from doses import sites
from doses.models import (
    DoseSlot,
    Injection,
    MedicineCategory,
    NotTakenReason,
    OtherMedicine,
    Regimen,
    SideEffect,
    SlotStatus,
    SupplyEvent,
)
from tests.conftest import start_adult_regimen

# One letter per past dose, repeated: T taken, L taken 3 hours late, M missed, N not taken.
PATTERN = "TTLTMTN"


def build_history(patient, by, *, days: int, now: datetime | None = None, pattern: str = PATTERN) -> Regimen:
    now = now or timezone.now()
    regimen = start_adult_regimen(patient, by, starts_on=patient.local_today(now) - timedelta(days=days), now=now)
    slots = list(
        DoseSlot.objects.filter(patient=patient, scheduled_at__lt=now - timedelta(hours=3)).order_by("scheduled_at")
    )
    injections = []
    for index, slot in enumerate(slots):
        letter = pattern[index % len(pattern)]
        if letter in "TL":
            slot.status = SlotStatus.TAKEN
            delay = timedelta(hours=3) if letter == "L" else timedelta(minutes=10)
            injections.append(
                Injection(
                    slot=slot,
                    patient=patient,
                    taken_at=slot.scheduled_at + delay,
                    dose_mg=slot.dose_mg,
                    site_spot=sites.ALL_SPOTS[index % 12],
                    logged_by=by,
                )
            )
        elif letter == "M":
            slot.status = SlotStatus.MISSED
        else:
            slot.status = SlotStatus.NOT_TAKEN
            slot.not_taken_reason = NotTakenReason.SIDE_EFFECT
    DoseSlot.objects.bulk_update(slots, ["status", "not_taken_reason"])
    Injection.objects.bulk_create(injections)
    SupplyEvent.objects.bulk_create(
        [
            SupplyEvent(patient=patient, kind=SupplyEvent.Kind.DOSE, syringes=-1, occurred_at=i.taken_at, injection=i)
            for i in injections
        ]
        + [
            SupplyEvent(
                patient=patient,
                kind=SupplyEvent.Kind.PICKUP,
                syringes=28,
                boxes=4,
                occurred_at=now - timedelta(days=days) + timedelta(days=28 * n),
            )
            for n in range(days // 28 + 1)
        ]
    )
    today = patient.local_today(now)
    SideEffect.objects.create(
        patient=patient,
        symptom="fever",
        description="Fever and chills",
        severity="moderate",
        started_on=today - timedelta(days=2),
        is_serious=True,
    )
    SideEffect.objects.create(
        patient=patient,
        symptom="site_redness",
        description="Redness at the site",
        started_on=today - timedelta(days=20),
        is_site_reaction=True,
    )
    OtherMedicine.objects.create(patient=patient, name="Etanercept", category=MedicineCategory.TNF_ANTAGONIST)
    return regimen
