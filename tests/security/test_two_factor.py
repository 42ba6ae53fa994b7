"""Optional two-factor sign-in (TOTP): turning it on and off, and signing in with a code."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from companion import two_factor
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or in `steps_ahead` 30-second steps)."""
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift + steps_ahead)
    return f"{value:06d}"


@pytest.fixture
def carol_with_two_factor(world):
    device = two_factor.start_setup(world.carol)
    assert two_factor.confirm_setup(device, code_for(device))
    return device


def test_a_clinician_turns_on_two_factor_sign_in(world, client_for):
    client = client_for(world.carol)
    page = client.get(reverse("two_factor")).content.decode()
    assert "we recommend turning it on" in page
    client.post(reverse("two_factor"), {"action": "start"})
    page = client.get(reverse("two_factor")).content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    device = TOTPDevice.objects.get(user=world.carol)
    assert two_factor.secret_for_display(device) in page

    wrong = client.post(reverse("two_factor"), {"action": "confirm", "code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    device.throttle_reset()
    right = client.post(reverse("two_factor"), {"action": "confirm", "code": code_for(device)})
    assert right.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert "Two-factor sign-in is <strong>on</strong>" in client.get(reverse("two_factor")).content.decode()


def test_with_two_factor_the_password_alone_does_not_sign_in(world, client, carol_with_two_factor):
    response = client.post(reverse("login") + "?next=/panel/", {"username": "carol@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("two_factor_verify")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("patients"))["Location"].startswith(reverse("login"))

    wrong = client.post(reverse("two_factor_verify"), {"code": "123456"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert 'value="123456"' in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    carol_with_two_factor.throttle_reset()
    right = client.post(reverse("two_factor_verify"), {"code": code_for(carol_with_two_factor, steps_ahead=1)})
    assert right.status_code == 302 and right["Location"] == "/panel/"
    assert client.session["_auth_user_id"] == str(world.carol.pk)
    assert client.session["otp_device_id"] == carol_with_two_factor.persistent_id
    assert client.get(reverse("patients")).status_code == 200


def test_a_code_works_only_once(world, client, carol_with_two_factor):
    code = code_for(carol_with_two_factor, steps_ahead=1)
    client.post(reverse("login"), {"username": "carol@example.org", "password": PASSWORD})
    assert client.post(reverse("two_factor_verify"), {"code": code}).status_code == 302
    client.logout()
    client.post(reverse("login"), {"username": "carol@example.org", "password": PASSWORD})
    replay = client.post(reverse("two_factor_verify"), {"code": code})
    assert replay.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_wrong_codes_are_throttled(world, client, carol_with_two_factor):
    client.post(reverse("login"), {"username": "carol@example.org", "password": PASSWORD})
    for _ in range(3):
        client.post(reverse("two_factor_verify"), {"code": "000000"})
    # Even the right code is refused while the back-off lasts.
    right = client.post(reverse("two_factor_verify"), {"code": code_for(carol_with_two_factor, steps_ahead=1)})
    assert right.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_half_way_state_expires(world, client, carol_with_two_factor):
    client.post(reverse("login"), {"username": "carol@example.org", "password": PASSWORD})
    session = client.session
    session[two_factor.PENDING_KEY]["at"] = time.time() - two_factor.PENDING_FOR_SECONDS - 1
    session.save()
    response = client.post(reverse("two_factor_verify"), {"code": code_for(carol_with_two_factor, steps_ahead=1)})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_code_page_without_a_password_step_sends_to_sign_in(world, client):
    response = client.get(reverse("two_factor_verify"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_without_two_factor_the_password_signs_in_directly(world, client):
    response = client.post(reverse("login"), {"username": "bob@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(world.bob.pk)


def test_turning_it_off_needs_a_current_code(world, client_for, carol_with_two_factor):
    client = client_for(world.carol)
    refused = client.post(reverse("two_factor"), {"action": "disable", "code": "000000"})
    assert refused.status_code == 200
    assert TOTPDevice.objects.filter(user=world.carol, confirmed=True).exists()
    carol_with_two_factor.throttle_reset()
    done = client.post(reverse("two_factor"), {"action": "disable", "code": code_for(carol_with_two_factor, 1)})
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.carol).exists()


def test_the_admin_sign_in_cannot_skip_the_code(world, client, carol_with_two_factor):
    world.carol.is_staff = True
    world.carol.save()
    response = client.post(reverse("admin:login"), {"username": "carol@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    # Through the app's sign-in, the code is asked for, then the admin opens.
    client.post(reverse("login") + "?next=/admin/", {"username": "carol@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    client.post(reverse("two_factor_verify"), {"code": code_for(carol_with_two_factor, steps_ahead=1)})
    assert client.get(reverse("admin:index")).status_code == 200


def _wrong_codes(client, device, count: int) -> None:
    """`count` wrong codes, each after the previous wait has run out (so each one counts)."""
    for _ in range(count):
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=timezone.now() - timedelta(days=365 * 50)
        )
        client.post(reverse("two_factor_verify"), {"code": "000000"})


def test_twenty_five_wrong_codes_make_the_owner_wait_at_most_the_cool_off(world, client, carol_with_two_factor):
    client.post(reverse("login"), {"username": "carol@example.org", "password": PASSWORD})
    _wrong_codes(client, carol_with_two_factor, 25)
    carol_with_two_factor.refresh_from_db()
    assert carol_with_two_factor.throttling_failure_count >= 10

    # Right after the 25th: the right code waits, and the page says for how long (not forever).
    waiting = client.post(reverse("two_factor_verify"), {"code": code_for(carol_with_two_factor, steps_ahead=1)})
    page = waiting.content.decode()
    assert "_auth_user_id" not in client.session
    minutes = int(re.search(r"wait (\d+) minute", page).group(1))
    assert 1 <= minutes <= settings.TWO_FACTOR_MAX_WAIT_SECONDS / 60

    # Once the cool-off has passed, the rightful owner signs in.
    TOTPDevice.objects.filter(pk=carol_with_two_factor.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=settings.TWO_FACTOR_MAX_WAIT_SECONDS + 1)
    )
    right = client.post(reverse("two_factor_verify"), {"code": code_for(carol_with_two_factor, steps_ahead=1)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(world.carol.pk)


def test_staff_without_two_factor_cannot_open_the_admin_and_are_sent_to_turn_it_on(world, client_for):
    world.carol.is_staff = True
    world.carol.is_superuser = True
    world.carol.save()
    client = client_for(world.carol)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("two_factor")
    assert "The admin needs two-factor sign-in" in response.content.decode()
    assert client.get(reverse("admin:companion_patient_changelist")).status_code == 302


def test_staff_who_turn_on_two_factor_open_the_admin_in_the_same_session(world, client_for):
    world.carol.is_staff = True
    world.carol.is_superuser = True
    world.carol.save()
    client = client_for(world.carol)
    client.post(reverse("two_factor"), {"action": "start"})
    device = TOTPDevice.objects.get(user=world.carol)
    assert client.post(reverse("two_factor"), {"action": "confirm", "code": code_for(device)}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_staff_session_from_before_two_factor_signs_in_again_with_a_code(world, client_for, carol_with_two_factor):
    world.carol.is_staff = True
    world.carol.is_superuser = True
    world.carol.save()
    client = client_for(world.carol)  # signed in with the password alone
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    client.post(reverse("login") + "?next=/admin/", {"username": "carol@example.org", "password": PASSWORD})
    client.post(reverse("two_factor_verify"), {"code": code_for(carol_with_two_factor, steps_ahead=1)})
    assert client.get(reverse("admin:index")).status_code == 200
