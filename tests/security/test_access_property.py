"""The permission helper, for any role, revocation and capability: access only when the table grants it."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion.access import ROLE_CAPABILITIES, Capability, patient_for, patients_visible_to
from companion.models import CareMembership, CareRole
from tests.conftest import make_patient, make_user

pytestmark = pytest.mark.django_db


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    role=st.sampled_from(list(CareRole)),
    revoked=st.booleans(),
    capability=st.sampled_from(list(Capability)),
    patient_id_as=st.sampled_from(["int", "str", "padded"]),
    record=st.sampled_from(["adult", "child"]),
)
def test_patient_for_grants_exactly_what_the_role_table_says(world, role, revoked, capability, patient_id_as, record):
    with transaction.atomic():
        person = make_user("someone@example.org", "Someone")
        # zoe runs her own record (her account, a SELF membership); kit is a child with no account.
        patient = world.zoe if record == "adult" else make_patient("Kit Child", dob=date(2019, 2, 3))
        CareMembership.objects.create(
            patient=patient, user=person, role=role, revoked_at=timezone.now() if revoked else None
        )
        patient_id = {"int": patient.pk, "str": str(patient.pk), "padded": f"00{patient.pk}"}[patient_id_as]
        # ACCESS-ADULT: on an adult's record a parent has exactly a caregiver's powers. (A SELF
        # membership makes kit's record an adult's one, and SELF keeps its own powers.)
        acts_as = CareRole.CAREGIVER if role == CareRole.PARENT and record == "adult" else role
        allowed = not revoked and capability in ROLE_CAPABILITIES[acts_as]
        if allowed:
            assert patient_for(person, patient_id, capability) == patient
        else:
            with pytest.raises(Http404):
                patient_for(person, patient_id, capability)
        assert (patient in patients_visible_to(person, capability)) == allowed
        # Never anyone else's patient, whatever the role.
        with pytest.raises(Http404):
            patient_for(person, world.alice.pk, capability)
        transaction.set_rollback(True)


@pytest.mark.parametrize("bad", [None, "", "abc", "-1", "0", "1.5", "1e3", " 999999", str(2**64), [], {}])
def test_odd_patient_ids_are_404_never_an_error(world, bad):
    with pytest.raises(Http404):
        patient_for(world.alice_user, bad, Capability.VIEW)
