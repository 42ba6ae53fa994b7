"""The people the proposal and alert tests share: Sam, a child on a confirmed weight-based dose
with a parent and Dr Reyes, and Dira, a baby on a clinician's DOSE-PED-MAX override."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from companion.models import CareRole, Indication
from tests.conftest import link, make_patient, make_user, start_weight_based_regimen
from tests.doses.log_helpers import freeze

PROPOSAL_NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 07:00 in London: today's 08:00 dose is still to come
PROPOSAL_TODAY = date(2026, 11, 25)


@pytest.fixture
def sam(world, monkeypatch):
    """A 5-year-old with CAPS, 20 kg, on a confirmed 40 mg (2 mg/kg) a day from Dr Reyes since
    three days ago (the form allows today on); pat is the parent. The clock is PROPOSAL_NOW."""
    freeze(monkeypatch, PROPOSAL_NOW)
    pat = make_user("pat@example.org", "Pat Parent")
    reyes = make_user("reyes@example.org", "Dr Reyes")
    child = make_patient(
        "Sam Child", dob=date(2021, 3, 1), weight_kg=Decimal("20.0"), weight_measured_on=date(2026, 11, 1)
    )
    child.indication = Indication.NOMID_CAPS
    child.save()
    link(child, pat, CareRole.PARENT)
    link(child, reyes, CareRole.CLINICIAN)
    child.parent, child.reyes = pat, reyes
    child.confirmed = start_weight_based_regimen(child, reyes, starts_on=PROPOSAL_TODAY - timedelta(days=3))
    return child


@pytest.fixture
def dira(world, django_capture_on_commit_callbacks):
    """A 2-year-old of 10 kg on 9 mg/kg/day from Dr Carol, her clinician: above the labelled
    8 mg/kg/day with a recorded override (DOSE-PED-MAX), whose alert went out on commit."""
    child = make_patient("Dira Child", dob=date(2025, 1, 1), weight_kg=Decimal("10.0"))
    link(child, world.carol, CareRole.CLINICIAN)
    with django_capture_on_commit_callbacks(execute=True):
        start_weight_based_regimen(
            child,
            world.carol,
            mg_per_kg="9",
            weight_kg="10.0",
            starts_on=child.local_today(),
            override_reason="DIRA flare despite 8 mg/kg.",
        )
    return child
