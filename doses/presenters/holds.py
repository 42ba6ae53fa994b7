"""The words of the hold notice (treatment on hold or stopped) on Today and the log page."""

from __future__ import annotations

from dataclasses import dataclass

from ..services.holds import HoldInForce, rule_advice

NO_CLINICIAN = "the doctor who prescribes anakinra"  # when no clinician has joined the care circle


@dataclass(frozen=True)
class HoldNotice:
    """An open hold or a stop in force, with what to do and whom to call (_hold_notice.html)."""

    held: HoldInForce
    advice: str  # the rule's advice, the same words the log's refusal gives
    call_text: str  # "Dr Reyes or Dr Lin"

    @property
    def hold(self):
        return self.held.hold

    @property
    def stop(self):
        return self.held.stop

    @property
    def rule_id(self) -> str:
        return self.held.rule_id


def hold_notice(held: HoldInForce | None) -> HoldNotice | None:
    if held is None:
        return None
    return HoldNotice(held, rule_advice(held.rule_id, held.numbers), " or ".join(held.call) if held.call else NO_CLINICIAN)


def hold_started_message(hold) -> str:
    """The clinician's confirmation after holding treatment."""
    until = f" until {hold.until:%a %d %b}" if hold.until else ""
    return f"Treatment is on hold{until}. No reminders; the log refuses doses."
