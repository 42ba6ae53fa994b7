"""Telephone numbers: parsed with the patient's country as the default region, stored in E.164.

`phonenumbers` (Google's libphonenumber) knows each country's numbering plan, so "020 7946 0018"
typed for a patient in Great Britain is +442079460018, and "+1 212 555 0100" is read as typed
wherever the patient lives. Shown in the national format to someone in the same country, in the
international format otherwise, and dialled with a tel: link on the E.164 form.
"""

from __future__ import annotations

import phonenumbers


class PhoneNumberRefused(ValueError):
    """A number that cannot be dialled; the message says what to type instead."""


def parse_phone(text: str, *, region: str) -> str:
    """`text` as an E.164 number (+442079460018), read in `region` (ISO 3166, "" for none)."""
    typed = (text or "").strip()
    try:
        number = phonenumbers.parse(typed, region or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if not region and not typed.startswith("+"):
            raise PhoneNumberRefused("Type the number with its country code, starting with + (such as +44 20 7946 0018).")
        raise PhoneNumberRefused("That is not a telephone number we can dial. Check the digits, or add the country code with +.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str, *, region: str) -> str:
    """How the number reads for someone in `region`: national format at home, international abroad."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = region and phonenumbers.region_code_for_number(number) == region
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
