"""SCHED-RENAL (issue 15, part 1): kidney function recorded as a result, estimated for adults,
entered for children, flagged to the clinician on a daily regimen, never applied by itself."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from doses.models import CareAlert, KidneyFunction, Regimen
from doses.selectors.panel import compute_adherence_summaries
from doses.services import kidney as kidney_services
from doses.services.refusals import RecordRefused
from tests.conftest import make_patient, start_adult_regimen


def record(world, patient=None, **fields):
    patient = patient or world.alice
    fields.setdefault("measured_on", patient.local_today())
    return kidney_services.record_kidney_function(patient=patient, by=world.carol, **fields)


def test_SCHED_RENAL_serum_creatinine_in_umol_is_stored_in_both_units_with_the_estimate_and_its_inputs(world):
    # alice: born 17 May 1980, 70 kg. On 1 Jun 2026 she is 46: (140 - 46) x 70 / (72 x 1.13) = 6580 / 81.36
    # = 80.87; x 0.85 = 68.74 -> 68.7 mL/min. 100 µmol/L / 88.42 = 1.131 -> 1.13 mg/dL.
    recorded = record(
        world,
        kind=KidneyFunction.Kind.CREATININE,
        measured_on=date(2026, 6, 1),
        creatinine_value=Decimal("100"),
        creatinine_unit="umol_l",
        sex="female",
    )
    m = recorded.measurement
    assert (m.creatinine_value, m.creatinine_unit, m.creatinine_mg_dl) == (Decimal("100"), "umol_l", Decimal("1.13"))
    assert (m.age_years, m.weight_kg, m.sex) == (46, Decimal("70.0"), "female")
    assert m.clearance_ml_min == Decimal("68.7")
    assert recorded.alert is None


def test_SCHED_RENAL_a_clearance_of_22_on_a_daily_regimen_alerts_the_clinician_and_changes_nothing(world):
    regimen = start_adult_regimen(world.alice, world.carol)
    # (140 - 46) x 40 / (72 x 2.0) = 3760 / 144 = 26.11; x 0.85 = 22.19 -> 22.2 mL/min.
    recorded = record(
        world,
        kind=KidneyFunction.Kind.CREATININE,
        measured_on=date(2026, 6, 1),
        creatinine_value=Decimal("2.0"),
        creatinine_unit="mg_dl",
        sex="female",
        weight_kg=Decimal("40"),
    )
    assert recorded.measurement.clearance_ml_min == Decimal("22.2")
    alert = CareAlert.objects.get(patient=world.alice, kind=CareAlert.Kind.RENAL_INTERVAL)
    assert alert.rule_id == "SCHED-RENAL"
    assert "22.2 mL/min (estimated from serum creatinine)" in alert.summary
    assert "consider every other day" in alert.summary
    # Never silently: the regimen in force is still daily, and no new version exists.
    assert list(Regimen.objects.filter(patient=world.alice).values_list("pk", "interval_days")) == [(regimen.pk, 1)]
    summary = compute_adherence_summaries([world.alice], timezone.now())[world.alice.pk]
    assert "renal" in summary.flags


def test_SCHED_RENAL_end_stage_renal_disease_on_a_daily_regimen_is_flagged(world):
    start_adult_regimen(world.alice, world.carol)
    recorded = record(world, kind=KidneyFunction.Kind.END_STAGE)
    assert recorded.measurement.clearance_ml_min is None
    assert recorded.alert is not None and "End-stage renal disease" in recorded.alert.summary


def test_SCHED_RENAL_a_low_clearance_on_an_every_other_day_regimen_raises_nothing(world):
    start_adult_regimen(world.alice, world.carol, interval_days=2)
    recorded = record(world, kind=KidneyFunction.Kind.CLEARANCE, clearance_ml_min=Decimal("22"))
    assert recorded.alert is None
    summary = compute_adherence_summaries([world.alice], timezone.now())[world.alice.pk]
    assert "renal" not in summary.flags


def test_SCHED_RENAL_a_clearance_of_30_or_more_raises_nothing(world):
    start_adult_regimen(world.alice, world.carol)
    assert record(world, kind=KidneyFunction.Kind.CLEARANCE, clearance_ml_min=Decimal("30")).alert is None


def test_SCHED_RENAL_a_childs_serum_creatinine_is_not_estimated_the_clinician_enters_the_clearance(world):
    child = make_patient(
        "Sam Child", dob=date(2019, 2, 1), weight_kg=Decimal("20"), weight_measured_on=date(2026, 1, 1)
    )
    with pytest.raises(RecordRefused) as refused:
        record(
            world,
            child,
            kind=KidneyFunction.Kind.CREATININE,
            creatinine_value=Decimal("0.4"),
            creatinine_unit="mg_dl",
            sex="male",
        )
    assert "For a child, the clinician enters the creatinine clearance" in str(refused.value)
    recorded = record(world, child, kind=KidneyFunction.Kind.CLEARANCE, clearance_ml_min=Decimal("25"))
    assert recorded.measurement.clearance_ml_min == Decimal("25.0") and recorded.measurement.age_years is None


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"creatinine_value": Decimal("80"), "creatinine_unit": "mg_dl", "sex": "male"}, "creatinine_value", "µmol/L"),
        ({"creatinine_value": Decimal("1.1"), "creatinine_unit": "mg_dl"}, "sex", "0.85"),
        ({"creatinine_unit": "mg_dl", "sex": "male"}, "creatinine_value", "Enter the serum creatinine"),
    ],
)
def test_SCHED_RENAL_refused_results_save_nothing_and_name_the_field(world, fields, field, says):
    with pytest.raises(RecordRefused) as refused:
        record(world, kind=KidneyFunction.Kind.CREATININE, **fields)
    assert refused.value.field == field and says in str(refused.value)
    assert not KidneyFunction.objects.exists()


def test_SCHED_RENAL_a_result_cannot_be_dated_in_the_future(world):
    with pytest.raises(RecordRefused) as refused:
        record(
            world,
            kind=KidneyFunction.Kind.END_STAGE,
            measured_on=world.alice.local_today() + timedelta(days=1),
        )
    assert refused.value.field == "measured_on"
