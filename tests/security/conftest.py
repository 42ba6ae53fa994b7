"""Fixtures for the security suite: alice's records with ids for every URL, and a snapshot of the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from companion import services as companion_services
from companion.models import AuditEvent, CareMembership, CareRole, Invitation
from doses.models import DoseSlot, Regimen, RegimenProposal, Severity, SideEffect
from doses.services import regimens as regimen_services
from tests.conftest import link, make_user, start_adult_regimen

# Apps whose rows the "nothing changed" check compares before and after a request.
SNAPSHOT_APPS = ("companion", "doses", "reminders", "otp_totp")
# Rows and fields that change on every request by design, and are not the record.
SNAPSHOT_SKIP_MODELS = {AuditEvent}
SNAPSHOT_SKIP_FIELDS = {("companion", "user"): {"last_login"}}


@dataclass
class Records:
    """Ids of alice's records that URL kwargs need. Add one here when a view needs a new kind."""

    regimen: Regimen
    slot: DoseSlot
    side_effect: SideEffect
    bob_membership: CareMembership
    invitation: Invitation
    invitation_token: str
    reset_uidb64: str
    reset_token: str
    extra: dict = field(default_factory=dict)

    # Records of other apps are made on first use (lazily imported), so this fixture
    # keeps working while those apps are being built.
    def _once(self, key, make):
        if key not in self.extra:
            self.extra[key] = make()
        return self.extra[key]

    def unsubscribe_token(self) -> str:
        from reminders import services as reminder_services

        return self._once(
            "unsubscribe", lambda: reminder_services.preference_for_membership(self.bob_membership).unsubscribe_token
        )

    def feed_token(self) -> str:
        from reminders import services as reminder_services

        patient, by = self.regimen.patient, self.bob_membership.patient.account
        return self._once("feed", lambda: reminder_services.regenerate_feed(patient=patient, by=by).token)

    def fridge_syringe_id(self) -> int:
        from django.utils import timezone

        from doses.models import FridgeSyringe

        patient = self.regimen.patient
        return self._once(
            "fridge", lambda: FridgeSyringe.objects.create(patient=patient, taken_out_at=timezone.now()).pk
        )

    def medicine_id(self) -> int:
        from doses.models import MedicineCategory, OtherMedicine

        patient = self.regimen.patient
        return self._once(
            "medicine",
            lambda: (
                OtherMedicine.objects.create(
                    patient=patient, name="Methotrexate", category=MedicineCategory.IMMUNOSUPPRESSANT
                ).pk
            ),
        )

    def self_membership(self) -> CareMembership:
        """alice's own (SELF) link to her record: nobody but her may end it (ACCESS-SELF)."""
        patient = self.regimen.patient
        return self._once("self_membership", lambda: patient.memberships.get(role=CareRole.SELF))

    def invitation_token_for(self, role: str, email: str) -> str:
        """An open invitation to alice's circle as `role`, sent by alice to `email`."""
        patient = self.regimen.patient
        return self._once(
            ("invitation", role, email),
            lambda: (
                companion_services.invite_to_circle(
                    patient=patient, email=email, role=role, invited_by=patient.account
                ).token
            ),
        )

    def awaiting_regimen(self) -> Regimen:
        """A version alice entered herself, awaiting a clinician's confirmation."""
        patient = self.regimen.patient
        return self._once(
            "awaiting",
            lambda: start_adult_regimen(
                patient, patient.account, confirmed=False, starts_on=patient.local_today() + timedelta(days=1)
            ),
        )

    def open_proposal(self) -> RegimenProposal:
        """A change alice proposed to her confirmed regimen, waiting for a clinician (issue 13)."""
        patient = self.regimen.patient
        return self._once(
            "proposal",
            lambda: (
                regimen_services.save_regimen(
                    patient=patient,
                    entered_by=patient.account,
                    can_confirm=False,
                    entry=regimen_services.RegimenEntry(
                        dose_basis=Regimen.DoseBasis.FIXED_ADULT,
                        interval_days=1,
                        administrations_per_day=1,
                        times_of_day=["09:00"],
                        starts_on=patient.local_today() + timedelta(days=1),
                    ),
                    change_reason="Later in the morning",
                ).proposal
            ),
        )


