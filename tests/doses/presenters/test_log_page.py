"""The log page's messages (doses/presenters/log_page.py): no database."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from doses.presenters import log_page as present
from doses.rules.emergency_numbers import numbers_for

NEW_YORK = ZoneInfo("America/New_York")


def test_SITE_ROTATE_the_confirmation_names_the_next_spot_away_from_the_one_just_used():
    taken = datetime(2026, 11, 25, 8, 5, tzinfo=NEW_YORK)
    injection = SimpleNamespace(dose_mg=Decimal("100.00"), taken_at=taken, site_spot="thigh-left-1", injected_by="self")
    text = present.logged_message(
        injection, last_used={}, today=date(2026, 11, 25), zone=NEW_YORK, viewer_is_patient=True
    )
    assert text.startswith("Dose logged: 100 mg at 08:05 today, ")
    assert "SITE-ROTATE" not in text  # plain words (issue 16)
    assert "Next time use: " in text and text.count("spot 1") >= 1


def test_AE_OVERDOSE_the_message_gives_both_numbers_and_poison_control():
    injection = SimpleNamespace(dose_mg=Decimal("200.0"), prescribed_mg=Decimal("100.00"))
    text = present.above_prescribed_message(injection, patient_name="Alice", numbers=numbers_for("US"))
    assert text.startswith("More than the prescribed dose was recorded (200 mg; prescribed 100 mg).")
    assert "Poison Control on 1-800-222-1222" in text and "Call 911 if Alice collapses" in text


def test_AE_OVERDOSE_in_new_zealand_the_message_gives_111_and_the_national_poisons_centre():
    injection = SimpleNamespace(dose_mg=Decimal("200.0"), prescribed_mg=Decimal("100.00"))
    text = present.above_prescribed_message(injection, patient_name="Alice", numbers=numbers_for("NZ"))
    assert "the National Poisons Centre on 0800 POISON (0800 764 766)" in text and "Call 111 if Alice" in text
    assert "911" not in text and "1-800" not in text


def test_SUPPLY_BOX_a_discard_at_zero_asks_for_a_count():
    assert "(SUPPLY-BOX)" not in present.discarded_message(shortfall=False)
    assert present.discarded_message(shortfall=True).endswith("correct the number (SUPPLY-BOX).")


def test_MISS_NODOUBLE_a_dose_not_taken_is_never_made_up():
    text = present.not_taken_message(when="08:00 today", reason="Infection")
    assert text == (
        "Recorded: the dose due 08:00 today was not taken (Infection). "
        "Take the next dose at its usual time; never a double dose (MISS-NODOUBLE)."
    )
