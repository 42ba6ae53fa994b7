"""Tokens in account e-mail links: computed from the account and SECRET_KEY, never stored.

Like Django's password-reset tokens, a sign-up confirmation token is a keyed hash of the
account's state, so it can be computed again when the worker renders the e-mail, and
stops working once the state changes (the address is confirmed, or a new sign-up for the
same address chose another password).
"""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from .models import User


class SignUpTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "companion.tokens.SignUpTokenGenerator"

    def _make_hash_value(self, user, timestamp) -> str:
        return f"{user.pk}{user.password}{user.is_active}{user.email}{timestamp}"


sign_up_token_generator = SignUpTokenGenerator()


def sign_up_link_kwargs(user: User) -> dict[str, str]:
    return {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": sign_up_token_generator.make_token(user)}


def user_for_sign_up_link(uidb64: str, token: str) -> User | None:
    """The account awaiting confirmation that this link confirms, or None (bad, used or old link)."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=pk).first()
    if user is None or not user.awaiting_confirmation or not sign_up_token_generator.check_token(user, token):
        return None
    return user
