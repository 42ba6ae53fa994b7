"""Fixtures for the reminders tests: a fixed clock, alice on a daily 08:00 regimen, eager Celery."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from doses.models import DoseSlot
from tests.conftest import start_adult_regimen

# 10 March 2026: London is on GMT, so local 08:00 is 08:00 UTC.
DAY = date(2026, 3, 10)
SLOT_AT = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def eager_celery(eager_celery):
    """Tasks run in the test process (tests/conftest.py; the integration tests start a real worker instead)."""
    yield


@pytest.fixture
def daily(world):
    """alice on 100 mg daily at 08:00 since 7 March, slots materialised as of 10 March 07:00."""
    return start_adult_regimen(
        world.alice, world.carol, starts_on=date(2026, 3, 7), now=datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    )


@pytest.fixture
def slot(daily):
    return DoseSlot.objects.get(regimen=daily, scheduled_at=SLOT_AT)
