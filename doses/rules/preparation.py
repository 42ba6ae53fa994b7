"""Pre-injection checks (PREP-WARM, PREP-24H, PREP-LOOK, PREP-ONCE, SITE-VEIN)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrepCheck:
    key: str
    rule_id: str
    question: str  # phrased so that "yes" is the safe answer
    if_no: str  # what to do when the answer is "no", with the rule ID (records and write-offs keep it)
    discard: bool  # True: "no" means this syringe must not be used at all
    short: str = ""  # the compact question of the log form's row; the full question is behind "Why?"

    @property
    def advice(self) -> str:
        """What to do after a "No", in plain words: the rule ID goes in the "Why?" beside it."""
        return self.if_no.replace(f" ({self.rule_id})", "")


PREP_CHECKS: tuple[PrepCheck, ...] = (
    # ACR, MedlinePlus: store in the fridge, warm to room temperature before use.
    PrepCheck(
        "warm",
        "PREP-WARM",
        "Has the syringe warmed up to room temperature?",
        "Wait until the syringe has warmed up to room temperature, then inject (PREP-WARM).",
        False,
        short="Warmed to room temperature?",
    ),
    # MedlinePlus: do not use a syringe that has been at room temperature for more than 24 hours.
    PrepCheck(
        "under_24h",
        "PREP-24H",
        "Has it been out of the fridge for less than 24 hours?",
        "Do not use this syringe: it has been at room temperature for more than 24 hours (PREP-24H).",
        True,
        short="Out of fridge under 24 hours?",
    ),
    # MedlinePlus: do not use if discoloured, cloudy, or if something is floating in it.
    PrepCheck(
        "clear",
        "PREP-LOOK",
        "Is the liquid clear: not cloudy, not discoloured, nothing floating in it?",
        "Do not use this syringe: the liquid is cloudy, discoloured or has something floating in it (PREP-LOOK).",
        True,
        short="Liquid clear, nothing floating?",
    ),
    # MedlinePlus: do not shake; if foamy, let it sit a few minutes until it clears.
    PrepCheck(
        "not_foamy",
        "PREP-LOOK",
        "Is the liquid free of foam? (Never shake it; let any foam settle.)",
        "Do not shake the syringe. If it is foamy, let it sit for a few minutes until it clears (PREP-LOOK).",
        False,
        short="No foam in it?",
    ),
    # MedlinePlus: each syringe is used once; leftover solution is not injected.
    PrepCheck(
        "unused",
        "PREP-ONCE",
        "Is it a new syringe that has not been used before?",
        "Do not use this syringe: each syringe is used only once (PREP-ONCE). Put it in the sharps container.",
        True,
        short="A new, unused syringe?",
    ),
    # MedlinePlus: do not inject near a vein that you can see under the skin.
    PrepCheck(
        "no_vein",
        "SITE-VEIN",
        "Is the chosen spot away from any vein you can see under the skin?",
        "Choose another spot, about 2.5 cm (1 inch) away, where no vein shows under the skin (SITE-VEIN).",
        False,
        short="Spot away from visible veins?",
    ),
)
PREP_CHECKS_BY_KEY: dict[str, PrepCheck] = {check.key: check for check in PREP_CHECKS}


@dataclass(frozen=True)
class PrepOutcome:
    discard: tuple[PrepCheck, ...]  # failed checks that mean "do not use this syringe"
    wait: tuple[PrepCheck, ...]  # failed checks that a short wait or another spot fixes

    @property
    def ok(self) -> bool:
        return not self.discard and not self.wait


def prep_check_outcome(answers: dict[str, bool]) -> PrepOutcome:
    """PREP-*: which checks failed, split into "discard this syringe" and "wait / move".

    A missing answer counts as failed: the checklist is answered before every injection.
    """
    failed = [check for check in PREP_CHECKS if not answers.get(check.key)]
    return PrepOutcome(
        discard=tuple(c for c in failed if c.discard),
        wait=tuple(c for c in failed if not c.discard),
    )
