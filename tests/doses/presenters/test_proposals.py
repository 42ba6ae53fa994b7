"""The words about a regimen proposal (doses/presenters/proposals.py): no database."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from doses.presenters import proposals as present
from doses.presenters.today import AttentionItem, proposal_items
from doses.selectors.proposals import ProposalNotice
from tests.doses.presenters.test_today import attention


def regimen(mg: str, per_day: int = 1, interval: int = 1):
    return SimpleNamespace(
        dose_per_administration_mg=Decimal(mg), administrations_per_day=per_day, interval_days=interval
    )


def test_the_clinicians_are_named_with_or():
    assert present.clinicians_text(["Dr Reyes"]) == "Dr Reyes"
    assert present.clinicians_text(["Dr Reyes", "Dr Lin", "Dr Ode"]) == "Dr Reyes, Dr Lin or Dr Ode"
    assert present.clinicians_text([]) == "a clinician (none has joined the care circle yet)"


def test_the_dose_in_force_is_said_as_the_family_injects_it():
    assert present.dose_in_force_text(regimen("40.00")) == "40 mg"
    assert present.dose_in_force_text(regimen("20.0", per_day=2)) == "20 mg twice a day"
    assert present.dose_in_force_text(regimen("100", interval=2)) == "100 mg every other day"
    assert present.dose_in_force_text(None) == "your confirmed dose"


def test_an_open_proposal_says_whom_it_waits_for_and_what_to_keep_injecting():
    proposal = SimpleNamespace(is_open=True, daily_dose_mg=60)
    notice = ProposalNotice(proposal, ["Dr Reyes"], regimen("40"))
    assert present.proposal_notice_text(notice).waiting_text == "Waiting for Dr Reyes; keep injecting 40 mg"
    assert proposal_items(attention(proposal=notice)) == [
        AttentionItem(
            "info",
            "Regimen change waiting for the clinician",
            "Waiting for Dr Reyes; keep injecting 40 mg. The change to 60 mg a day starts only once a clinician "
            "confirms it.",
        )
    ]


def test_a_declined_proposal_gives_who_declined_and_why():
    proposal = SimpleNamespace(
        is_open=False,
        daily_dose_mg=60,
        decline_reason="Weight not confirmed.",
        decided_by=SimpleNamespace(display_name="Dr Reyes"),
    )
    (item,) = proposal_items(attention(proposal=ProposalNotice(proposal, [], regimen("40"))))
    assert item.level == "warning"
    assert item.text == "Dr Reyes declined the change to 60 mg a day: Weight not confirmed. Keep injecting 40 mg."


def test_no_notice_no_words():
    assert present.proposal_notice_text(None) is None
    assert proposal_items(attention()) == []
