"""Reads about regimen proposals (issue 13): what waits for the clinician, what was declined."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from companion.models import Patient

from ..models import Regimen, RegimenProposal
from .care_team import clinician_names

# How long Today keeps telling the family that a change was declined (and why).
DECLINE_SHOWN_FOR = timedelta(days=14)


@dataclass(frozen=True)
class ProposalNotice:
    """A proposal the family should hear about: one waiting, or one just declined.

    Records only: the sentences are doses/presenters/proposals.py's.
    """

    proposal: RegimenProposal
    clinicians: list[str]  # the clinicians of the care circle, by name
    in_force: Regimen | None  # the confirmed version that stays in force


def proposals_for(patient: Patient) -> QuerySet[RegimenProposal]:
    """Every proposal of the patient, open first, then newest first (the regimen history)."""
    return (
        RegimenProposal.objects.filter(patient=patient)
        .select_related("proposed_by", "decided_by", "based_on", "regimen")
        .order_by("-proposed_at", "-id")
    )


def open_proposal(patient: Patient) -> RegimenProposal | None:
    return proposals_for(patient).filter(status=RegimenProposal.Status.OPEN).first()


def proposal_notice(patient: Patient, now: datetime | None = None) -> ProposalNotice | None:
    """The open proposal, else a decline of the last DECLINE_SHOWN_FOR (newest first); None if neither.

    A decline is shown only while it is the newest proposal: a later change replaces it.
    """
    now = now or timezone.now()
    newest = proposals_for(patient).first()
    if newest is None:
        return None
    if newest.status == RegimenProposal.Status.OPEN:
        pass
    elif not (
        newest.status == RegimenProposal.Status.DECLINED
        and newest.decided_at is not None
        and newest.decided_at >= now - DECLINE_SHOWN_FOR
    ):
        return None
    return ProposalNotice(newest, clinician_names(patient), regimen_in_force(patient, now))


def regimen_in_force(patient: Patient, now: datetime) -> Regimen | None:
    """The version whose doses are given today (a newer one may be planned from a later day)."""
    today = patient.local_today(now)
    return (
        Regimen.objects.filter(patient=patient, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=today))
        .order_by("-version")
        .first()
    ) or Regimen.objects.current().filter(patient=patient).first()
