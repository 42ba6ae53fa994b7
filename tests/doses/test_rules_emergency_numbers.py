"""The emergency-numbers table (doses/rules/emergency_numbers.py, AE-OVERDOSE, AE-REPORT). No database."""

from __future__ import annotations

import phonenumbers
import pytest

from doses.rules import emergency_numbers
from doses.rules.emergency_numbers import UNKNOWN, numbers_for


@pytest.mark.parametrize("country", emergency_numbers.COUNTRIES)
def test_AE_OVERDOSE_every_country_in_the_table_has_an_emergency_number_and_its_sources(country):
    entry = numbers_for(country)
    assert entry.country == country and entry.emergency is not None
    assert entry.sources, f"{country} has no source"
    assert entry.poison is not None or entry.poison_advice  # a number, or where to go instead


@pytest.mark.parametrize("country", emergency_numbers.COUNTRIES)
def test_every_long_number_in_the_table_is_a_valid_number_of_its_own_country(country):
    entry = numbers_for(country)
    lines = [entry.emergency, entry.urgent, entry.poison, entry.reporting.phone if entry.reporting else None]
    for line in filter(None, lines):
        if line.dial.startswith("+"):
            parsed = phonenumbers.parse(line.dial)
            assert phonenumbers.is_valid_number(parsed), line
            # Of the country's own numbering plan (toll-free +1 numbers are shared by the US and Canada).
            assert parsed.country_code == phonenumbers.country_code_for_region(country), line
        else:  # a short code, dialled as written
            assert line.dial.isdigit() and len(line.dial) <= 6, line


@pytest.mark.parametrize(
    ("country", "emergency"),
    [("GB", "999"), ("IE", "112 or 999"), ("US", "911"), ("CA", "911"), ("AU", "000"), ("NZ", "111"), ("FR", "112")],
)
def test_AE_OVERDOSE_the_emergency_number_per_country(country, emergency):
    assert numbers_for(country).emergency_number == emergency
    assert numbers_for(country.lower()).emergency_number == emergency


@pytest.mark.parametrize("country", ["", None, "JP", "ZZ"])
def test_AE_OVERDOSE_an_unknown_country_names_no_number(country):
    entry = numbers_for(country)
    assert entry is UNKNOWN
    assert entry.emergency_number == "your local emergency number"
    assert entry.emergency is None and entry.poison is None and entry.urgent is None
    assert "911" not in entry.poison_words


def test_AE_REPORT_only_the_us_entry_names_medwatch():
    assert [c for c in emergency_numbers.COUNTRIES if "MedWatch" in numbers_for(c).reporting_words] == ["US"]


def test_AE_OVERDOSE_a_line_whose_name_is_its_number_is_said_once():
    gb = numbers_for("GB")
    us = numbers_for("US")
    assert gb.poison.label == "NHS 111"
    assert us.poison.label == f"{us.poison.name}, 1-800-222-1222"
