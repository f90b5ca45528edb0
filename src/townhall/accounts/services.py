"""Sign-up, memberships, standing checks and publisher single sign-on."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import jwt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from townhall.accounts.models import (
    Membership,
    MemberStatus,
    SsoIdentity,
    User,
    display_name_key,
)
from townhall.api.errors import ApiError
from townhall.sites.models import Site

_NAME_MIN, _NAME_MAX = 2, 40
# Letters, digits, marks, spaces and a little punctuation; no controls, no symbols
# that let one name dress up as another or as staff.
_NAME_ALLOWED = re.compile(r"^[\w .'\-]+$", re.UNICODE)
_RESERVED = {"admin", "administrator", "moderator", "townhall", "staff", "newsroom", "deleted"}


def clean_display_name(raw: str) -> str:
    """Return the display name as it will be stored, or raise a 422 ApiError."""
    name = " ".join(unicodedata.normalize("NFKC", raw or "").split())
    if not _NAME_MIN <= len(name) <= _NAME_MAX:
        raise ApiError(
            422,
            "invalid_display_name",
            gettext("Display name must be %(min)d–%(max)d characters.")
            % {"min": _NAME_MIN, "max": _NAME_MAX},
        )
    if not _NAME_ALLOWED.match(name) or not name[0].isalnum():
        raise ApiError(
            422,
            "invalid_display_name",
            gettext("Display name may use letters, digits, spaces and . ' - only."),
        )
    if display_name_key(name) in _RESERVED:
        raise ApiError(422, "invalid_display_name", gettext("That display name is reserved."))
    return name


def _name_taken(site: Site, name: str, exclude_user: User | None = None) -> bool:
    qs = Membership.objects.filter(site=site, display_name_key=display_name_key(name))
    if exclude_user is not None:
        qs = qs.exclude(user=exclude_user)
    return qs.exists()


def create_account(email: str, password: str, display_name: str, site: Site) -> User:
    """Create an account and its membership on ``site``.

    Raises:
        ApiError: 422 for a bad email, password or name; 409 if the email or the
            name on that site is taken. Nothing is stored then.
    """
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ApiError(422, "invalid_email", gettext("Enter a valid email address.")) from None
    name = clean_display_name(display_name)
    candidate = User(email=email)
    try:
        validate_password(password or "", user=candidate)
    except ValidationError as exc:
        raise ApiError(422, "invalid_password", " ".join(exc.messages)) from None
    if User.objects.filter(email__iexact=email).exists():
        raise ApiError(
            409, "email_taken", gettext("An account with this email already exists; log in.")
        )
    if _name_taken(site, name):
        raise ApiError(
            409, "display_name_taken", gettext("That display name is taken on this site.")
        )
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password)
            Membership.objects.create(user=user, site=site, display_name=name)
    except IntegrityError:
        raise ApiError(
            409, "conflict", gettext("That email or display name was just taken.")
        ) from None
    return user


def ensure_membership(user: User, site: Site, preferred_name: str | None = None) -> Membership:
    """Return the user's membership on ``site``, creating one with a free name if needed."""
    existing = Membership.objects.filter(user=user, site=site).first()
    if existing is not None:
        return existing
    base = preferred_name
    if not base:
        other = Membership.objects.filter(user=user).order_by("created_at").first()
        base = other.display_name if other else (user.email or "reader").split("@")[0]
    try:
        base = clean_display_name(base)
    except ApiError:
        base = "reader"
    base = base[: _NAME_MAX - 5]
    for n in range(0, 1000):
        name = base if n == 0 else f"{base} {n + 1}"
        if _name_taken(site, name):
            continue
        try:
            with transaction.atomic():
                return Membership.objects.create(user=user, site=site, display_name=name)
        except IntegrityError:
            continue
    raise ApiError(409, "display_name_taken", gettext("Could not find a free display name."))


def check_can_post(membership: Membership | None) -> None:
    """Refuse a suspended or banned member (403)."""
    if membership is None:
        return
    standing = membership.standing()
    if standing == MemberStatus.BANNED:
        raise ApiError(403, "banned", gettext("You are banned from commenting on this site."))
    if standing == MemberStatus.SUSPENDED:
        until = membership.suspended_until
        if until:
            message = gettext("Your account is suspended on this site until %(when)s UTC.") % {
                "when": f"{until:%Y-%m-%d %H:%M}"
            }
        else:
            message = gettext("Your account is suspended on this site.")
        raise ApiError(403, "suspended", message)


def rename(membership: Membership, display_name: str) -> Membership:
    name = clean_display_name(display_name)
    if _name_taken(membership.site, name, exclude_user=membership.user):
        raise ApiError(
            409, "display_name_taken", gettext("That display name is taken on this site.")
        )
    membership.display_name = name
    try:
        with transaction.atomic():
            membership.save(update_fields=["display_name", "display_name_key"])
    except IntegrityError:
        raise ApiError(
            409, "display_name_taken", gettext("That display name was just taken.")
        ) from None
    return membership


@dataclass(frozen=True)
class SsoClaims:
    sub: str
    email: str
    name: str


def verify_sso_token(site: Site, token: str) -> SsoClaims:
    """Check a publisher-signed JWT: HS256 with the site's secret or RS256 with its key.

    The algorithm is chosen by what the site has configured, never by the token's
    header, so ``alg: none`` and HS/RS confusion are refused.

    Raises:
        ApiError: 400 if the site has no SSO; 401 for any invalid token.
    """
    if site.sso_public_key:
        key: str = site.sso_public_key
        algorithms = ["RS256"]
    elif site.sso_secret:
        key = site.sso_secret
        algorithms = ["HS256"]
    else:
        raise ApiError(
            400, "sso_not_configured", gettext("This site has no single sign-on configured.")
        )
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=site.slug,
            options={"require": ["sub", "exp", "aud"]},
            leeway=30,
        )
    except jwt.ExpiredSignatureError:
        raise ApiError(401, "sso_expired", gettext("The sign-on token has expired.")) from None
    except jwt.InvalidAudienceError:
        raise ApiError(
            401, "sso_invalid", gettext("The sign-on token is for another site.")
        ) from None
    except jwt.PyJWTError as exc:
        raise ApiError(
            401,
            "sso_invalid",
            gettext("The sign-on token is not valid: %(error)s.") % {"error": exc},
        ) from None
    sub = str(claims["sub"]).strip()
    if not sub or len(sub) > 255:
        raise ApiError(401, "sso_invalid", gettext("The sign-on token has no usable subject."))
    return SsoClaims(
        sub=sub, email=str(claims.get("email") or "")[:254], name=str(claims.get("name") or "")
    )


def sso_login(site: Site, token: str) -> User:
    """Find or create the reader a publisher vouches for; keep their name in step."""
    claims = verify_sso_token(site, token)
    with transaction.atomic():
        identity = (
            SsoIdentity.objects.select_related("user").filter(site=site, sub=claims.sub).first()
        )
        if identity is None:
            user = User.objects.create_user(email=None, email_verified=bool(claims.email))
            identity = SsoIdentity.objects.create(
                site=site, sub=claims.sub, user=user, email=claims.email
            )
        elif claims.email and identity.email != claims.email:
            identity.email = claims.email
            identity.save(update_fields=["email"])
    user = identity.user
    membership = ensure_membership(user, site, preferred_name=claims.name or None)
    if claims.name:
        try:
            if display_name_key(clean_display_name(claims.name)) != membership.display_name_key:
                rename(membership, claims.name)
        except ApiError:
            pass  # keep the name we have rather than refuse the reader
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return user
