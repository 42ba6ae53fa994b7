"""Medicines resolved by a drug dictionary and one curated table, vaccines read by what their
name says (issue 15, point 3: IX-TNF, IX-BIOLOGIC, IX-IMMUNO, IX-LIVE-VACCINE).

What is typed (brand, generic, a dictionary synonym or a close spelling) resolves to a generic
name; only the table in doses/medicines.py classes it; a close spelling is a question, never
applied silently."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from doses import medicines
from doses import vaccines as vaccine_rules
from doses.medicines import BIOLOGIC, CONFIRMED, EXACT, IMMUNO, KEEP_AS_TYPED, OTHER, PENDING, TNF, UNCONFIRMED
from doses.models import CareAlert, MedicineMatch, OtherMedicine, Vaccination
from doses.services import records as record_services
from doses.services import refusals

# --- close spellings are questions ----------------------------------------------------------------


@pytest.mark.parametrize(
    "typed,generic,question",
    [
        ("Humera", "adalimumab", "Did you mean adalimumab (Humira)?"),
        ("Enbrell", "etanercept", "Did you mean etanercept (Enbrel)?"),
        ("Remicaid", "infliximab", "Did you mean infliximab (Remicade)?"),
        ("inflixamab", "infliximab", "Did you mean infliximab (Remicade)?"),
        ("Humera pen 40 mg", "adalimumab", "Did you mean adalimumab (Humira)?"),
        ("Simponni", "golimumab", "Did you mean golimumab (Simponi)?"),
        ("Cimzea", "certolizumab", "Did you mean certolizumab (Cimzia)?"),
    ],
)
def test_IX_TNF_a_close_spelling_of_a_tnf_blocker_is_asked_about_not_applied(typed, generic, question):
    advice = medicines.classify_medicine(typed)
    assert advice.status == PENDING and advice.question == question
    assert advice.matched == generic
    # Not applied until confirmed: nothing is classed and nobody is flagged yet.
    assert advice.category == OTHER and not advice.flag_clinician


@pytest.mark.parametrize(
    "typed,generic", [("Humera", "adalimumab"), ("Enbrell", "etanercept"), ("Remicaid", "infliximab")]
)
def test_IX_TNF_a_confirmed_close_spelling_is_classed_and_flags_the_care_team(typed, generic):
    advice = medicines.classify_medicine(typed, answer=generic)
    assert advice.status == CONFIRMED and advice.category == TNF and advice.rule_id == "IX-TNF"
    assert advice.flag_clinician and "neutropenia" in advice.message and generic in advice.message


def test_IX_TNF_a_close_spelling_kept_as_typed_is_unclassified_but_still_flagged_as_unconfirmed():
    advice = medicines.classify_medicine("Humera", answer=KEEP_AS_TYPED)
    assert advice.status == UNCONFIRMED and advice.category == OTHER
    assert advice.rule_id == "IX-TNF" and advice.flag_clinician
    assert "Kept as typed" in advice.message and "adalimumab (Humira)" in advice.message
    assert "not confirmed" in advice.source


def test_IX_TNF_an_answer_for_another_medicine_does_not_confirm_the_suggestion():
    assert medicines.classify_medicine("Humera", answer="etanercept").status == PENDING


def test_IX_IMMUNO_a_close_spelling_of_an_immunosuppressant_kept_as_typed_says_tell_the_doctor_without_a_flag():
    assert medicines.classify_medicine("azathioprin").question == "Did you mean azathioprine (Imuran)?"
    advice = medicines.classify_medicine("azathioprin", answer=KEEP_AS_TYPED)
    assert advice.rule_id == "IX-IMMUNO" and not advice.flag_clinician and "tell your doctor" in advice.message


def test_IX_BIOLOGIC_a_close_spelling_chosen_as_a_biologic_by_the_person_keeps_that_choice():
    advice = medicines.classify_medicine("Dupixant", BIOLOGIC, answer=KEEP_AS_TYPED)
    assert advice.category == BIOLOGIC and advice.rule_id == "IX-BIOLOGIC" and advice.flag_clinician


# --- the curated table classes what the name resolves to ----------------------------------------


@pytest.mark.parametrize(
    "typed,generic",
    [
        ("dupilumab", "dupilumab"),
        ("Dupixent 300 mg pen", "dupilumab"),
        ("omalizumab", "omalizumab"),
        ("Xolair", "omalizumab"),
        ("anifrolumab", "anifrolumab"),
        ("Saphnelo", "anifrolumab"),
        ("bimekizumab", "bimekizumab"),
        ("Bimzelx", "bimekizumab"),
        ("mepolizumab (Nucala)", "mepolizumab"),
        ("Tezspire", "tezepelumab"),
        ("Skyrizi", "risankizumab"),
        ("Benlysta", "belimumab"),
        ("Ocrevus", "ocrelizumab"),
    ],
)
def test_IX_BIOLOGIC_biologics_named_in_the_issue_and_more_are_recognised(typed, generic):
    advice = medicines.classify_medicine(typed)
    assert advice.status == EXACT and advice.matched == generic
    assert advice.category == BIOLOGIC and advice.rule_id == "IX-BIOLOGIC" and advice.flag_clinician


@pytest.mark.parametrize(
    "typed,generic",
    [
        ("prednisolone", "prednisolone"),
        ("prednisolone 5 mg daily", "prednisolone"),
        ("prednisone", "prednisone"),
        ("leflunomide", "leflunomide"),
        ("Arava", "leflunomide"),
        ("cyclophosphamide", "cyclophosphamide"),
        ("Medrol", "methylprednisolone"),
        ("dexamethasone tablets", "dexamethasone"),
        ("Rinvoq", "upadacitinib"),
        ("filgotinib", "filgotinib"),
        ("mycophenolate mofetil", "mycophenolate"),
        ("Jaquinus", "tofacitinib"),  # a brand only the dictionary knows
        ("leflunomida", "leflunomide"),  # a dictionary synonym (Spanish)
    ],
)
def test_IX_IMMUNO_systemic_corticosteroids_conventional_immunosuppressants_and_jak_inhibitors(typed, generic):
    advice = medicines.classify_medicine(typed)
    assert advice.status == EXACT and advice.matched == generic
    assert advice.category == IMMUNO and advice.rule_id == "IX-IMMUNO" and not advice.flag_clinician


def test_IX_TNF_a_brand_only_the_dictionary_knows_is_classed_by_the_table():
    advice = medicines.classify_medicine("Exemptia")  # adalimumab in India
    assert advice.category == TNF and advice.matched == "adalimumab" and advice.status == EXACT
    assert "drug dictionary" in advice.source and "DB00051" in advice.source


@pytest.mark.parametrize(
    "typed", ["hydrocortisone cream", "prednisolone eye drops", "Betnovate", "Pulmicort inhaler", "budesonide"]
)
def test_IX_IMMUNO_a_corticosteroid_on_the_skin_in_the_eye_or_inhaled_is_not_an_immunosuppressant(typed):
    advice = medicines.classify_medicine(typed)
    assert advice.category == OTHER and advice.rule_id == "" and not advice.flag_clinician
    assert advice.question == ""


@pytest.mark.parametrize(
    "typed,generic",
    [
        ("paracetamol", "acetaminophen"),
        ("ibuprofen 400mg", "ibuprofen"),
        ("vitamin D", "ergocalciferol"),
        ("insulin", "insulin"),
        ("Lantus", "insulin glargine"),
        ("metformin", "metformin"),
        ("metformin 500 mg twice daily", "metformin"),
        ("Prolia", "denosumab"),
        ("hydroxychloroquine", "hydroxychloroquine"),
        ("omeprazole", "omeprazole"),
    ],
)
def test_ordinary_medicines_are_named_but_raise_no_interaction(typed, generic):
    advice = medicines.classify_medicine(typed)
    assert advice.category == OTHER and advice.rule_id == "" and not advice.flag_clinician
    assert advice.matched == generic and advice.status == EXACT and advice.question == ""
    assert "not on the interaction list" in advice.source


@pytest.mark.parametrize("typed", ["metformin", "Metformin XR", "metformine", "methadone", "mesalazine"])
def test_a_real_medicine_is_never_taken_for_methotrexate(typed):
    advice = medicines.classify_medicine(typed)
    assert advice.matched != "methotrexate" and advice.question == "" and advice.category == OTHER


@pytest.mark.parametrize("typed", ["Fish oil", "Calcium and magnesium", "Vitamin 12", "Zzyzx"])
def test_a_name_nobody_knows_is_neither_classed_nor_questioned(typed):
    advice = medicines.classify_medicine(typed)
    assert advice.category == OTHER and advice.question == "" and advice.rule_id == ""


def test_a_chosen_category_still_applies_to_a_medicine_the_table_does_not_class():
    assert medicines.classify_medicine("paracetamol", BIOLOGIC).rule_id == "IX-BIOLOGIC"


def test_anakinra_by_any_of_its_names_is_anakinra_and_a_close_spelling_is_asked_about():
    assert medicines.is_anakinra("Kineret 100 mg") and medicines.is_anakinra("anakinra")
    assert not medicines.is_anakinra("Kinerett")
    assert medicines.classify_medicine("Kinerett").question == "Did you mean anakinra (Kineret)?"


def test_the_dictionary_resolves_names_with_no_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert medicines.resolve_medicine("Tylenol").generic == "acetaminophen"
    assert medicines.classify_medicine("Exemptia").category == TNF


def test_IX_TNF_a_stored_confirmed_medicine_keeps_its_class_without_asking_again():
    advice = medicines.stored_medicine_advice(name="Humera", category=TNF, generic_name="adalimumab", match=CONFIRMED)
    assert advice.rule_id == "IX-TNF" and advice.question == "" and "confirmed" in advice.source
    unconfirmed = medicines.stored_medicine_advice(
        name="Humera", category=OTHER, generic_name="adalimumab", match=UNCONFIRMED
    )
    assert unconfirmed.status == UNCONFIRMED and unconfirmed.rule_id == "IX-TNF"


# --- vaccines: what the name says ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name,says",
    [
        ("Influenza vaccine (inactivated)", "inactivated"),
        ("recombinant zoster vaccine", "recombinant"),
        ("inactivated polio vaccine", "inactivated"),
        ("Typhoid Vi polysaccharide vaccine", "polysaccharide"),
        ("tetanus toxoid", "toxoid"),
        ("pneumococcal conjugate vaccine", "conjugate"),
        ("mRNA COVID-19 booster", "mRNA"),
        ("Hepatitis B vaccine (recombinant)", "recombinant"),
        ("Herpes zoster subunit vaccine", "subunit"),
        ("quadrivalent inactivated flu vaccine", "inactivated"),
        ("non-live flu vaccine", "non-live"),
    ],
)
def test_IX_LIVE_VACCINE_a_name_that_says_it_is_not_live_is_not_live(name, says):
    advice = vaccine_rules.classify_vaccine(name, "unsure")
    assert not advice.is_live and advice.certain
    assert f"“{says}”" in advice.reason and "check with your doctor" in advice.message


@pytest.mark.parametrize("name", ["Fluarix", "Ticovac"])
def test_IX_LIVE_VACCINE_a_brand_the_dictionary_describes_as_inactivated_is_not_live(name):
    advice = vaccine_rules.classify_vaccine(name, "unsure")
    assert not advice.is_live and advice.certain and "drug dictionary" in advice.reason


@pytest.mark.parametrize(
    "name",
    [
        "MMR",
        "measles mumps rubella",
        "varicella",
        "chickenpox vaccine",
        "yellow fever",
        "Stamaril",
        "LAIV",
        "nasal spray flu",
        "live attenuated influenza vaccine",
        "BCG",
        "oral typhoid",
        "rotavirus",
        "Rotarix",
        "Zostavax",
        "live zoster vaccine",
        "Ervebo (Ebola Zaire vaccine, recombinant)",  # live although recombinant
    ],
)
@pytest.mark.parametrize("answer", ["no", "unsure"])
def test_IX_LIVE_VACCINE_live_vaccines_stay_live_whatever_the_answer(name, answer):
    advice = vaccine_rules.classify_vaccine(name, answer)
    assert advice.is_live and advice.certain and advice.level == "danger"


@pytest.mark.parametrize("name", ["flu", "inactivted flu vaccine", "Ixiaro", "shingles", "Vaxigrip"])
def test_IX_LIVE_VACCINE_not_sure_stays_possibly_live_and_a_misspelling_never_makes_a_vaccine_not_live(name):
    advice = vaccine_rules.classify_vaccine(name, "unsure")
    assert advice.is_live and not advice.certain


# --- services ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_IX_TNF_a_close_spelling_is_refused_until_answered_and_nothing_is_stored(world):
    with pytest.raises(refusals.RecordRefused) as refused:
        record_services.record_medicine(patient=world.alice, name="Humera", by=world.bob)
    assert refused.value.field == "match_answer" and "Did you mean adalimumab (Humira)?" in str(refused.value)
    assert not OtherMedicine.objects.exists() and not CareAlert.objects.exists()


@pytest.mark.django_db
def test_IX_TNF_a_confirmed_close_spelling_is_stored_as_typed_with_its_generic_and_alerts(world):
    recorded = record_services.record_medicine(
        patient=world.alice, name="Humera", by=world.bob, match_answer="adalimumab"
    )
    medicine = recorded.medicine
    assert medicine.name == "Humera" and medicine.generic_name == "adalimumab"
    assert medicine.category == TNF and medicine.match == MedicineMatch.CONFIRMED and medicine.is_interaction
    assert recorded.alert.rule_id == "IX-TNF" and "adalimumab" in recorded.alert.summary


@pytest.mark.django_db
def test_IX_TNF_a_close_spelling_kept_as_typed_alerts_the_care_team_as_not_confirmed(world):
    recorded = record_services.record_medicine(
        patient=world.alice, name="Humera", by=world.bob, match_answer=KEEP_AS_TYPED
    )
    medicine = recorded.medicine
    assert medicine.category == OTHER and medicine.is_unconfirmed and medicine.generic_name == "adalimumab"
    assert not medicine.is_interaction
    assert recorded.alert.kind == CareAlert.Kind.INTERACTION and recorded.alert.rule_id == "IX-TNF"
    assert recorded.alert.summary.startswith("Possible interaction, not confirmed: Humera may be adalimumab")


@pytest.mark.django_db
@pytest.mark.parametrize("name,rule_id", [("Dupixent", "IX-BIOLOGIC"), ("omalizumab", "IX-BIOLOGIC")])
def test_IX_BIOLOGIC_dupilumab_and_omalizumab_alert_the_care_team(world, name, rule_id):
    recorded = record_services.record_medicine(patient=world.alice, name=name, by=world.bob)
    assert recorded.medicine.category == BIOLOGIC and recorded.alert.rule_id == rule_id


@pytest.mark.django_db
def test_IX_IMMUNO_prednisolone_is_an_immunosuppressant_without_an_alert(world):
    recorded = record_services.record_medicine(patient=world.alice, name="prednisolone 10mg", by=world.bob)
    assert recorded.medicine.category == IMMUNO and recorded.medicine.generic_name == "prednisolone"
    assert recorded.alert is None


@pytest.mark.django_db
def test_an_ordinary_medicine_is_stored_with_the_generic_the_dictionary_gives(world):
    recorded = record_services.record_medicine(patient=world.alice, name="Paracetamol", by=world.bob)
    assert recorded.medicine.generic_name == "acetaminophen" and recorded.medicine.match == MedicineMatch.EXACT
    assert recorded.medicine.category == OTHER and recorded.alert is None


@pytest.mark.django_db
def test_IX_TNF_the_same_medicine_under_another_name_is_already_on_the_list(world):
    record_services.record_medicine(patient=world.alice, name="Humira", by=world.bob)
    with pytest.raises(refusals.RecordRefused, match="adalimumab, already on the list as Humira"):
        record_services.record_medicine(patient=world.alice, name="adalimumab 40 mg", by=world.bob)
    assert OtherMedicine.objects.count() == 1


@pytest.mark.django_db
def test_a_confirmed_close_spelling_of_kineret_is_refused_as_anakinra(world):
    with pytest.raises(refusals.RecordRefused, match="already tracks"):
        record_services.record_medicine(patient=world.alice, name="Kinerett", by=world.bob, match_answer="anakinra")
    assert not OtherMedicine.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["Influenza vaccine (inactivated)", "recombinant zoster vaccine", "inactivated polio vaccine"]
)
def test_IX_LIVE_VACCINE_the_issues_three_vaccines_are_stored_not_live_without_an_alert(world, name):
    recorded = record_services.record_vaccination(
        patient=world.alice, name=name, given_on=world.alice.local_today() - timedelta(days=2), by=world.bob
    )
    assert not recorded.vaccination.is_live and recorded.alert is None
    assert not Vaccination.objects.filter(is_live=True).exists() and not CareAlert.objects.exists()
