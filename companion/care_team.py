"""The care-team card as pages show it: who to call, in the order to call them (AE-SERIOUS).

"Call your doctor now" needs a number: the clinic's in its hours, the out-of-hours line when it
is closed. The card does not know whether the clinic is open now (its hours are free text), so
a page shows both lines, the clinic first.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import CareTeamCard, Patient
from .phones import display_phone


@dataclass(frozen=True)
class CallLine:
    label: str  # "Call Rheumatology clinic"
    number: str  # as written in the patient's country: "020 7946 0018"
    tel: str  # the link: "tel:+442079460018"


@dataclass(frozen=True)
class CareTeamCall:
    clinic_name: str
    hours: str
    lines: tuple[CallLine, ...]  # the clinic first, then the out-of-hours line if there is one


def card_for(patient: Patient) -> CareTeamCard | None:
    return CareTeamCard.objects.filter(patient=patient).first()


def care_team_call(card: CareTeamCard | None, *, region: str) -> CareTeamCall | None:
    """What a page shows of `card`; None when nobody has filled it in."""
    if card is None:
        return None
    lines = [CallLine(f"Call {card.clinic_name}", display_phone(card.phone, region=region), f"tel:{card.phone}")]
    if card.out_of_hours_phone:
        number = card.out_of_hours_phone
        lines.append(CallLine("Out of hours", display_phone(number, region=region), f"tel:{number}"))
    return CareTeamCall(card.clinic_name, card.hours, tuple(lines))
