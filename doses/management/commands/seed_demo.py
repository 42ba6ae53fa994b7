"""Load the demo care circle (idempotent), and optionally N synthetic patients with history.

manage.py seed_demo                        # the demo circle named in the README
manage.py seed_demo --patients 1000 --days 365   # synthetic patients for dashboards/benchmarks
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from companion.models import CareMembership, CareRole, CareTeamCard, Indication, Patient, User
from doses import sites
from doses.models import (
    BaselineChecklist,
    DoseSlot,
    InjectedBy,
    Injection,
    KidneyFunction,
    LabTest,
    NotTakenReason,
    Regimen,
    SlotStatus,
    SupplyEvent,
)
from doses.rules import dose_timing, dosing, preparation
from doses.services import injections as injection_services
from doses.services import kidney as kidney_services
from doses.services import records as record_services
from doses.services import regimens as regimen_services
from doses.services import summaries as summary_services

DEMO_PASSWORD = "anakinra-demo-2026"
DEMO_SIGN_INS = [
    ("alice@demo.example", "Alice Morgan", "patient on 100 mg daily (adult dosing)"),
    ("dan@demo.example", "Dan Okafor", "parent of Mia, 6, on weight-based dosing"),
    ("bob@demo.example", "Bob Morgan", "caregiver for Alice and Mia"),
    ("carol@demo.example", "Dr Carol Reyes", "clinician for Alice and Mia"),
]
SYNTHETIC_CLINICIAN = "panel@demo.example"


class Command(BaseCommand):
    help = "Create the demo care circle (idempotent) and optional synthetic patients."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=0, help="How many synthetic patients to add.")
        parser.add_argument("--days", type=int, default=90, help="Days of history for synthetic patients.")
        parser.add_argument("--print-password", action="store_true", help="Print the demo password and stop.")
        parser.add_argument("--print-sign-ins", action="store_true", help="Print the demo sign-ins and stop.")
        parser.add_argument("--seed", type=int, default=7, help="Random seed for synthetic histories.")

    def handle(self, *args, patients, days, print_password, print_sign_ins, seed, **options):
        if print_password:
            self.stdout.write(DEMO_PASSWORD)
            return
        if print_sign_ins:
            for email, name, what in DEMO_SIGN_INS:
                self.stdout.write(f"    {email:<22} {name}: {what}")
            return
        self.stdout.write(seed_demo_circle())
        if patients:
            created = seed_synthetic_patients(count=patients, days=days, rng=random.Random(seed))
            self.stdout.write(f"Synthetic patients: {created} created ({patients} requested, {days} days each).")


def _user(email: str, name: str) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _link(patient: Patient, user: User, role: str) -> None:
    if not CareMembership.objects.active().filter(patient=patient, user=user).exists():
        CareMembership.objects.create(patient=patient, user=user, role=role)


@transaction.atomic
def _care_team_card(patient: Patient, by: User, clinic: str, phone: str, out_of_hours: str) -> None:
    CareTeamCard.objects.get_or_create(
        patient=patient,
        defaults={
            "clinic_name": clinic,
            "phone": phone,
            "hours": "Monday to Friday, 9am to 5pm",
            "out_of_hours_phone": out_of_hours,
            "updated_by": by,
        },
    )


def seed_demo_circle(now: datetime | None = None) -> str:
    """The README's demo circle. Running it twice changes nothing."""
    now = now or timezone.now()
    users = {email: _user(email, name) for email, name, _ in DEMO_SIGN_INS}
    alice_user, dan, bob, carol = (users[e] for e, _, _ in DEMO_SIGN_INS)

    alice = Patient.objects.filter(account=alice_user).first()
    if alice is None:
        alice = Patient.objects.create(
            display_name="Alice Morgan",
            date_of_birth=date(1979, 4, 12),
            weight_kg=Decimal("68.0"),
            weight_measured_on=now.date() - timedelta(days=20),
            time_zone="Europe/London",
            indication=Indication.RHEUMATOID_ARTHRITIS,
            account=alice_user,
        )
    _link(alice, alice_user, CareRole.SELF)
    _link(alice, bob, CareRole.CAREGIVER)
    _link(alice, carol, CareRole.CLINICIAN)

    mia = Patient.objects.filter(display_name="Mia Okafor", memberships__user=dan).first()
    if mia is None:
        mia = Patient.objects.create(
            display_name="Mia Okafor",
            date_of_birth=now.date().replace(year=now.date().year - 6) - timedelta(days=40),
            weight_kg=Decimal("20.0"),
            weight_measured_on=now.date() - timedelta(days=10),
            time_zone="America/New_York",
            indication=Indication.NOMID_CAPS,
        )
    _link(mia, dan, CareRole.PARENT)
    _link(mia, bob, CareRole.CAREGIVER)
    _link(mia, carol, CareRole.CLINICIAN)
    # AE-SERIOUS: "call your doctor now" with the clinic's number to tap (fictional numbers:
    # Ofcom's drama range in London, 555-01xx in New York), kept in E.164 as the card stores them.
    _care_team_card(alice, carol, "Rheumatology clinic, St Example's Hospital", "+442079460018", "+442079460999")
    _care_team_card(mia, carol, "Paediatric rheumatology, Example Children's", "+12125550143", "+12125550199")

    # Issue 16, point 9: the demo shows the product. Every dose is logged through the services by
    # someone who may log (the patient, a parent, the caregiver; never the clinician), the
    # before-you-start answers come before the first dose, Alice's latest dose is late (so Today
    # gives the missed-dose advice), her one-month neutrophil count is due within the week, and
    # Mia's supply is below the refill threshold.
    if not alice.regimens.exists():
        _start_with_logged_history(
            alice,
            prescribed_by=carol,
            loggers=[(alice_user, InjectedBy.SELF)] * 5 + [(bob, InjectedBy.OTHER)],
            days=ALICE_DAYS,
            rng=random.Random(1),
            now=now,
            clinician_confirmed=True,
            not_taken_days={7, 16},
            leave_latest_late=True,
            pickups=[(-1, 4), (20, 4)],
        )
    if not mia.regimens.exists():
        dose = dosing.paediatric_dose(mia.weight_kg, Decimal("2"))
        _start_with_logged_history(
            mia,
            prescribed_by=dan,
            loggers=[(dan, InjectedBy.OTHER)] * 3 + [(bob, InjectedBy.OTHER)],
            days=MIA_DAYS,
            rng=random.Random(2),
            now=now,
            clinician_confirmed=False,
            mg_per_kg=Decimal("2"),
            daily_mg=dose.mg,
            times=["07:30"],
            not_taken_days={4},
            pickups=[(-1, 1), (5, 1)],
        )
        # SUPPLY-BOX: Dan counts the fridge; two syringes is below the refill threshold.
        record_services.correct_supply_count(
            patient=mia, actual_count=MIA_SYRINGES_LEFT, by=dan, note="Counted the fridge: 2 syringes left.", now=now
        )
    _answer_before_you_start(alice, by=alice_user, now=now)
    _answer_before_you_start(mia, by=dan, now=now)
    if not alice.regimen_proposals.exists():
        # Issue 13: Alice asks to move her injection to the evening. Her regimen is confirmed, so
        # this is a proposal for Dr Carol; the confirmed 08:00 dose stays in force until then.
        regimen_services.save_regimen(
            patient=alice,
            entered_by=alice_user,
            can_confirm=False,
            entry=regimen_services.RegimenEntry(
                dose_basis=Regimen.DoseBasis.FIXED_ADULT,
                interval_days=1,
                administrations_per_day=1,
                times_of_day=["20:00"],
                starts_on=alice.local_today(now) + timedelta(days=1),
            ),
            change_reason="Mornings are a rush before work; evenings suit me better.",
            now=now,
        )
    if not alice.kidney_functions.exists():
        # SCHED-RENAL: a serum creatinine from her last clinic visit, in µmol/L as UK labs report it;
        # the clearance is estimated from it (Cockcroft-Gault) and shown with its inputs.
        kidney_services.record_kidney_function(
            patient=alice,
            kind=KidneyFunction.Kind.CREATININE,
            measured_on=alice.local_today(now) - timedelta(days=14),
            creatinine_value=Decimal("72"),
            creatinine_unit=KidneyFunction.Unit.UMOL_L,
            sex=KidneyFunction.Sex.FEMALE,
            by=carol,
            now=now,
        )
    # Bulk history rows bypass the services' hooks: summarise both for the clinician panel.
    summary_services.refresh_adherence_summaries(patient_ids=[alice.pk, mia.pk], now=now)
    return "Demo care circle ready: " + ", ".join(e for e, _, _ in DEMO_SIGN_INS) + f" (password {DEMO_PASSWORD})."