def build_records(*, patient, owner, clinician, member) -> Records:
    """A regimen, a slot, a side effect, an open invitation and tokens for `patient`."""
    regimen = start_adult_regimen(patient, clinician)
    today = patient.local_today()
    slot = DoseSlot.objects.filter(patient=patient, local_date__gte=today).order_by("scheduled_at").first()
    if slot is None:  # the regimen service may not materialise slots; make one so slot ids exist
        from django.utils import timezone

        slot = DoseSlot.objects.create(
            patient=patient,
            regimen=regimen,
            scheduled_at=timezone.now() + timedelta(hours=1),
            local_date=today,
            dose_mg=regimen.daily_dose_mg,
        )
    side_effect = SideEffect.objects.create(
        patient=patient,
        symptom="headache",
        severity=Severity.MILD,
        started_on=date.today() - timedelta(days=1),
        logged_by=owner,
    )
    issued = companion_services.invite_to_circle(
        patient=patient, email="newcomer@example.org", role=CareRole.CAREGIVER, invited_by=owner
    )
    return Records(
        regimen=regimen,
        slot=slot,
        side_effect=side_effect,
        bob_membership=patient.memberships.get(user=member),
        invitation=issued.invitation,
        invitation_token=issued.token,
        reset_uidb64=urlsafe_base64_encode(force_bytes(owner.pk)),
        reset_token=default_token_generator.make_token(owner),
    )


@pytest.fixture
def records(world) -> Records:
    """alice's records; `bob_membership` is bob's link to her."""
    return build_records(patient=world.alice, owner=world.alice_user, clinician=world.carol, member=world.bob)


@pytest.fixture
def matrix_people(world) -> dict:
    """The shared world's people plus pam, a parent on alice's record: alice is an adult with her
    own account, so pam acts as a caregiver there (ACCESS-ADULT) and must not outrank her."""
    pam = make_user("pam.parent@example.org", "Pam Parent")
    link(world.alice, pam, CareRole.PARENT)
    return {**world.users(), "parent": pam}


@pytest.fixture
def zoe_records(world) -> Records:
    """The same kinds of records for zoe, another patient (her clinician dave is the 'member')."""
    return build_records(patient=world.zoe, owner=world.zoe.account, clinician=world.dave, member=world.dave)


def snapshot() -> dict[str, list[dict]]:
    """Every row of the project's own tables, as plain values, for a before/after comparison."""
    state: dict[str, list[dict]] = {}
    for label in SNAPSHOT_APPS:
        for model in apps.get_app_config(label).get_models():
            if model in SNAPSHOT_SKIP_MODELS:
                continue
            skip = SNAPSHOT_SKIP_FIELDS.get((label, model._meta.model_name), set())
            rows = [{k: v for k, v in row.items() if k not in skip} for row in model.objects.order_by("pk").values()]
            state[model._meta.label] = rows
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def only_insertions(before: list[dict], after: list[dict]) -> bool:
    """True when `after` is `before` plus new rows: nothing that existed changed or went."""
    after_by_pk = {row["id"]: row for row in after if "id" in row}
    return all(after_by_pk.get(row.get("id")) == row for row in before)


# --- hostile values shared by the hostile-input tests ---

NUL = "\x00"
# Dates at the ends of what Python's datetime holds, and moments that a patient's time zone
# pushes out of it when converted to UTC (Kiritimati is UTC+14, Pago Pago UTC-11).
EXTREME_DATES = ("0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01")
EXTREME_MOMENTS = (
    "0001-01-01T00:00",
    "0001-01-01T05:00",
    "0001-01-01 00:00",
    "9999-12-31T23:59",
    "9999-12-31T20:00",
    "0001-01-01T00:00+14:00",
    "9999-12-31T23:59-11:00",
)
EDGE_ZONES = ("Pacific/Kiritimati", "Pacific/Pago_Pago")
# A valid address (64-character local part, 63-character labels) of 262 characters: longer than
# an e-mail column (254), yet every validator of an EmailField without max_length accepts it.
LONG_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".org"
LONG_VALUES = ("x" * 300, LONG_EMAIL, "é" * 600)


def values_longer_than_their_column() -> list[str]:
    """Every stored text longer than its column's max_length ("model.field: length").

    PostgreSQL refuses such a value (a DataError, a 500); SQLite stores it. Asking here makes
    a form without the column's max_length fail on SQLite too.
    """
    from django.db.models import CharField, Q
    from django.db.models.functions import Length

    found = []
    for model in apps.get_models():
        limited = [f for f in model._meta.concrete_fields if isinstance(f, CharField) and f.max_length]
        if not limited:
            continue
        lengths = {f"_len_{f.attname}": Length(f.attname) for f in limited}
        too_long = Q()
        for f in limited:
            too_long |= Q(**{f"_len_{f.attname}__gt": f.max_length})
        for row in model._default_manager.annotate(**lengths).filter(too_long).values(*lengths):
            found += [
                f"{model._meta.label}.{f.attname}: {row[f'_len_{f.attname}']} > {f.max_length}"
                for f in limited
                if (row[f"_len_{f.attname}"] or 0) > f.max_length
            ]
    return found
