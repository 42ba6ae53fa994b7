"""Plain words for the patient, the rule behind them for the "Why?" disclosure (issue 16).

A presenter returns the sentence a person reads and, beside it, the IDs of the rules it
comes from. The sentence never carries "(MISS-NODOUBLE)"; the template puts the rules in
`{% why %}` (doses/templatetags/why.py, templates/_why.html): a closed <details> for a
patient, parent or caregiver, an open one for a clinician.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from doses.rules import catalogue

# This app's own IDs a page may cite (like the ACCESS-* ones of companion/access.py), with words.
APP_RULES: dict[str, catalogue.Rule] = {
    r.id: r
    for r in [
        catalogue.Rule("TX-HOLD", "The clinician paused treatment for another reason.", "the clinician's decision"),
    ]
}


def rule(rule_id: str) -> catalogue.Rule:
    """The catalogue's rule (or this app's own); an unknown ID still shows, with no summary."""
    return catalogue.RULES.get(rule_id) or APP_RULES.get(rule_id) or catalogue.Rule(rule_id, "", "")


@dataclass(frozen=True)
class Advice:
    """A sentence for the page and the rules it comes from (shown under "Why?")."""

    text: str
    rule_ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.text

    @classmethod
    def plain(cls, text: str, *rule_ids: str) -> Advice:
        """A rule's own message ("... (DOSE-PED-MAX): ...") as plain words, its IDs kept aside."""
        words, cited = catalogue.split_rule_ids(text)
        return cls(words, tuple(dict.fromkeys((*cited, *rule_ids))))

    @property
    def rules(self) -> list[catalogue.Rule]:
        return [rule(rule_id) for rule_id in self.rule_ids]


def rules_of(*items) -> list[catalogue.Rule]:
    """The rules behind any mix of Advice, Rule, rule-ID strings, sentences citing "(RULE-ID)",
    objects (or stored dicts) with `rule_ids` or `rule_id`, and lists of those, each once, in
    the order first cited."""
    found: dict[str, catalogue.Rule] = {}

    def add(item) -> None:
        if item is None or item == "":
            return
        if isinstance(item, catalogue.Rule):
            found.setdefault(item.id, item)
        elif isinstance(item, str):
            words = item.replace(",", " ").split()
            if all(catalogue.is_rule_id(word) for word in words):  # "PREP-WARM PREP-24H"
                for rule_id in words:
                    found.setdefault(rule_id, rule(rule_id))
            else:  # a sentence that cites its rules: "... (AE-COMMON)."
                add(catalogue.split_rule_ids(item)[1])
        elif hasattr(item, "rule_ids"):
            add(tuple(item.rule_ids))
        elif hasattr(item, "rule") and isinstance(item.rule, catalogue.Rule):
            add(item.rule)
        elif hasattr(item, "rule_id"):
            add(item.rule_id)
        elif isinstance(item, Mapping):  # a stored flag: {"rule_id": ..., "text": ...}
            add(item.get("rule_ids") or item.get("rule_id"))
        elif isinstance(item, Iterable):
            for each in item:
                add(each)

    for item in items:
        add(item)
    return list(found.values())