ALICE_DAYS = 25  # her one-month neutrophil count (AE-LABS) falls due within Today's week
MIA_DAYS = 10
MIA_SYRINGES_LEFT = 2  # below the refill threshold (REFILL_REMINDER_DAYS of doses)
BASELINE_NEUTROPHILS = Decimal("3.4")  # x10^9/L: a normal count before starting (AE-NEUTROPENIA)


def _answer_before_you_start(patient: Patient, *, by: User, now: datetime) -> None:
    """The before-you-start answers and the count before starting, given before the first dose."""
    regimen = patient.regimens.order_by("version").first()
    if regimen is None:
        return
    start = dose_timing.local_slot(regimen.starts_on, time(9, 0), patient.zone)
    if not BaselineChecklist.objects.filter(patient=patient).exists():
        child = patient.is_child(patient.local_today(now))
        record_services.save_baseline_checklist(
            patient=patient,
            by=by,
            active_infection=False,
            ecoli_protein_allergy=False,
            latex_allergy=False,
            pregnant_or_breastfeeding=False,
            pneumococcal_vaccinated=True if child else None,  # PRE-CHILD-VACCINE
            hib_vaccinated=True if child else None,
            now=start - timedelta(days=3),
        )
    before_start = LabTest.objects.filter(patient=patient, done_on__isnull=True, due_on__lt=regimen.starts_on).first()
    if before_start is not None:
        record_services.record_lab_result(
            lab_test=before_start,
            done_on=regimen.starts_on - timedelta(days=3),
            neutrophils_10e9_per_l=BASELINE_NEUTROPHILS,
            by=by,
            now=start - timedelta(days=3),
        )


