"""Reads about regimen proposals (issue 13): what waits for the clinician, what was declined."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from companion.models import Patient

from ..models import DoseSlot, Regimen, RegimenProposal, SlotStatus
from .care_team import clinician_names

# How long Today keeps telling the family that a change was declined (and why).
DECLINE_SHOWN_FOR = timedelta(days=14)
NEXT_DOSES_SHOWN = 6  # the regimen page lists the next few doses to come


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


@dataclass(frozen=True)
class RegimenHistory:
    """The regimen page: every version, every proposal, the next doses (a fixed number of queries)."""

    versions: list[Regimen]  # newest first
    current: Regimen | None  # the version without an end
    proposals: list[RegimenProposal]  # newest first
    open_proposal: RegimenProposal | None
    next_doses: list[DoseSlot]
    notice: ProposalNotice | None


def regimen_history(patient: Patient, now: datetime | None = None) -> RegimenHistory:
    now = now or timezone.now()
    versions = list(
        Regimen.objects.filter(patient=patient)
        .select_related("entered_by", "confirmed_by", "override_by")
        .order_by("-version")
    )
    proposals = list(proposals_for(patient))
    for row in versions + proposals:
        row.patient = patient  # their facts need the zone; no query per row
    next_doses = list(
        DoseSlot.objects.filter(patient=patient, status=SlotStatus.PENDING, scheduled_at__gte=now)
        .select_related("regimen")
        .order_by("scheduled_at")[:NEXT_DOSES_SHOWN]
    )
    return RegimenHistory(
        versions=versions,
        current=next((v for v in versions if v.ends_on is None), None),
        proposals=proposals,
        open_proposal=next((p for p in proposals if p.is_open), None),
        next_doses=next_doses,
        notice=proposal_notice(patient, now),
    )
