"""Refusals raised by the services: the message is for the person, `field` names the form field."""

from __future__ import annotations


class DoseRefused(Exception):
    """A dose the rules refuse; the message says why (MISS-NODOUBLE, SITE-SELF, ...).

    `field` names the form field when the refusal is about one (dose_mg, fresh_syringe_used).
    """

    def __init__(self, message: str, rule_id: str = "", *, field: str | None = None):
        super().__init__(message)
        self.rule_id = rule_id
        self.field = field



class RecordRefused(Exception):
    """Input the rules refuse; the message is for the person typing, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None, rule_id: str = ""):
        super().__init__(message)
        self.field = field
        self.rule_id = rule_id
