"""The patient page's records over a range (patient_page_selectors.patient_records): the rows at
the edges of the range, their order, NULLs and decimals with their places, the doses of
each calendar day; and the summary cards the page shows from the stored summary."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from doses import adherence, sites
from doses.models import (
    DoseSlot,
    LabTest,
    MedicineCategory,
    OtherMedicine,
    PatientAdherenceSummary,
    Regimen,
    SideEffect,
    SupplyEvent,
)
from doses.selectors import panel as panel_selectors
from doses.selectors import patient_page as patient_page_selectors
from doses.services import summaries as summary_services
from tests.doses.dashboard_history import build_history


def _columns(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


SIDE_EFFECT_FIELDS = _columns(SideEffect)
SUPPLY_FIELDS = _columns(SupplyEvent)
LAB_FIELDS = _columns(LabTest)
MEDICINE_FIELDS = _columns(OtherMedicine)
REGIMEN_FIELDS = _columns(Regimen)


def _values(objects, names):
    return [tuple(getattr(o, n) for n in names) for o in objects]


def _awkward_records(patient, clinician, today, now):
    """Rows at the edges of the range, NULLs, quotes and decimals that must keep their places."""
    range_from = patient_page_selectors.DateRange(today - timedelta(days=29), today).bounds(patient.zone)[0]
    SideEffect.objects.create(
        patient=patient,
        symptom="other",
        description='Itch "behind" the knee; it\'s odd',
        started_on=today - timedelta(days=60),
        resolved_at=range_from,  # resolved at the first moment of the range: still shown
    )
    SideEffect.objects.create(
        patient=patient,
        symptom="headache",
        started_on=today - timedelta(days=60),
        resolved_at=range_from - timedelta(microseconds=1),  # resolved just before: not shown
    )
    SideEffect.objects.create(patient=patient, symptom="rash", started_on=today + timedelta(days=1))  # after the end
    SupplyEvent.objects.create(
        patient=patient, kind=SupplyEvent.Kind.CORRECTION, syringes=-3, occurred_at=now, note="Counted again"
    )
    SupplyEvent.objects.create(
        patient=patient,
        kind=SupplyEvent.Kind.PICKUP,
        syringes=7,
        occurred_at=range_from - timedelta(microseconds=1),  # before the range
    )
    LabTest.objects.create(
        patient=patient, label="Check A", due_on=today - timedelta(days=5), done_on=today, neutrophils_10e9_per_l="1.50"
    )
    LabTest.objects.create(patient=patient, label="Check B", due_on=today, neutrophils_10e9_per_l="2")
    LabTest.objects.create(patient=patient, label="Check C", due_on=today + timedelta(days=30))
    OtherMedicine.objects.create(
        patient=patient, name="Méthotrexate", category=MedicineCategory.IMMUNOSUPPRESSANT, started_on=today
    )
    OtherMedicine.objects.create(patient=patient, name="Amoxicillin", stopped_on=today - timedelta(days=2))
    regimen = Regimen.objects.get(patient=patient)
    Regimen.objects.filter(pk=regimen.pk).update(
        confirmed_by=clinician,
        change_reason="Weight changed",
        mg_per_kg=Decimal("1.50"),
        weight_kg_basis=Decimal("70.0"),
    )


def test_the_records_of_a_range_include_what_was_open_in_it_in_the_page_order(world):
    alice, carol = world.alice, world.carol
    now = timezone.now()
    build_history(alice, carol, days=45, now=now)
    today = alice.local_today(now)
    _awkward_records(alice, carol, today, now)
    date_range = patient_page_selectors.DateRange(today - timedelta(days=29), today)
    range_from, range_to = date_range.bounds(alice.zone)

    overview = patient_page_selectors.patient_overview(alice, date_range, now=now)

    effects = (
        SideEffect.objects.filter(patient=alice, started_on__lte=date_range.end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=range_from))
        .order_by("started_on", "pk")
    )
    assert len(effects) == 3
    assert _values(overview.side_effects, SIDE_EFFECT_FIELDS) == _values(effects, SIDE_EFFECT_FIELDS)
    supply = (
        SupplyEvent.objects.filter(patient=alice, occurred_at__gte=range_from, occurred_at__lt=range_to)
        .exclude(kind=SupplyEvent.Kind.DOSE)
        .order_by("-occurred_at", "-pk")
    )
    assert len(supply) >= 2
    assert _values(overview.supply_events, SUPPLY_FIELDS) == _values(supply, SUPPLY_FIELDS)
    labs = LabTest.objects.filter(patient=alice).order_by("due_on", "pk")
    assert _values(overview.labs, LAB_FIELDS) == _values(labs, LAB_FIELDS)
    shown_values = {lab.label: str(lab.neutrophils_10e9_per_l) for lab in overview.labs}
    assert [shown_values[label] for label in ("Check A", "Check B", "Check C")] == ["1.50", "2.00", "None"]
    medicines = OtherMedicine.objects.filter(patient=alice).order_by("stopped_on", "name")
    expected_medicines = sorted(medicines, key=lambda m: (m.stopped_on is None, m.stopped_on or today, m.name))
    assert _values(overview.medicines, MEDICINE_FIELDS) == _values(expected_medicines, MEDICINE_FIELDS)
    regimens = Regimen.objects.filter(patient=alice).select_related("confirmed_by").order_by("-version")
    assert _values(overview.regimens, REGIMEN_FIELDS) == _values(regimens, REGIMEN_FIELDS)
    assert [str(r.mg_per_kg) for r in overview.regimens] == ["1.50"]
    assert [(r.confirmed_by.full_name, r.confirmed_by.email) for r in overview.regimens] == [
        (carol.full_name, carol.email)
    ]

    per_spot = Counter(
        alice.injections.filter(taken_at__gte=range_from, taken_at__lt=range_to).values_list("site_spot", flat=True)
    )
    per_zone = Counter()
    for spot, n in per_spot.items():
        per_zone[sites.zone_of(spot).code] += n
    assert sum(per_zone.values()) > 0
    assert [(zone.code, n) for zone, n in overview.zone_counts] == [(z.code, per_zone[z.code]) for z in sites.ZONES]

    first_monday = overview.weeks[0][0].day
    slots = (
        DoseSlot.objects.filter(patient=alice, local_date__gte=first_monday, local_date__lte=date_range.end)
        .select_related("injection")
        .order_by("scheduled_at")
    )
    shown = [
        (dose.scheduled_at, dose.status, dose.taken_at, dose.site_spot, day.day)
        for week in overview.weeks
        for day in week
        for dose in day.doses
    ]
    expected = [
        (
            slot.scheduled_at,
            slot.status,
            slot.injection.taken_at if hasattr(slot, "injection") else None,
            slot.injection.site_spot if hasattr(slot, "injection") else "",
            slot.local_date,
        )
        for slot in slots
        if slot.local_date >= date_range.start
    ]
    assert len(expected) >= 30
    assert shown == expected


def test_patient_page_summary_cards_show_the_stored_measures_and_reasons(world, client_for):
    alice = world.alice
    now = timezone.now()
    build_history(alice, world.carol, days=40, now=now)  # a serious side effect and Etanercept (IX-TNF)
    summary_services.refresh_adherence_summaries(patient_ids=[alice.pk], now=now)
    summary = PatientAdherenceSummary.objects.get(patient=alice)
    html = client_for(world.carol).get(reverse("doses:patient", args=[alice.pk])).content.decode()
    cards = html[html.index('class="row summary-cards') : html.index('id="sec-calendar"')]
    taken, due = summary.adherence_30_taken, summary.adherence_30_due
    assert f"{taken} of {due} due in 30 days" in cards
    assert f"{adherence.Ratio(taken, due).percent}% / " in cards
    assert f'<dd class="fs-5 mb-0">{summary.missed_run}</dd>' in cards
    last = summary.last_dose_at.astimezone(alice.zone)
    assert f"Last dose: {last.day} {last:%b %Y %H:%M}" in cards
    assert "Needs attention" in cards
    assert "<li>Interacting medicine: Etanercept: not to be combined with anakinra" in cards
    assert '<span class="rule-id">IX-TNF</span>' in cards and '<span class="rule-id">IX-BIOLOGIC</span>' in cards  # behind "Why?", open for a clinician
    assert summary.flags and all(panel_selectors.PANEL_FLAGS[flag] in cards for flag in summary.flags)
