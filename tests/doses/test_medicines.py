"""Other medicines, vaccines, the before-you-start checklist and labs (IX-*, PRE-*, AE-INFECTION,
AE-ALLERGY, AE-LABS, ONSET, CAPS-EARLY): the rules in doses/medicines.py and their services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from doses import before_you_start as start_checks
from doses import medicines
from doses import vaccines as vaccine_rules
from doses.medicines import BIOLOGIC, IMMUNO, OTHER, TNF
from doses.models import BaselineChecklist, CareAlert, LabTest, OtherMedicine, Vaccination
from doses.services import records as record_services
from doses.services import refusals
from tests.conftest import link, make_patient

# --- medicine rules (no database) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["etanercept", "Enbrel 50 mg", "infliximab", "Remicade", "adalimumab-atto", "HUMIRA pen", "Cimzia", "golimumab"],
)
def test_IX_TNF_tnf_blockers_are_recognised_by_generic_or_brand_name(name):
    advice = medicines.classify_medicine(name)
    assert advice.category == TNF and advice.rule_id == "IX-TNF"
    assert advice.flag_clinician and advice.level == "danger"
    assert "neutropenia" in advice.message and "serious infections" in advice.message


@pytest.mark.parametrize("name", ["abatacept", "Actemra", "rituximab", "canakinumab (Ilaris)", "Stelara", "Cosentyx"])
def test_IX_BIOLOGIC_other_biologics_warn_and_flag(name):
    advice = medicines.classify_medicine(name)
    assert advice.category == BIOLOGIC and advice.rule_id == "IX-BIOLOGIC" and advice.flag_clinician
    assert "same time as other biologics" in advice.message


@pytest.mark.parametrize("name", ["azathioprine", "Neoral", "ciclosporin", "methotrexate", "sirolimus", "Prograf"])
def test_IX_IMMUNO_immunosuppressants_say_tell_your_doctor_without_a_flag(name):
    advice = medicines.classify_medicine(name)
    assert advice.category == IMMUNO and advice.rule_id == "IX-IMMUNO"
    assert not advice.flag_clinician and advice.level == "warning"
    assert "Tell your doctor" in advice.message


def test_IX_IMMUNO_methotrexate_is_usual_with_anakinra_in_RA():
    assert "methotrexate together with anakinra is usual" in medicines.classify_medicine("Methotrexate").message
    assert "usual" not in medicines.classify_medicine("azathioprine").message


def test_a_recognised_name_wins_over_a_chosen_other_category():
    assert medicines.classify_medicine("Humira", chosen_category=OTHER).category == TNF


def test_an_unknown_name_takes_the_chosen_category():
    assert medicines.classify_medicine("NewMab", chosen_category=BIOLOGIC).rule_id == "IX-BIOLOGIC"
    assert medicines.classify_medicine("paracetamol").category == OTHER


def test_names_match_whole_words_only():
    assert medicines.classify_medicine("humiraxx").category == OTHER


# --- vaccine rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["MMR", "measles", "Yellow fever", "FluMist", "nasal flu", "varicella", "BCG", "Vivotif", "Rotarix"]
)
def test_IX_LIVE_VACCINE_live_vaccines_are_recognised_whatever_the_answer(name):
    advice = vaccine_rules.classify_vaccine(name, "no")
    assert advice.is_live and advice.certain and advice.level == "danger"
    assert "IX-LIVE-VACCINE" in advice.message


@pytest.mark.parametrize("name", ["flu jab", "Shingrix", "COVID-19", "tetanus", "Prevnar 13"])
def test_IX_LIVE_VACCINE_non_live_vaccines_still_say_check_with_the_doctor(name):
    advice = vaccine_rules.classify_vaccine(name, "unsure")
    assert not advice.is_live
    assert "check with your doctor" in advice.message


@pytest.mark.parametrize("name", ["flu", "influenza", "typhoid", "polio", "shingles", "Something Else"])
def test_IX_LIVE_VACCINE_when_it_depends_the_answer_decides_and_not_sure_counts_as_live(name):
    assert vaccine_rules.classify_vaccine(name, "yes").is_live
    assert not vaccine_rules.classify_vaccine(name, "no").is_live
    unsure = vaccine_rules.classify_vaccine(name, "unsure")
    assert unsure.is_live and not unsure.certain


@pytest.mark.parametrize(
    "name,covers",
    [("Prevnar 20", {"pneumococcal"}), ("Pneumovax", {"pneumococcal"}), ("ActHIB", {"hib"}), ("Vaxelis", {"hib"})],
)
def test_PRE_CHILD_VACCINE_pneumococcal_and_hib_vaccines_are_recognised(name, covers):
    advice = vaccine_rules.classify_vaccine(name)
    assert advice.covers == covers and "PRE-CHILD-VACCINE" in advice.rule_ids


# --- before you start ---------------------------------------------------------------------------

NO_ANSWERS = {
    "active_infection": False,
    "ecoli_protein_allergy": False,
    "latex_allergy": False,
    "pregnant_or_breastfeeding": False,
    "is_child": False,
    "pneumococcal_vaccinated": None,
    "hib_vaccinated": None,
}


def findings(**answers):
    return start_checks.baseline_findings(**{**NO_ANSWERS, **answers})


def test_no_findings_for_an_adult_with_nothing_to_report():
    assert findings() == []


def test_AE_INFECTION_an_active_infection_means_tell_the_doctor_before_starting():
    [finding] = findings(active_infection=True)
    assert finding.rule_id == "AE-INFECTION" and finding.level == "danger"
    assert "not recommended with a severe active infection" in finding.message


def test_AE_ALLERGY_ecoli_protein_allergy_means_do_not_start_and_latex_means_tell():
    result = findings(ecoli_protein_allergy=True, latex_allergy=True)
    assert [(f.rule_id, f.level) for f in result] == [("AE-ALLERGY", "danger"), ("AE-ALLERGY", "warning")]
    assert "must not be used" in result[0].message and "latex" in result[1].message


def test_PRE_PREGNANCY_pregnancy_or_breastfeeding_means_discuss_with_the_doctor():
    [finding] = findings(pregnant_or_breastfeeding=True)
    assert finding.rule_id == "PRE-PREGNANCY"
    assert "benefit justifies the risk" in finding.message and "breast-feeding" in finding.message


@pytest.mark.parametrize(
    "pneumo,hib,missing",
    [(None, None, "pneumococcal and Hib"), (True, False, "Hib"), (False, True, "pneumococcal"), (True, True, None)],
)
def test_PRE_CHILD_VACCINE_a_child_without_both_vaccines_is_told(pneumo, hib, missing):
    result = findings(is_child=True, pneumococcal_vaccinated=pneumo, hib_vaccinated=hib)
    if missing is None:
        assert result == []
    else:
        [finding] = result
        assert finding.rule_id == "PRE-CHILD-VACCINE"
        assert f"Not confirmed: {missing} vaccination" in finding.message
        assert "antibiotics" in finding.message


def test_PRE_CHILD_VACCINE_adults_are_not_asked():
    assert findings(is_child=False, pneumococcal_vaccinated=False) == []


def test_PRE_SURGERY_the_information_tells_surgeons_and_dentists():
    [item] = [i for i in start_checks.INFORMATION if i.rule_id == "PRE-SURGERY"]
    assert "surgeon or dentist" in item.why


def test_ONSET_and_CAPS_EARLY_notes_follow_the_indication():
    assert start_checks.onset_notes("RA") == [start_checks.ONSET_RA]
    assert "4 to 6 weeks" in start_checks.ONSET_RA
    caps = start_checks.onset_notes("CAPS")
    assert start_checks.ONSET_AUTOINFLAMMATORY in caps and start_checks.CAPS_EARLY in caps
    assert "within hours" in start_checks.ONSET_AUTOINFLAMMATORY and "lifelong" in start_checks.CAPS_EARLY


# --- services -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_IX_TNF_recording_a_tnf_blocker_raises_an_interaction_alert(world):
    recorded = record_services.record_medicine(patient=world.alice, name="infliximab", by=world.bob)
    assert recorded.medicine.category == TNF and recorded.medicine.is_interaction
    assert recorded.alert.kind == CareAlert.Kind.INTERACTION and recorded.alert.rule_id == "IX-TNF"


@pytest.mark.django_db
def test_IX_BIOLOGIC_recording_a_biologic_raises_an_interaction_alert(world):
    recorded = record_services.record_medicine(patient=world.alice, name="Orencia", by=world.bob)
    assert recorded.alert.rule_id == "IX-BIOLOGIC"


@pytest.mark.django_db
def test_IX_IMMUNO_recording_an_immunosuppressant_raises_no_alert(world):
    recorded = record_services.record_medicine(patient=world.alice, name="tacrolimus", by=world.bob)
    assert recorded.medicine.category == IMMUNO and recorded.alert is None


@pytest.mark.django_db
def test_a_medicine_already_on_the_list_is_refused(world):
    record_services.record_medicine(patient=world.alice, name="Ibuprofen", by=world.bob)
    with pytest.raises(refusals.RecordRefused):
        record_services.record_medicine(patient=world.alice, name="ibuprofen", by=world.bob)
    assert OtherMedicine.objects.count() == 1


@pytest.mark.django_db
def test_a_stopped_medicine_keeps_its_history(world):
    medicine = record_services.record_medicine(
        patient=world.alice, name="Enbrel", by=world.bob, started_on=world.alice.local_today() - timedelta(days=9)
    ).medicine
    record_services.stop_medicine(medicine=medicine, stopped_on=world.alice.local_today(), by=world.bob)
    medicine.refresh_from_db()
    assert medicine.stopped_on == world.alice.local_today()
    with pytest.raises(refusals.RecordRefused):
        record_services.stop_medicine(
            medicine=medicine, stopped_on=world.alice.local_today() - timedelta(days=10), by=world.bob
        )


@pytest.mark.django_db
def test_IX_LIVE_VACCINE_a_live_vaccine_is_stored_as_live_with_an_alert(world):
    recorded = record_services.record_vaccination(
        patient=world.alice, name="Stamaril", given_on=world.alice.local_today(), by=world.bob
    )
    assert recorded.vaccination.is_live
    assert recorded.alert.kind == CareAlert.Kind.LIVE_VACCINE and recorded.alert.rule_id == "IX-LIVE-VACCINE"


@pytest.mark.django_db
def test_IX_LIVE_VACCINE_a_flu_injection_raises_no_alert(world):
    recorded = record_services.record_vaccination(
        patient=world.alice, name="flu shot", given_on=world.alice.local_today(), by=world.bob
    )
    assert not recorded.vaccination.is_live and recorded.alert is None


@pytest.mark.django_db
def test_a_future_vaccination_is_refused(world):
    with pytest.raises(refusals.RecordRefused):
        record_services.record_vaccination(
            patient=world.alice, name="MMR", given_on=world.alice.local_today() + timedelta(days=1), by=world.bob
        )
    assert not Vaccination.objects.exists() and not CareAlert.objects.exists()


@pytest.mark.django_db
def test_PRE_CHILD_VACCINE_checklist_for_a_child_keeps_the_vaccine_answers(world):
    child = make_patient("Kit Child", dob=date.today() - timedelta(days=3 * 365))
    link(child, world.alice_user, "parent")
    checklist, result = record_services.save_baseline_checklist(
        patient=child,
        by=world.alice_user,
        active_infection=False,
        ecoli_protein_allergy=False,
        latex_allergy=False,
        pregnant_or_breastfeeding=False,
        pneumococcal_vaccinated=True,
        hib_vaccinated=None,
    )
    assert checklist.pneumococcal_vaccinated is True and checklist.hib_vaccinated is None
    assert [f.rule_id for f in result] == ["PRE-CHILD-VACCINE"]


@pytest.mark.django_db
def test_saving_the_checklist_again_replaces_the_answers(world):
    answers = dict(active_infection=False, ecoli_protein_allergy=False, latex_allergy=False)
    record_services.save_baseline_checklist(patient=world.alice, by=world.bob, pregnant_or_breastfeeding=False, **answers)
    checklist, result = record_services.save_baseline_checklist(
        patient=world.alice, by=world.alice_user, pregnant_or_breastfeeding=True, **answers
    )
    assert BaselineChecklist.objects.count() == 1
    assert checklist.completed_by == world.alice_user and checklist.pneumococcal_vaccinated is None
    assert [f.rule_id for f in result] == ["PRE-PREGNANCY"]


@pytest.mark.django_db
def test_AE_LABS_a_result_is_stored_with_who_entered_it(world, alice_on_regimen):
    lab = LabTest.objects.filter(patient=world.alice).order_by("due_on").first()
    record_services.record_lab_result(
        lab_test=lab, done_on=world.alice.local_today(), neutrophils_10e9_per_l=Decimal("1.8"), by=world.bob
    )
    lab.refresh_from_db()
    assert lab.done_on == world.alice.local_today() and lab.neutrophils_10e9_per_l == Decimal("1.80")
    assert lab.recorded_by == world.bob


@pytest.mark.django_db
@pytest.mark.parametrize("value,days_ahead", [(Decimal("-0.1"), 0), (Decimal("150"), 0), (Decimal("2"), 1)])
def test_AE_LABS_bad_results_are_refused(world, alice_on_regimen, value, days_ahead):
    lab = LabTest.objects.filter(patient=world.alice).first()
    with pytest.raises(refusals.RecordRefused):
        record_services.record_lab_result(
            lab_test=lab,
            done_on=world.alice.local_today() + timedelta(days=days_ahead),
            neutrophils_10e9_per_l=value,
            by=world.bob,
        )
    lab.refresh_from_db()
    assert lab.done_on is None


@pytest.mark.django_db
def test_AE_LABS_labs_page_shows_overdue_tests(world, alice_on_regimen):
    from doses.selectors import records as record_selectors

    today = world.alice.local_today()
    rows = record_selectors.lab_tests_for_page(world.alice, today + timedelta(days=40))
    states = {row.test.label: row.status for row in rows}
    assert states["Before starting"] == "overdue" and states["Month 12"] == "later"
