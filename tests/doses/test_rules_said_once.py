"""Every rule number is said once, in its home (issue 14): the package doses/rules/ and the other pure
modules (triage.py, medicines.py, vaccines.py, before_you_start.py, sites.py, adherence.py), dose timing in doses/schedule.py,
and configuration in companion/settings.py. Everything else asks them.

The scan reads the source (ast) of companion/, doses/ and reminders/: a literal span of time
(`timedelta(days=14)`, `timedelta(hours=12)`) outside a home fails, unless ALLOWED names the
file and says why it is not a rule; so does a module constant of a home restated elsewhere
under its own name, or a `*_DAYS` / `*_HOURS` / `*_MINUTES` number defined outside a home.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from datetime import date
from pathlib import Path

import pytest

import doses.rules
from doses import adherence, before_you_start, medicines, schedule, sites, symptom_text, triage, vaccines
from doses.rules import catalogue, lab_checks

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("companion", "doses", "reminders")
RULE_PACKAGE = "doses/rules/"  # every module of the package is a home
HOMES = {
    "doses/triage.py",
    "doses/symptom_text.py",
    "doses/vaccines.py",
    "doses/before_you_start.py",
    "doses/medicines.py",
    "doses/sites.py",
    "doses/adherence.py",
    "doses/schedule.py",
    "companion/settings.py",  # the configured numbers (MISSED_DOSE_SKIP_WITHIN_HOURS, ...), read from the environment
}
# Not rules: demo data and benchmarks make up a history (they call the services, which ask the rules).
SKIPPED_DIRS = ("migrations", "management/commands")

# One day is "the next day" or "the day before", not a rule number; 0 is no time at all.
PLAIN_ARITHMETIC = {("days", 1), ("days", -1), ("seconds", 0), ("days", 0), ("hours", 0), ("minutes", 0)}

# (file, unit, value): why this span of time is not a rule of the medicine.
ALLOWED = {
    ("companion/form_fields.py", "days", 366): "date arithmetic margin of the input fields (overflow), not a rule",
    ("companion/models.py", "days", 7): "how long an invitation to a care circle is valid: an account policy",
    ("doses/selectors/proposals.py", "days", 14): "how long a declined proposal stays on the page: page policy",
    ("doses/selectors/today.py", "days", 2): "Today reads the slots from two days back: the span of the query",
    ("doses/selectors/today.py", "days", 3): "... to three days ahead (a zone can shift a day)",
    ("reminders/dispatch.py", "hours", 24): "the tick's catch-up reads the care alerts of the last day",
    ("reminders/feeds.py", "hours", -15): "the calendar alarm of an all-day lab event: 09:00 the day before",
    ("reminders/account_mail.py", "hours", 1): "rate limit of account e-mails: an abuse guard, not a rule",
    ("reminders/feeds.py", "seconds", 1): "a series ends one second before the midnight its regimen ends",
    ("reminders/feeds.py", "minutes", 15): "the length of a dose's calendar event: how it shows in a calendar",
    ("doses/models.py", "minutes", 20): "how old the panel's summary may get (its job runs every 15 minutes)",
}
ALLOWED_SPAN_CONSTANTS = {
    ("doses/selectors/panel.py", "PDC_DAYS"): "the panel's adherence window (90 days): a page's period",
    ("doses/selectors/patient_page.py", "PAGE_DEFAULT_DAYS"): "the patient page's default range: a page's period",
    ("doses/services/holds.py", "MAX_HOLD_DAYS"): "plausibility of a hold's end date (a year): an input limit",
}


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in HOMES or relative.startswith(RULE_PACKAGE) or any(f"/{part}/" in f"/{relative}" for part in SKIPPED_DIRS):
                continue
            yield relative, ast.parse(path.read_text(), filename=relative)


def _number(node: ast.AST) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return None if inner is None else -inner
    return None


def _is_timedelta(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "timedelta") or (
        isinstance(func, ast.Attribute) and func.attr == "timedelta"
    )


def literal_spans(tree: ast.AST) -> list[tuple[str, float, int]]:
    """(unit, value, line) of every timedelta(...) written with a literal number."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _is_timedelta(node)):
            continue
        for index, arg in enumerate(node.args):  # timedelta(days, seconds, microseconds, ...)
            value = _number(arg)
            if value is not None:
                found.append(
                    (("days", "seconds", "microseconds", "milliseconds", "minutes", "hours")[index], value, node.lineno)
                )
        for keyword in node.keywords:
            value = _number(keyword.value)
            if value is not None:
                found.append((keyword.arg, value, node.lineno))
    return found


def module_constants(tree: ast.AST) -> list[tuple[str, ast.AST, int]]:
    found = []
    for node in getattr(tree, "body", []):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                found.append((target.id, value, node.lineno))
        # class-level constants (FridgeSyringe.USABLE_FOR) are checked by the timedelta scan
    return found


def test_no_rule_span_of_time_is_written_outside_its_home():
    restated = [
        f"{path}:{line}: timedelta({unit}={value:g})"
        for path, tree in _sources()
        for unit, value, line in literal_spans(tree)
        if (unit, value) not in PLAIN_ARITHMETIC and (path, unit, value) not in ALLOWED
    ]
    assert not restated, "ask doses/rules/ (or schedule.py, triage.py...) instead of restating:\n" + "\n".join(
        restated
    )


RULE_MODULES = tuple(
    importlib.import_module(f"doses.rules.{info.name}") for info in pkgutil.iter_modules(doses.rules.__path__)
)
HOME_MODULES = (*RULE_MODULES, triage, symptom_text, medicines, vaccines, before_you_start, sites, adherence, schedule)
HOME_CONSTANTS = {
    name
    for module in HOME_MODULES
    for name, value in vars(module).items()
    if name.isupper() and not name.startswith("_") and not callable(value)
}