def _start_regimen(
    patient: Patient,
    by: User,
    *,
    starts_on: date,
    now: datetime,
    confirmed: bool,
    mg_per_kg: Decimal | None,
    daily_mg: Decimal,
    times: list[str] | None,
    interval_days: int = 1,
) -> Regimen:
    """The first regimen, once a day, through the service: the fixed adult dose (DOSE-ADULT) or mg/kg."""
    return regimen_services.create_regimen_version(
        patient=patient,
        entered_by=by,
        entry=regimen_services.RegimenEntry(
            dose_basis=Regimen.DoseBasis.WEIGHT_BASED if mg_per_kg else Regimen.DoseBasis.FIXED_ADULT,
            daily_dose_mg=daily_mg,
            mg_per_kg=mg_per_kg,
            weight_kg_basis=patient.weight_kg if mg_per_kg else None,
            interval_days=interval_days,
            administrations_per_day=1,
            times_of_day=times or ["08:00"],
            starts_on=starts_on,
        ),
        confirmed=confirmed,
        change_reason="Started on anakinra.",
        now=now,
    )


def _start_with_logged_history(
    patient: Patient,
    *,
    prescribed_by: User,
    loggers: list[tuple[User, str]],
    days: int,
    rng: random.Random,
    now: datetime,
    clinician_confirmed: bool,
    not_taken_days: set[int],
    pickups: list[tuple[int, int]],
    leave_latest_late: bool = False,
    mg_per_kg: Decimal | None = None,
    daily_mg: Decimal = dosing.ADULT_DOSE_MG,
    times: list[str] | None = None,
) -> Regimen:
    """A regimen started `days` ago and its past as people logged it, through the services.

    `loggers` take turns (the patient or parent, now and then the caregiver); the days in
    `not_taken_days` were forgotten and said so; `pickups` are (day from the start, boxes).
    With `leave_latest_late`, the latest dose due is not logged: Today shows it late, with
    the missed-dose advice (MISS-TAKE / MISS-SKIP), whatever the hour `make run` starts.
    """
    today = patient.local_today(now)
    starts_on = today - timedelta(days=days)
    regimen = _start_regimen(
        patient,
        prescribed_by,
        starts_on=starts_on,
        now=now,
        confirmed=clinician_confirmed,
        mg_per_kg=mg_per_kg,
        daily_mg=daily_mg,
        times=times,
    )
    first_logger = loggers[0][0]
    for day, boxes in pickups:  # SUPPLY-BOX: whole boxes from the pharmacy
        if starts_on + timedelta(days=day) <= today:
            on = starts_on + timedelta(days=day)
            record_services.record_pickup(patient=patient, boxes=boxes, on=on, by=first_logger, now=now)
    due = list(DoseSlot.objects.filter(regimen=regimen, scheduled_at__lte=now).order_by("scheduled_at"))
    if leave_latest_late and due:
        due.pop()  # the late one
    last_used: dict[str, datetime] = {}
    for index, slot in enumerate(due):
        by, injected_by = loggers[index % len(loggers)]
        if (slot.local_date - starts_on).days in not_taken_days:
            injection_services.record_not_taken(
                slot=slot, reason=NotTakenReason.FORGOT, by=by, now=slot.scheduled_at + timedelta(hours=13)
            )
            continue
        taken_at = slot.scheduled_at + timedelta(minutes=rng.randint(-20, 45))
        logged_at = taken_at + timedelta(minutes=rng.randint(2, 15))
        if logged_at >= now:
            continue  # just due: left for whoever opens Today
        spot = sites.suggest_next_spot(last_used, injected_by == InjectedBy.OTHER)
        injection_services.record_injection(
            slot=slot,
            taken_at=taken_at,
            site_spot=spot,
            by=by,
            injected_by=injected_by,
            prep_checks={check.key: True for check in preparation.PREP_CHECKS},
            now=logged_at,
        )
        last_used[spot] = taken_at
    return regimen


