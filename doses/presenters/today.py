"""Today's words: the state of each dose, the missed-dose advice, what needs attention.

Built from doses/selectors/today.py's TodaySummary; plain functions, no query.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from .. import schedule
from ..rules import emergency_numbers
from ..selectors.today import MissedDoseAdvice, SlotView, TodayAttention, TodaySummary
from .proposals import proposal_notice_text
from .supply import SupplyBanner, supply_banner

DOSE_STATE_LABELS = {
    "done": "Done",
    "early": "Can be logged now",  # before its time: never "Due" (MISS-NODOUBLE)
    "late": "Late",
    "missed": "Missed",
    "not_taken": "Not taken",
    "upcoming": "Later",
    "held": "On hold",
}


@dataclass(frozen=True)
class AdviceText:
    """MISS-TAKE / MISS-SKIP for one late dose, in words, with the cut-off spelled out.

    The words carry no rule ID; `rule_ids` go under "Why?" ({% why %}, presenters/advice.py)."""

    action: str  # "take" or "skip"
    rule_id: str
    headline: str
    reason: str
    cut_off: str
    rule_ids: tuple[str, ...] = ()


def missed_dose_advice_text(advice: MissedDoseAdvice, *, today: date, zone: zoneinfo.ZoneInfo) -> AdviceText:
    hours, configured = advice.skip_within_hours, advice.configured_hours
    skip_from = schedule.local_when(advice.skip_from, today, zone)
    next_text = schedule.local_when(advice.next_at, today, zone)
    # The cut-off is shown to the user, as MISS-SKIP asks ("define almost time explicitly").
    cut_off = f"If your next dose is due within {schedule.hours_text(hours)}, skip the missed one."
    if hours < configured:
        cut_off += f" (Usually {schedule.hours_text(configured)}; shorter here because your doses are closer together.)"
    if advice.action == "take":
        return AdviceText(
            action="take",
            rule_id=advice.rule_id,
            headline="Take it now",
            reason=(
                "Take a missed dose as soon as you remember. "
                f"After {skip_from}, skip it instead and take the next dose at {next_text}."
            ),
            cut_off=cut_off,
            rule_ids=("MISS-TAKE", "MISS-SKIP"),
        )
    return AdviceText(
        action="skip",
        rule_id=advice.rule_id,
        headline="Skip this dose",
        reason=(
            f"Your next dose is due at {next_text}, so skip the missed one and carry on with your usual "
            "schedule. Never take a double dose to make up for a missed one."
        ),
        cut_off=cut_off,
        rule_ids=("MISS-SKIP", "MISS-NODOUBLE"),
    )


def when_text(moment: datetime, *, today: date, zone: zoneinfo.ZoneInfo) -> str:
    """'Today 08:00', 'Tomorrow 08:00' or 'Wed 2 Dec 08:00' (SCHED-TZ)."""
    local = moment.astimezone(zone)
    named = {0: "Today", 1: "Tomorrow", -1: "Yesterday"}.get((local.date() - today).days)
    return f"{named or f'{local:%a} {local.day} {local:%b}'} {local:%H:%M}"


def log_from_text(view: SlotView) -> str:
    """'06:00', or with its day when that is not the dose's own day ('22:30 today')."""
    local = view.log_from.astimezone(view.zone)
    if local.date() == view.slot.scheduled_at.astimezone(view.zone).date():
        return f"{local:%H:%M}"
    return schedule.local_when(view.log_from, view.today, view.zone)


@dataclass(frozen=True, eq=False)  # compared by identity: the template asks "is this the next dose?"
class DoseLine:
    """One dose as Today shows it: the selector's SlotView and its words."""

    view: SlotView
    label: str
    when_text: str
    log_from_text: str
    advice: AdviceText | None

    @property
    def slot(self):
        return self.view.slot

    @property
    def state(self) -> str:
        return self.view.state

    @property
    def can_mark_not_taken(self) -> bool:
        return self.view.can_mark_not_taken

    @property
    def can_log_now(self) -> bool:
        return self.view.can_log_now


def dose_line(view: SlotView) -> DoseLine:
    advice = None
    if view.advice is not None:
        advice = missed_dose_advice_text(view.advice, today=view.today, zone=view.zone)
    return DoseLine(
        view=view,
        label=DOSE_STATE_LABELS[view.state],
        when_text=when_text(view.slot.scheduled_at, today=view.today, zone=view.zone),
        log_from_text=log_from_text(view),
        advice=advice,
    )


@dataclass(frozen=True)
class AttentionItem:
    """One "Needs attention" entry: plain words; `rule_id` goes under "Why?" ({% why item %})."""

    level: str  # a Bootstrap contextual colour: danger, warning, info
    title: str
    text: str
    rule_id: str = ""
    fridge_syringe_id: int | None = None


def _mg(value) -> str:
    return f"{Decimal(value or 0).normalize():f}"


