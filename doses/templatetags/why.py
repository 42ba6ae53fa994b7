"""`{% why advice %}`: the "Why?" disclosure with the rules behind a sentence (issue 16).

Accepts Advice, catalogue Rules, rule-ID strings ("PREP-WARM PREP-24H"), objects with
`rule_ids` / `rule_id`, and lists of those. A clinician gets it open (the IDs at a glance);
a patient, parent or caregiver gets it closed, so the sentences read as plain words.
"""

from __future__ import annotations

from django import template

from companion.models import CareRole
from doses.rules import catalogue

from ..presenters.advice import rules_of

register = template.Library()


def viewer_is_clinician(context) -> bool:
    """The role patient_for found (patient.access_role), or the view's `viewer_role`; on a page
    about no patient (the calculator on its own), whether the person is a clinician anywhere."""
    role = context.get("viewer_role")
    if role is None:
        role = getattr(context.get("patient"), "access_role", None)
    if role is None:
        return bool(context.get("nav_is_clinician"))
    return role == CareRole.CLINICIAN


@register.inclusion_tag("_why.html", takes_context=True)
def why(context, *items, label: str = "Why?"):
    return {"rules": rules_of(*items), "open": viewer_is_clinician(context), "label": label}


@register.filter
def plain(text: str) -> str:
    """A stored or rule-written sentence without its "(RULE-ID)" citations (a flag's text)."""
    return catalogue.without_rule_ids(str(text))


@register.filter
def cited(text: str) -> tuple[str, ...]:
    """The rule IDs a sentence cites, for `{% why text|cited %}`."""
    return catalogue.split_rule_ids(str(text))[1]
