"""Who is in a patient's care team, for the words that say whom to call or whom a change waits for."""

from __future__ import annotations

from companion.models import CareMembership, CareRole, Patient


def clinician_names(patient: Patient) -> list[str]:
    """The clinicians of the care circle by name, longest-standing first (one query)."""
    return [
        membership.user.display_name
        for membership in CareMembership.objects.active()
        .filter(patient=patient, role=CareRole.CLINICIAN)
        .select_related("user")
        .order_by("created_at", "pk")
    ]
