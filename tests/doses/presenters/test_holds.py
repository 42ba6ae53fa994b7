"""The hold notice's words (doses/presenters/holds.py): no database."""

from __future__ import annotations

from doses.presenters import holds as present
from doses.rules.emergency_numbers import numbers_for
from doses.services.holds import RULE_ADVICE, HoldInForce


def test_AE_ALLERGY_the_notice_gives_the_rules_advice_and_whom_to_call():
    notice = present.hold_notice(HoldInForce(None, None, "AE-ALLERGY", ["Dr Reyes", "Dr Lin"], numbers_for("GB")))
    assert notice.advice == RULE_ADVICE["AE-ALLERGY"].format(emergency="999")
    assert "call 999 now" in notice.advice
    assert notice.call_text == "Dr Reyes or Dr Lin"
    assert notice.rule_id == "AE-ALLERGY"


def test_without_a_clinician_in_the_circle_the_notice_says_call_the_prescriber():
    notice = present.hold_notice(HoldInForce(None, None, "SOMETHING-ELSE", []))
    assert notice.call_text == "the doctor who prescribes anakinra"
    assert notice.advice == RULE_ADVICE["TX-HOLD"]


def test_treatment_running_gives_no_notice():
    assert present.hold_notice(None) is None


def test_a_hold_with_an_end_date_says_until_when():
    from datetime import date
    from types import SimpleNamespace

    assert present.hold_started_message(SimpleNamespace(until=date(2026, 3, 14))) == (
        "Treatment is on hold until Sat 14 Mar. No reminders; the log refuses doses."
    )
    assert present.hold_started_message(SimpleNamespace(until=None)).startswith("Treatment is on hold. ")
