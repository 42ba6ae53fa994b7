"""The words about a regimen proposal (issue 13) for Today and the regimen page."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Regimen
from ..selectors.proposals import ProposalNotice


def clinicians_text(clinicians: list[str]) -> str:
    """ "Dr Reyes", "Dr Reyes or Dr Lin", "Dr Reyes, Dr Lin or Dr Ode"; who to wait for when there is none."""
    if not clinicians:
        return "a clinician (none has joined the care circle yet)"
    if len(clinicians) == 1:
        return clinicians[0]
    return ", ".join(clinicians[:-1]) + " or " + clinicians[-1]


def dose_in_force_text(regimen: Regimen | None) -> str:
    """The dose to keep injecting, as the family injects it: "40 mg", "20 mg twice a day"."""
    if regimen is None:
        return "your confirmed dose"
    per = f"{regimen.dose_per_administration_mg.normalize():f} mg"
    if regimen.administrations_per_day == 2:
        per += " twice a day"
    if regimen.interval_days == 2:
        per += " every other day"
    return per


@dataclass(frozen=True)
class ProposalNoticeText:
    """A ProposalNotice with its words (the template reads `proposal` for the numbers)."""

    notice: ProposalNotice
    clinician_names: str
    dose_in_force: str

    @property
    def proposal(self):
        return self.notice.proposal

    @property
    def waiting_text(self) -> str:
        """ "Waiting for Dr Reyes; keep injecting 40 mg"."""
        return f"Waiting for {self.clinician_names}; keep injecting {self.dose_in_force}"


def proposal_notice_text(notice: ProposalNotice | None) -> ProposalNoticeText | None:
    if notice is None:
        return None
    return ProposalNoticeText(notice, clinicians_text(notice.clinicians), dose_in_force_text(notice.in_force))
