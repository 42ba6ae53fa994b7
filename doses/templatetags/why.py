"""`{% why advice %}`: the "Why?" disclosure with the rules behind a sentence (issue 16).

Accepts Advice, catalogue Rules, rule-ID strings ("PREP-WARM PREP-24H"), objects with
`rule_ids` / `rule_id`, and lists of those. A clinician gets it open (the IDs at a glance);
a patient, parent or caregiver gets it closed, so the sentences read as plain words.
"""

from __future__ import annotations

from django import template

from companion.models import CareRole

from ..presenters.advice import rules_of

register = template.Library()


def viewer_is_clinician(context) -> bool:
    """The role patient_for found (patient.access_role), or the view's `viewer_role`."""
    role = context.get("viewer_role")
    if role is None:
        role = getattr(context.get("patient"), "access_role", "")
    return role == CareRole.CLINICIAN


@register.inclusion_tag("_why.html", takes_context=True)
def why(context, *items, label: str = "Why?"):
    return {"rules": rules_of(*items), "open": viewer_is_clinician(context), "label": label}
