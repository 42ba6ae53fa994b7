"""Optional two-factor sign-in (TOTP, django-otp), offered to everyone and urged on clinicians.

Sign-in with a confirmed authenticator is two steps. The password step (axes still counts
failures) does not sign in: it stores who is half-way in the session for a few minutes.
The code step then signs in and marks the session verified. Wrong codes are slowed down
by django-otp's own throttling (each failure doubles the wait), capped at
TWO_FACTOR_MAX_WAIT_SECONDS: uncapped, 25 wrong codes (anyone who has the password can type
them) would make the owner wait 2^24 s, half a year, for her next try. Staff need a verified
second factor for the admin (companion/admin.py).
"""

from __future__ import annotations

import base64
import io
import math
import time
from datetime import datetime

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import login as auth_login
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User

PENDING_KEY = "two_factor_pending"
PENDING_FOR_SECONDS = 5 * 60
DEVICE_NAME = "Authenticator app"


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def start_setup(user: User) -> TOTPDevice:
    """An unconfirmed device with a fresh secret; replaces any earlier unfinished one."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def pending_setup(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def confirm_setup(device: TOTPDevice, code: str) -> bool:
    if not verify(device, code):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


def mark_verified(request, device: TOTPDevice) -> None:
    """This session has just proved the device (a right code): it counts as two-factor signed in."""
    otp_login(request, device)


def disable(user: User, code: str) -> bool:
    """Turning it off needs a current code, so a borrowed unlocked session cannot do it."""
    device = confirmed_device(user)
    if device is None or not verify(device, code):
        return False
    TOTPDevice.objects.filter(user=user).delete()
    return True


def secret_for_display(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// link as an SVG QR code in a data: URI (the CSP allows data: images, not inline SVG styles)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def remember_pending(request, user: User, next_url: str) -> None:
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
        "next": next_url,
        "at": time.time(),
    }


def pending_user(request) -> tuple[User | None, dict]:
    pending = request.session.get(PENDING_KEY) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_FOR_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, {}
    return User.objects.filter(pk=pending["user"], is_active=True).first(), pending


def finish_sign_in(request, code: str) -> str | None:
    """Check the code of the half-signed-in person; on success sign in and return where to go."""
    user, pending = pending_user(request)
    if user is None:
        return None
    device = confirmed_device(user)
    if device is None or not verify(device, code):
        return None
    request.session.pop(PENDING_KEY, None)
    auth_login(request, user, backend=pending["backend"])  # cycles the session key
    otp_login(request, device)
    return pending["next"]


def verify(device: TOTPDevice, code: str) -> bool:
    """django-otp's check of a code, with its doubling wait capped so that it always ends."""
    _cap_wait(device)
    return device.verify_token(_digits(code))


def _cap_wait(device: TOTPDevice) -> None:
    # django-otp waits factor * 2^(failures - 1) seconds after the last failure. Keeping the
    # count at the largest value whose wait fits the cap keeps every wait under the cap
    # without ever letting a try through sooner than that (the timestamp is not touched).
    factor = device.get_throttle_factor()
    if factor <= 0 or device.throttling_failure_count <= 1:
        return
    most = 1 + int(math.log2(max(settings.TWO_FACTOR_MAX_WAIT_SECONDS / factor, 1)))
    if device.throttling_failure_count > most:
        device.throttling_failure_count = most
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=most)


def locked_until(user: User) -> datetime | None:
    """While wrong codes keep this person waiting, when the next try is allowed (else None)."""
    device = confirmed_device(user)
    if device is None:
        return None
    _cap_wait(device)
    allowed, details = device.verify_is_allowed()
    return None if allowed else (details or {}).get("locked_until")


def _digits(code: str) -> str:
    return "".join(ch for ch in str(code) if ch.isdigit())[:10]
