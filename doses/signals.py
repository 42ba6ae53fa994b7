"""What doses tells the layers above it (reminders) that something happened.

doses imports nothing above it, so it cannot queue a delivery itself. It sends one of
these signals once the write is committed (never for a rolled-back one), and reminders
connects a receiver in its AppConfig.ready(). With no receiver (reminders not installed)
the row is only stored, and the pages show it.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# alert_id: a CareAlert just committed (AE-SERIOUS, AE-OVERDOSE, IX-TNF, ...): the care team
# hears at once (reminders/notify.py); the periodic dispatch job catches any it missed.
care_alert_raised = Signal()


def announce_care_alert_on_commit(alert_id: int) -> None:
    """Send care_alert_raised once the alert's transaction commits.

    on_commit so that a delivery never looks for a row that a rolled-back transaction never
    wrote; not robust, as before: a receiver's error propagates (queue_care_alert itself
    never raises because the broker is away).
    """
    transaction.on_commit(lambda: care_alert_raised.send(sender=None, alert_id=alert_id))

# patient_id: syringes were taken from the count and the supply is now low (a dose logged:
# doses/services/log_records.announce_if_supply_low) or may be (a syringe discarded): the refill
# message goes at once if it is (reminders/notify.py, SUPPLY-BOX); the periodic refill job is the
# safety net, and the message is one per pick-up whichever sends it first.
supply_taken = Signal()


def announce_supply_taken_on_commit(patient_id: int) -> None:
    """Send supply_taken once the write's transaction commits (never for a rolled-back dose)."""
    transaction.on_commit(lambda: supply_taken.send(sender=None, patient_id=patient_id))
