"""The clinician panel, the patient overview, the report and the exports, as people use them."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from companion.models import CareRole
from doses import adherence
from doses.models import DoseSlot, Regimen
from doses.selectors import panel as panel_selectors
from doses.selectors import patient_page as patient_page_selectors
from doses.services import summaries as summary_services
from tests.conftest import link, make_patient, make_user, start_adult_regimen
from tests.doses.dashboard_history import build_history

PATIENT_PAGES = ["doses:patient", "doses:report", "doses:export_csv", "doses:export_fhir"]
MAY_VIEW = {"patient", "caregiver", "clinician"}


@pytest.fixture
def alice_history(world):
    return build_history(world.alice, world.carol, days=40)


# --- permissions: every page and export, for each member of the world ------------------


@pytest.mark.parametrize("url_name", PATIENT_PAGES)
@pytest.mark.parametrize(
    "who", ["anonymous", "patient", "caregiver", "clinician", "other_clinician", "revoked_caregiver", "stranger"]
)
def test_patient_pages_and_exports_are_shown_only_to_alices_circle(world, alice_history, client_for, url_name, who):
    response = client_for(world.users()[who]).get(reverse(url_name, args=[world.alice.pk]))
    if who == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif who == "caregiver" and "export" in url_name:
        assert response.status_code == 403  # ACCESS-DOWNLOAD: until alice allows caregivers' downloads
    elif who in MAY_VIEW:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert b"Alice" not in response.content


def _panel_first_row(clinician, now):
    """What the panel view does: summarise whoever has no current row (a write), then read."""
    summary_services.refresh_expired_summaries(patients=panel_selectors.clinician_patients(clinician), now=now)
    return panel_selectors.panel_rows(clinician).rows[0]


def test_a_parent_sees_their_childs_overview(world, client_for):
    parent = make_user("dan@example.org", "Dan Parent")
    child = make_patient("Mia Child", dob=timezone.now().date() - timedelta(days=6 * 365))
    link(child, parent, CareRole.PARENT)
    response = client_for(parent).get(reverse("doses:patient", args=[child.pk]))
    assert response.status_code == 200
    assert b"Mia Child" in response.content


@pytest.mark.parametrize(
    "who", ["patient", "caregiver", "clinician", "other_clinician", "revoked_caregiver", "stranger"]
)
def test_panel_lists_only_patients_who_linked_you_as_clinician(world, alice_history, client_for, who):
    response = client_for(world.users()[who]).get(reverse("doses:panel"))
    assert response.status_code == 200
    alice_link = reverse("doses:patient", args=[world.alice.pk]).encode()
    zoe_link = reverse("doses:patient", args=[world.zoe.pk]).encode()
    assert (alice_link in response.content) == (who == "clinician")
    assert (zoe_link in response.content) == (who == "other_clinician")
    if who not in ("clinician", "other_clinician"):
        assert b"No patients in your panel yet" in response.content


def test_panel_asks_anonymous_visitors_to_sign_in(db, client_for):
    response = client_for(None).get(reverse("doses:panel"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the panel --------------------------------------------------------------------------


def _panel_names(response) -> list[str]:
    return [row.patient.display_name for row in response.context["result"].rows]


@pytest.fixture
def panel_of_three(world):
    """carol's panel: alice (flagged: serious side effect, interaction...), a steady
    patient, and a child whose regimen awaits confirmation."""
    build_history(world.alice, world.carol, days=40)
    steady = make_patient("Steady Adult")
    link(steady, world.carol, CareRole.CLINICIAN)
    build_history(steady, world.carol, days=40, pattern="T")
    steady.side_effects.all().delete()
    steady.other_medicines.all().delete()
    child = make_patient("Young Child", dob=timezone.now().date() - timedelta(days=8 * 365))
    link(child, world.carol, CareRole.CLINICIAN)
    start_adult_regimen(child, world.carol, confirmed=False)
    return world


def test_panel_shows_patients_needing_attention_first_with_their_reasons(panel_of_three, client_for):
    response = client_for(panel_of_three.carol).get(reverse("doses:panel"))
    assert _panel_names(response) == ["Alice Example", "Young Child", "Steady Adult"]
    first = response.context["result"].rows[0]
    assert {"serious", "site_reaction", "interaction"} <= set(first.flags)
    assert first.interactions == ["Etanercept"]
    assert b"Serious side effect open" in response.content
    assert b"Etanercept" in response.content


def test_panel_sorts_by_name_adherence_and_last_dose(panel_of_three, client_for):
    client = client_for(panel_of_three.carol)
    by_name = client.get(reverse("doses:panel"), {"sort": "name"})
    assert _panel_names(by_name) == ["Alice Example", "Steady Adult", "Young Child"]
    by_adherence = client.get(reverse("doses:panel"), {"sort": "adherence"})
    # The child's 3 doses are all still pending (0 logged), Alice logs 4 of 7, Steady all.
    assert _panel_names(by_adherence) == ["Young Child", "Alice Example", "Steady Adult"]
    by_last_dose = client.get(reverse("doses:panel"), {"sort": "last_dose"})
    assert _panel_names(by_last_dose)[0] == "Young Child"  # never dosed comes first


def test_panel_sorts_by_days_covered(panel_of_three, client_for):
    response = client_for(panel_of_three.carol).get(reverse("doses:panel"), {"sort": "pdc"})
    rows = response.context["result"].rows
    assert [r.patient.display_name for r in rows][-1] == "Young Child"  # no pick-ups: unknown, last
    assert rows[0].pdc.percent <= rows[1].pdc.percent


def test_panel_filters_by_flag_indication_age_and_name(panel_of_three, client_for):
    client = client_for(panel_of_three.carol)
    assert _panel_names(client.get(reverse("doses:panel"), {"flag": "awaiting"})) == ["Young Child"]
    assert _panel_names(client.get(reverse("doses:panel"), {"flag": "serious"})) == ["Alice Example"]
    assert _panel_names(client.get(reverse("doses:panel"), {"age": "child"})) == ["Young Child"]
    assert _panel_names(client.get(reverse("doses:panel"), {"age": "adult", "sort": "name"})) == [
        "Alice Example",
        "Steady Adult",
    ]
    assert _panel_names(client.get(reverse("doses:panel"), {"q": "stead"})) == ["Steady Adult"]
    assert _panel_names(client.get(reverse("doses:panel"), {"indication": "CAPS"})) == []
    nobody = client.get(reverse("doses:panel"), {"q": "nobody"})
    assert b"No patient matches these filters" in nobody.content


def test_panel_paginates_25_a_page(world, client_for):
    for n in range(27):
        link(make_patient(f"Patient {n:02d}"), world.carol, CareRole.CLINICIAN)
    client = client_for(world.carol)
    first = client.get(reverse("doses:panel"), {"sort": "name"})
    assert len(first.context["result"].rows) == 25
    second = client.get(reverse("doses:panel"), {"sort": "name", "page": 2})
    assert _panel_names(second) == ["Patient 24", "Patient 25", "Patient 26"]  # after Alice and 00-23
    assert b"Page 2 of 2" in second.content


def test_panel_measures_match_the_pure_functions(world, alice_history):
    now = timezone.now()
    row = _panel_first_row(world.carol, now)
    facts = [
        adherence.SlotFact(s.scheduled_at, s.status, s.local_date) for s in DoseSlot.objects.filter(patient=world.alice)
    ]
    assert row.adherence_30 == adherence.dose_adherence(facts, now=now, days=30)
    assert row.adherence_90 == adherence.dose_adherence(facts, now=now, days=90)
    assert row.missed_run == adherence.missed_run(facts, now=now)
    assert row.adherence_30.denominator > 0


def test_revoked_clinician_link_drops_the_patient_from_the_panel(world, alice_history, client_for):
    world.alice.memberships.filter(user=world.carol).update(revoked_at=timezone.now())
    response = client_for(world.carol).get(reverse("doses:panel"))
    assert _panel_names(response) == []


# --- the patient page -------------------------------------------------------------------


def test_overview_shows_calendar_with_shapes_letters_and_a_text_table(world, alice_history, client_for):
    response = client_for(world.bob).get(reverse("doses:patient", args=[world.alice.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    # Each state has its own shape and letter, and the legend says it in words.
    for css, letter in [("cal-taken", "✓"), ("cal-late", "L"), ("cal-missed", "M"), ("cal-not_taken", "N")]:
        assert f'class="cal {css}"' in html
        assert f">{letter}</text>" in html
    assert "<polygon" in html and "<rect" in html and "<circle" in html
    assert "Taken late (over 2 hours)" in html
    # The text alternative lists the reason for a dose not taken.
    assert "Not taken" in html and "Side effect" in html
    assert 'role="img"' in html
    assert "Doses logged per week" in html
    # Issue 16 (point 6): side effects by their label, the family's words beside it, each linked to its
    # page; the rule ID only inside "Why?".
    assert "Fever (high temperature)" in html and "Fever and chills" in html and "Serious: call the doctor" in html
    assert "Redness where I injected" in html and "site_redness" not in html
    for effect in world.alice.side_effects.all():
        assert reverse("doses:side_effect_detail", args=[world.alice.pk, effect.pk]) in html
    assert "(AE-SERIOUS)" not in html and '<details class="why">' in html and "<summary>Why?</summary>" in html
    assert "Stomach, left of the navel" in html
    assert "Picked up" in html
    assert "Regimen history" in html and "v1" in html
    assert "Before starting" in html  # the neutrophil checks (AE-LABS)
    assert "style=" not in html and "<script>" not in html  # the CSP forbids inline styles and scripts


def test_overview_for_a_chosen_period(world, alice_history, client_for):
    today = world.alice.local_today()
    start = today - timedelta(days=13)
    response = client_for(world.carol).get(
        reverse("doses:patient", args=[world.alice.pk]), {"start": start.isoformat(), "end": today.isoformat()}
    )
    overview = response.context["o"]
    assert overview.range == patient_page_selectors.DateRange(start, today)
    assert len(overview.records.calendar_days) == 14


@pytest.mark.parametrize("url_name", PATIENT_PAGES)
@pytest.mark.parametrize(
    "query, reason",
    [
        ({"start": "2026-13-01"}, "is not a date"),
        ({"start": "yesterday"}, "is not a date"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "is after the end date"),
        ({"end": "2999-01-01"}, "is in the future"),
        ({"start": "2000-01-01", "end": "2026-01-01"}, "choose at most"),
    ],
)
def test_a_bad_period_is_refused_with_a_reason(world, client_for, url_name, query, reason):
    response = client_for(world.carol).get(reverse(url_name, args=[world.alice.pk]), query)
    assert response.status_code == 400
    assert reason in response.content.decode()
    # What was typed is kept in the form.
    assert query.get("start", "") in response.content.decode()


# --- exports --------------------------------------------------------------------------


def test_csv_export_lists_doses_and_side_effects_in_the_range(world, alice_history, client_for):
    today = world.alice.local_today()
    response = client_for(world.carol).get(
        reverse("doses:export_csv", args=[world.alice.pk]),
        {"start": (today - timedelta(days=29)).isoformat(), "end": today.isoformat()},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    doses = [r for r in rows if r["record"] == "dose"]
    effects = [r for r in rows if r["record"] == "side_effect"]
    assert {r["status"] for r in doses} >= {"Taken", "Missed", "Not taken"}
    assert all((today - timedelta(days=29)).isoformat() <= r["local_date"] <= today.isoformat() for r in doses)
    assert {r["description"] for r in effects} == {"Fever and chills", "Redness at the site"}
    taken = next(r for r in doses if r["status"] == "Taken")
    assert taken["taken_at"][-6:] in ("+00:00", "+01:00")  # local time with its zone offset (SCHED-TZ)
    not_taken = next(r for r in doses if r["status"] == "Not taken")
    assert not_taken["not_taken_reason"] == "Side effect"


def test_csv_export_neutralises_spreadsheet_formulas(world, alice_history, client_for):
    world.alice.side_effects.update(description='=HYPERLINK("http://evil")')
    response = client_for(world.carol).get(reverse("doses:export_csv", args=[world.alice.pk]))
    assert "'=HYPERLINK" in response.content.decode()


def test_report_is_printable_and_lists_every_dose(world, alice_history, client_for):
    response = client_for(world.alice_user).get(reverse("doses:report", args=[world.alice.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Every dose in the period" in html
    assert "Print" in html
    assert response.context["report"] is True


def test_awaiting_regimen_is_flagged_on_the_overview(world, client_for):
    start_adult_regimen(world.alice, world.alice_user, confirmed=False)
    assert Regimen.objects.get(patient=world.alice).status == Regimen.Status.AWAITING_CONFIRMATION
    response = client_for(world.carol).get(reverse("doses:patient", args=[world.alice.pk]))
    assert "Regimen awaiting confirmation" in response.content.decode()


@pytest.mark.parametrize("pattern, expected_run", [("T", 0), ("TTTMNM", None), ("MMMMT", None), ("M", None)])
def test_panel_missed_run_matches_the_pure_function(world, pattern, expected_run):
    build_history(world.alice, world.carol, days=20, pattern=pattern)
    now = timezone.now()
    row = _panel_first_row(world.carol, now)
    facts = [adherence.SlotFact(s.scheduled_at, s.status) for s in DoseSlot.objects.filter(patient=world.alice)]
    assert row.missed_run == adherence.missed_run(facts, now=now)
    if expected_run is not None:
        assert row.missed_run == expected_run
    if pattern == "M":
        assert row.missed_run >= 19 and "missed_run" in row.flags


def test_patient_page_lists_regimen_labs_and_medicines_as_stored(world, client_for):
    """Decimals keep their places, the confirming clinician's name shows, stopped
    medicines come before current ones."""
    from decimal import Decimal

    from doses.models import LabTest, MedicineCategory, OtherMedicine

    alice, today = world.alice, world.alice.local_today()
    start_adult_regimen(alice, world.carol)
    LabTest.objects.create(
        patient=alice, label="Month 1", due_on=today - timedelta(days=5), done_on=today, neutrophils_10e9_per_l="1.50"
    )
    LabTest.objects.create(patient=alice, label="Month 2", due_on=today - timedelta(days=1))
    OtherMedicine.objects.create(patient=alice, name="Etanercept", category=MedicineCategory.TNF_ANTAGONIST)
    OtherMedicine.objects.create(patient=alice, name="Amoxicillin", stopped_on=today - timedelta(days=2))
    html = client_for(world.carol).get(reverse("doses:patient", args=[alice.pk])).content.decode()
    regimen = Regimen.objects.get(patient=alice)
    assert regimen.daily_dose_mg == Decimal("100.0")
    assert f"<td data-label=\"Dose\">{regimen.describe()}</td>" in html  # a card on a phone (issue 16)
    assert f"Confirmed by {world.carol}" in html
    assert '<td class="text-end">1.50</td>' in html
    assert "Month 2</th><td>" in html and "overdue" in html
    medicines = html[html.index('id="sec-medicines"') :]
    assert medicines.index("Amoxicillin") < medicines.index("Etanercept")
    assert "not to be combined with anakinra" in medicines


# --- what the calendar, its legend and its text alternative show ------------------------


def _page(client, patient, **query) -> str:
    response = client.get(reverse("doses:patient", args=[patient.pk]), query)
    assert response.status_code == 200
    return response.content.decode()


def test_every_day_of_the_range_draws_the_symbol_of_its_state(world, alice_history, client_for):
    import re

    html = _page(client_for(world.carol), world.alice)
    records = patient_page_selectors.patient_records(
        world.alice, patient_page_selectors.parse_date_range(None, None, today=world.alice.local_today())
    )
    drawn = re.findall(r'<g class="cal-day"><title>([^<]*)</title><use href="#cal-(\w+)" x=', html)
    assert [state for _title, state in drawn] == [day.state for day in records.calendar_days]
    assert len(drawn) == 90
    assert drawn[-1][0].startswith(f"{world.alice.local_today():%a %d %b %Y}: ")
    symbols = set(re.findall(r'<symbol id="cal-(\w+)" class="cal cal-\1"', html))
    assert {state for _title, state in drawn} <= symbols == set(adherence.DAY_STATES)
    not_taken = next(title for title, state in drawn if state == "not_taken")
    assert not_taken.endswith(": Not taken (reason given) (Side effect)")


def test_the_legend_names_every_state_beside_its_symbol(world, alice_history, client_for):
    from doses import charts

    html = _page(client_for(world.carol), world.alice)
    legend = html[html.index('aria-label="Calendar legend"') : html.index("</ul>", html.index("Calendar legend"))]
    for state, (_shape, _letter, words) in charts.DAY_STYLES.items():
        assert f'<use href="#cal-{state}" width="22" height="22"/></svg> {words}</li>' in legend


def test_the_text_alternative_has_a_row_per_dose_and_per_day_without_one(world, alice_history, client_for):
    html = _page(client_for(world.carol), world.alice)
    table = html[html.index("<caption>Doses day by day") : html.index("</table>", html.index("Doses day by day"))]
    today = world.alice.local_today()
    doses = DoseSlot.objects.filter(patient=world.alice, local_date__gte=today - timedelta(days=89), local_date__lte=today)
    days_with_doses = {slot.local_date for slot in doses}
    assert table.count('<tr><th scope="row">') == doses.count() + 90 - len(days_with_doses)
    assert table.count("No dose scheduled") == 90 - len(days_with_doses)
    assert "<td>08:00</td><td>Not taken</td><td></td><td>Side effect</td>" in table
    assert "<td>08:00</td><td>Taken (late)</td><td>11:00</td>" in table


def test_text_typed_by_people_is_escaped_on_the_page(world, alice_history, client_for):
    world.alice.side_effects.update(description='<script>alert("x")</script>')
    html = _page(client_for(world.carol), world.alice)
    assert "<script>alert" not in html
    # The record's tables are a Jinja2 partial: markupsafe writes a quote as &#34; (Django: &quot;).
    assert re.search(r"&lt;script&gt;alert\((&quot;|&#34;)x(&quot;|&#34;)\)&lt;/script&gt;", html)


def test_a_panel_row_links_the_patient_and_shows_the_measures(panel_of_three, client_for):
    response = client_for(panel_of_three.carol).get(reverse("doses:panel"))
    html = response.content.decode()
    alice = response.context["result"].rows[0]
    shown = alice.display
    assert f'<a href="{reverse("doses:patient", args=[alice.patient.pk])}">Alice Example</a>' in html
    assert f'<span class="visually-hidden">Score {alice.score}: </span>' in html
    assert f"{shown.adherence_30_percent}%</span> / {shown.adherence_90_percent}%" in html
    assert "<li class=\"text-body-secondary\">(Etanercept)</li>" in html