def test_no_rule_constant_of_a_home_is_defined_again_elsewhere():
    again = [
        f"{path}:{line}: {name}"
        for path, tree in _sources()
        for name, _value, line in module_constants(tree)
        if name in HOME_CONSTANTS
    ]
    assert not again, "a rule constant is defined in its home only; import it:\n" + "\n".join(again)


def test_no_span_of_days_or_hours_is_a_number_defined_outside_a_home():
    spans = [
        f"{path}:{line}: {name}"
        for path, tree in _sources()
        for name, value, line in module_constants(tree)
        if name.endswith(("_DAYS", "_HOURS", "_MINUTES"))
        and _number(value) is not None
        and (path, name) not in ALLOWED_SPAN_CONSTANTS
    ]
    assert not spans, "spans of time that are rules belong in doses/rules/:\n" + "\n".join(spans)


@pytest.mark.parametrize(
    "source",
    [
        "CUTOFF = timedelta(days=14)",
        "def f(now):\n    return now - timedelta(hours=12)",
        "def f(now):\n    return now - datetime.timedelta(0, 0, 0, 0, 0, 24)",
        "RECENT_INJECTIONS_DAYS = 14",
        "LAB_DUE_SOON_WITHIN_DAYS = 7",
    ],
)
def test_the_scan_catches_a_restated_rule_number(source):
    tree = ast.parse(source)
    caught = [(u, v) for u, v, _ in literal_spans(tree) if (u, v) not in PLAIN_ARITHMETIC] or [
        name
        for name, value, _ in module_constants(tree)
        if name in HOME_CONSTANTS or (name.endswith("_DAYS") and _number(value) is not None)
    ]
    assert caught


def test_the_allow_lists_name_only_what_is_still_there():
    """An allowance whose line has gone must go too, so the list never hides a new copy."""
    spans = {(path, unit, value) for path, tree in _sources() for unit, value, _ in literal_spans(tree)}
    names = {(path, name) for path, tree in _sources() for name, _v, _l in module_constants(tree)}
    assert set(ALLOWED) <= spans, set(ALLOWED) - spans
    assert set(ALLOWED_SPAN_CONSTANTS) <= names, set(ALLOWED_SPAN_CONSTANTS) - names


# ---------------------------------------------------------------------------
# AE-LABS: Today and the labs page look ahead by different spans, each named once
# ---------------------------------------------------------------------------

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "days_ahead,state,on_today",
    [
        (-1, "overdue", True),
        (0, "due", True),
        (7, "due", True),
        (8, "due", False),
        (10, "due", False),
        (14, "due", False),
        (15, "later", False),
    ],
)
def test_AE_LABS_a_count_due_soon_is_on_the_labs_page_for_two_weeks_and_on_today_for_one(days_ahead, state, on_today):
    due_on = TODAY.fromordinal(TODAY.toordinal() + days_ahead)
    assert lab_checks.lab_state(due_on, None, TODAY) == state
    assert (due_on <= lab_checks.lab_on_today_until(TODAY)) is on_today
    assert lab_checks.lab_state(due_on, TODAY, TODAY) == "done"


@pytest.mark.django_db
@pytest.mark.parametrize("days_ahead,on_today", [(7, True), (10, False)])
def test_AE_LABS_a_count_due_in_ten_days_is_due_soon_on_the_labs_page_but_not_on_today(
    world, client_for, monkeypatch, days_ahead, on_today
):
    from datetime import timedelta

    from django.urls import reverse

    from doses.models import LabTest
    from doses.selectors import records as record_selectors

    from .log_helpers import alice_in_new_york

    now = alice_in_new_york(world, monkeypatch)
    today = world.alice.local_today(now)
    LabTest.objects.filter(patient=world.alice).delete()
    due_on = today + timedelta(days=days_ahead)
    LabTest.objects.create(patient=world.alice, label="Month 1", due_on=due_on)
    page = client_for(world.alice_user).get(reverse("doses:today", args=[world.alice.pk])).content.decode()
    assert (f"Blood test due {due_on:%a %d %b}" in page) is on_today
    [row] = record_selectors.lab_tests_for_page(world.alice, today)
    assert row.status == "due"  # "Due soon" on the labs page within LAB_DUE_SOON_WITHIN_DAYS
    labs = client_for(world.alice_user).get(reverse("doses:labs", args=[world.alice.pk])).content.decode()
    assert "Due soon" in labs


# ---------------------------------------------------------------------------
# Every rule ID in the code has a test named after it (STYLE.md: test_MISS_NODOUBLE_...)
# ---------------------------------------------------------------------------

RULE_ID = re.compile(r"\b(?:DOSE|SCHED|MISS|SITE|PREP|SUPPLY|AE|IX|PRE|TRACE|TX|ACCESS)(?:-[A-Z0-9]+)+\b")


def rule_ids_in_code() -> set[str]:
    found = set(catalogue.RULES)
    for package in (*PACKAGES, "templates"):
        for path in (ROOT / package).rglob("*"):
            if path.suffix in (".py", ".html", ".txt") and "migrations" not in path.parts:
                found.update(RULE_ID.findall(path.read_text()))
    return found


def test_every_rule_id_in_the_code_has_a_test_named_after_it():
    names = [
        node.name
        for path in (ROOT / "tests").rglob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
    ]
    untested = sorted(
        rule_id
        for rule_id in rule_ids_in_code()
        if not any(re.search(rf"(^|_){rule_id.replace('-', '_')}(_|$)", name) for name in names)
    )
    assert not untested, f"rule IDs with no test named after them: {untested}"
