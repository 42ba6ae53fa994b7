"""Optional two-factor sign-in (TOTP, django-otp), offered to everyone and urged on clinicians.

Sign-in with a confirmed authenticator is two steps. The password step (axes still counts
failures) does not sign in: it stores who is half-way in the session for a few minutes.
The code step then signs in and marks the session verified. Wrong codes are slowed down
by django-otp's own throttling (each failure doubles the wait).
"""

from __future__ import annotations

import base64
import io
import time

import qrcode
import qrcode.image.svg
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
    if not device.verify_token(_digits(code)):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


def disable(user: User, code: str) -> bool:
    """Turning it off needs a current code, so a borrowed unlocked session cannot do it."""
    device = confirmed_device(user)
    if device is None or not device.verify_token(_digits(code)):
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
    if device is None or not device.verify_token(_digits(code)):
        return None
    request.session.pop(PENDING_KEY, None)
    auth_login(request, user, backend=pending["backend"])  # cycles the session key
    otp_login(request, device)
    return pending["next"]


def _digits(code: str) -> str:
    return "".join(ch for ch in str(code) if ch.isdigit())[:10]