def _start_with_history(
    patient: Patient,
    *,
    entered_by: User,
    days: int,
    rng: random.Random,
    now: datetime,
    clinician_confirmed: bool,
    mg_per_kg: Decimal | None = None,
    daily_mg: Decimal = dosing.ADULT_DOSE_MG,
    times: list[str] | None = None,
    interval_days: int = 1,
    adherence: float = 0.9,
) -> Regimen:
    """Start a regimen `days` ago and fill in a plausible past: mostly taken, some not."""
    starts_on = patient.local_today(now) - timedelta(days=days)
    regimen = _start_regimen(
        patient,
        entered_by,
        starts_on=starts_on,
        now=now,
        confirmed=clinician_confirmed,
        mg_per_kg=mg_per_kg,
        daily_mg=daily_mg,
        times=times,
        interval_days=interval_days,
    )
    _fill_history(patient, regimen, entered_by, rng, now, adherence)
    return regimen


def _fill_history(patient, regimen, by, rng, now, adherence) -> None:
    """Bulk history for past slots (seed data only; live logging goes through services)."""
    past = list(
        DoseSlot.objects.filter(regimen=regimen, scheduled_at__lt=now - timedelta(hours=12)).order_by("scheduled_at")
    )
    last_used: dict[str, datetime] = {}
    injections, supply = [], []
    for slot in past:
        roll = rng.random()
        if roll < adherence:
            spot = sites.suggest_next_spot(last_used, False)
            taken_at = slot.scheduled_at + timedelta(minutes=rng.randint(-20, 90))
            last_used[spot] = taken_at
            slot.status = SlotStatus.TAKEN
            injections.append(
                Injection(
                    slot=slot,
                    patient=patient,
                    taken_at=taken_at,
                    dose_mg=slot.dose_mg,
                    site_spot=spot,
                    injected_by=InjectedBy.SELF,
                    prep_checks={"all": True},
                    logged_by=by,
                    logged_at=taken_at,
                )
            )
        elif roll < adherence + (1 - adherence) / 2:
            slot.status = SlotStatus.NOT_TAKEN
            slot.not_taken_reason = rng.choice([NotTakenReason.FORGOT, NotTakenReason.SIDE_EFFECT])
        else:
            slot.status = SlotStatus.MISSED
        slot.status_changed_at = slot.scheduled_at + timedelta(hours=2)
    # One UPDATE per (status, reason) rather than bulk_update's per-row CASE: the same
    # rows, about twenty times faster for a year of history on PostgreSQL.
    groups: dict[tuple[str, str], list[int]] = {}
    for slot in past:
        groups.setdefault((slot.status, slot.not_taken_reason), []).append(slot.pk)
    for (status, reason), ids in groups.items():
        for chunk in range(0, len(ids), 5000):
            DoseSlot.objects.filter(pk__in=ids[chunk : chunk + 5000]).update(
                status=status, not_taken_reason=reason, status_changed_at=F("scheduled_at") + timedelta(hours=2)
            )
    Injection.objects.bulk_create(injections, batch_size=1000)
    for injection in injections:
        supply.append(
            SupplyEvent(
                patient=patient,
                kind=SupplyEvent.Kind.DOSE,
                syringes=-1,
                occurred_at=injection.taken_at,
                injection=injection,
                recorded_by=by,
            )
        )
    # SUPPLY-BOX: pick-ups of 4 boxes (28 syringes) every 28 days from the start.
    start = datetime.combine(regimen.starts_on, datetime.min.time(), tzinfo=patient.zone)
    pickup = start
    while pickup <= now:
        supply.append(
            SupplyEvent(
                patient=patient, kind=SupplyEvent.Kind.PICKUP, syringes=28, boxes=4, occurred_at=pickup, recorded_by=by
            )
        )
        pickup += timedelta(days=28 + rng.randint(-3, 4))
    SupplyEvent.objects.bulk_create(supply, batch_size=1000)