def attention_items(
    attention: TodayAttention,
    *,
    now: datetime,
    today: date,
    zone: zoneinfo.ZoneInfo,
    numbers: emergency_numbers.EmergencyNumbers = emergency_numbers.UNKNOWN,
) -> list[AttentionItem]:
    """The "Needs attention" list, most urgent kinds first, in the order Today has always shown them.

    `numbers`: the patient's country's emergency and poison numbers (AE-OVERDOSE)."""
    items: list[AttentionItem] = []
    for effect in attention.serious_effects:
        items.append(
            AttentionItem(
                "danger",
                f"Serious symptom: {effect.description or effect.symptom.replace('_', ' ')}",
                f"Logged as starting {effect.started_on:%a %d %b}. Call the doctor now if you have not "
                f"already. Trouble breathing or collapse: call {numbers.emergency_number}.",
                "AE-SERIOUS",
            )
        )
    for fridge in attention.open_fridge:
        if fridge.use_by <= now:
            items.append(
                AttentionItem(
                    "danger",
                    "Do not use the syringe out of the fridge",
                    f"It was taken out at {schedule.local_when(fridge.taken_out_at, today, zone)} and has been at room "
                    "temperature for more than 24 hours.",
                    "PREP-24H",
                    fridge.pk,
                )
            )
        else:
            items.append(
                AttentionItem(
                    "warning",
                    "A syringe is out of the fridge",
                    f"Use it by {schedule.local_when(fridge.use_by, today, zone)}.",
                    "PREP-24H",
                    fridge.pk,
                )
            )
    if attention.unconfirmed_regimen:
        items.append(
            AttentionItem(
                "info",
                "Regimen not yet confirmed",
                "A clinician has not confirmed this regimen yet. Keep following your prescription.",
            )
        )
    items += proposal_items(attention)
    for lab in attention.labs_due:
        overdue = lab.due_on < today
        items.append(
            AttentionItem(
                "warning" if overdue else "info",
                f"Blood test {'overdue since' if overdue else 'due'} {lab.due_on:%a %d %b}",
                f"Neutrophil count ({lab.label}). Keep your lab appointments.",
                "AE-LABS",
            )
        )
    above = attention.above_prescribed
    if above is not None:
        items.append(
            AttentionItem(
                "danger",
                "More than the prescribed dose was injected",
                f"{_mg(above.dose_mg)} mg at {schedule.local_when(above.taken_at, today, zone)} "
                f"(prescribed {_mg(above.prescribed_mg)} mg). Call {numbers.poison_words}. Collapse, seizure, "
                f"trouble breathing or cannot be woken up: call {numbers.emergency_number}. "
                "The care team has been alerted.",
                "AE-OVERDOSE",
            )
        )
    if attention.needs_count:
        items.append(
            AttentionItem(
                "warning",
                "Count your syringes",
                "A dose or a discarded syringe was recorded when your count was already at 0, so the count is "
                "not right. Count the syringes you have and correct the number on the supply page.",
                "SUPPLY-BOX",
            )
        )
    return items


def proposal_items(attention: TodayAttention) -> list[AttentionItem]:
    """A regimen change waiting for the clinician, or one just declined with its reason (issue 13)."""
    notice = proposal_notice_text(attention.proposal)
    if notice is None:
        return []
    proposal = notice.proposal
    if proposal.is_open:
        return [
            AttentionItem(
                "info",
                "Regimen change waiting for the clinician",
                f"{notice.waiting_text}. The change to {proposal.daily_dose_mg} mg a day starts only once a "
                "clinician confirms it.",
            )
        ]
    who = proposal.decided_by.display_name if proposal.decided_by else "The clinician"
    return [
        AttentionItem(
            "warning",
            "Regimen change declined",
            f"{who} declined the change to {proposal.daily_dose_mg} mg a day: {proposal.decline_reason} "
            f"Keep injecting {notice.dose_in_force}.",
        )
    ]


@dataclass(frozen=True)
class TodayPage:
    """Everything today.html shows: the selector's summary, each dose with its words, the attention list."""

    summary: TodaySummary
    slots: list[DoseLine]
    current: DoseLine | None
    next_dose: DoseLine | None
    attention: list[AttentionItem]

    # The rest is the summary's own (the template reads page.now, page.supply...).
    @property
    def now(self) -> datetime:
        return self.summary.now

    @property
    def today(self) -> date:
        return self.summary.today

    @property
    def regimen(self):
        return self.summary.regimen

    @property
    def sites(self):
        return self.summary.sites

    @property
    def supply(self):
        return self.summary.supply

    @property
    def recent(self):
        return self.summary.recent

    @property
    def suggested_spot_label(self) -> str:
        return self.summary.suggested_spot_label

    @property
    def supply_banner(self) -> SupplyBanner | None:
        return supply_banner(self.summary.supply, self.summary.today)


def today_page(summary: TodaySummary) -> TodayPage:
    lines = {id(view): dose_line(view) for view in summary.slots}
    for view in (summary.current, summary.next_dose):
        if view is not None and id(view) not in lines:
            lines[id(view)] = dose_line(view)
    line = lines.get
    return TodayPage(
        summary=summary,
        slots=[lines[id(view)] for view in summary.slots],
        current=line(id(summary.current)) if summary.current is not None else None,
        next_dose=line(id(summary.next_dose)) if summary.next_dose is not None else None,
        attention=attention_items(
            summary.attention,
            now=summary.now,
            today=summary.today,
            zone=summary.patient.zone,
            numbers=summary.patient.emergency_numbers,
        )
        + supply_attention(summary.supply, summary.today),
    )


def supply_attention(status, today: date) -> list[AttentionItem]:
    """SUPPLY-BOX: low supply is also a "Needs attention" line, with the run-out day."""
    banner = supply_banner(status, today)
    return [AttentionItem("warning", banner.title, banner.text, "SUPPLY-BOX")] if banner else []
