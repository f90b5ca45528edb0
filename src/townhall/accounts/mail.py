"""Mailed links: email verification and password reset."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.mail import send_mail
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext

from townhall.accounts.models import User

_VERIFY_SALT = "townhall.verify-email"
VERIFY_MAX_AGE = 3 * 86400


def verification_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=_VERIFY_SALT)


def send_verification(user: User) -> None:
    if not user.email:
        return
    link = f"{settings.PUBLIC_URL}/account/verify/?token={verification_token(user)}"
    # Sent while the sign-up request is answered, so in the language the reader used.
    send_mail(
        gettext("Confirm your email address"),
        gettext(
            "Thanks for joining the discussion.\n\n"
            "Open this link to confirm that %(email)s is yours:\n%(link)s\n\n"
            "The link works for three days. If you did not sign up, ignore this message."
        )
        % {"email": user.email, "link": link},
        None,
        [user.email],
    )


def verify(token: str) -> User | None:
    """Mark the account in ``token`` verified; return it, or None for a bad or old link."""
    try:
        data = signing.loads(token, salt=_VERIFY_SALT, max_age=VERIFY_MAX_AGE)
        user = User.objects.get(pk=int(data["u"]), email=data["e"])
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError, ValueError):
        return None
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
    return user


def send_password_reset(email: str) -> None:
    """Mail a reset link if an account has this address; say nothing either way."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = f"{settings.PUBLIC_URL}/account/reset/?uid={uid}&token={token}"
    send_mail(
        gettext("Reset your password"),
        gettext(
            "Someone asked to reset the password of this account.\n\n"
            "Choose a new password here:\n%(link)s\n\n"
            "If it was not you, ignore this message; your password stays as it is."
        )
        % {"link": link},
        None,
        [user.email],  # type: ignore[list-item]
    )


def user_for_reset(uid: str, token: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
        user = User.objects.get(pk=pk)
    except (TypeError, ValueError, OverflowError, User.DoesNotExist):
        return None
    return user if default_token_generator.check_token(user, token) else None