SYNTHETIC_BATCH = 25  # patients per transaction: a commit waits for the disk


def seed_synthetic_patients(*, count: int, days: int, rng: random.Random, now: datetime | None = None) -> int:
    """N synthetic patients in one clinician's panel, each with `days` of history.

    Patients are committed in batches of 25; a rerun continues after the last whole batch.
    """
    now = now or timezone.now()
    clinician = _user(SYNTHETIC_CLINICIAN, "Dr Panel (synthetic)")
    existing = Patient.objects.filter(memberships__user=clinician, memberships__revoked_at__isnull=True).count()
    created = []
    for batch_start in range(existing, count, SYNTHETIC_BATCH):
        with transaction.atomic():
            for index in range(batch_start, min(batch_start + SYNTHETIC_BATCH, count)):
                created.append(_seed_synthetic_patient(index, clinician=clinician, days=days, rng=rng, now=now).pk)
    # Bulk rows bypass the services' hooks: summarise the new patients for the panel.
    summary_services.refresh_adherence_summaries(patient_ids=created, now=now)
    return len(created)


def _seed_synthetic_patient(index: int, *, clinician: User, days: int, rng: random.Random, now: datetime) -> Patient:
    zones = ["Europe/London", "America/New_York", "Australia/Sydney", "Europe/Berlin", "America/Los_Angeles"]
    is_child = rng.random() < 0.25
    weight = Decimal(rng.randint(12, 40) if is_child else rng.randint(50, 110))
    patient = Patient.objects.create(
        display_name=f"Synthetic patient {index + 1:05d}",
        date_of_birth=date(2018 if is_child else 1970 + rng.randint(0, 30), rng.randint(1, 12), rng.randint(1, 28)),
        weight_kg=weight,
        weight_measured_on=now.date(),
        time_zone=rng.choice(zones),
        indication=Indication.NOMID_CAPS if is_child else Indication.RHEUMATOID_ARTHRITIS,
        creatinine_clearance_ml_min=Decimal(rng.choice([25, 60, 90])) if not is_child else None,
    )
    CareMembership.objects.create(patient=patient, user=clinician, role=CareRole.CLINICIAN)
    interval = dose_timing.dosing_interval_days(patient.creatinine_clearance_ml_min)
    if is_child:
        per_kg = Decimal(rng.choice(["1", "2", "3", "5"]))
        daily = dosing.paediatric_dose(weight, per_kg).mg
    else:
        per_kg, daily = None, dosing.ADULT_DOSE_MG
    _start_with_history(
        patient,
        entered_by=clinician,
        days=days,
        rng=rng,
        now=now,
        clinician_confirmed=rng.random() < 0.95,
        mg_per_kg=per_kg,
        daily_mg=daily,
        interval_days=interval,
        adherence=rng.choice([0.6, 0.8, 0.9, 0.97]),
    )
    return patient
