"""Sign-up, log-in, SSO, mailed links and a reader's own settings."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.translation import gettext
from ninja import Router
from ninja.responses import Status

from townhall.accounts import lockout, mail, privacy, signup_guard
from townhall.accounts.models import Membership, Mute, User
from townhall.accounts.schemas import DeleteMeIn, SignupWithChecksIn
from townhall.accounts.services import create_account, ensure_membership, rename, sso_login
from townhall.api import schemas
from townhall.api.auth import caller, issue_session_token, require_caller
from townhall.api.errors import ApiError
from townhall.comments.services import get_site
from townhall.lib import ratelimit
from townhall.lib.net import client_ip, ip_hash

router = Router(tags=["accounts"])


def _signed_in(request: HttpRequest, user: User, site_slug: str | None) -> dict[str, Any]:
    """The caller's details after log-in, with the CSRF token that log-in rotated."""
    return {**me_payload(user, site_slug), "csrf_token": get_token(request)}


def me_payload(user: User | None, site_slug: str | None = None) -> dict[str, Any]:
    if user is None:
        return {"authenticated": False, "user": None}
    data: dict[str, Any] = {
        "id": user.pk,
        "email": user.email,
        "email_verified": user.email_verified,
        "is_admin": user.is_admin,
    }
    if site_slug:
        membership = (
            Membership.objects.filter(user=user, site__slug=site_slug).only(
                "display_name", "role", "status", "suspended_until"
            )
        ).first()
        if membership is not None:
            data.update(
                display_name=membership.display_name,
                role=membership.role,
                status=membership.standing(),
            )
    return {"authenticated": True, "user": data}


@router.get("/auth/csrf")
def csrf(request: HttpRequest) -> dict[str, str]:
    """Set the ``csrftoken`` cookie and return the token for ``X-CSRFToken``."""
    return {"csrf_token": get_token(request)}


@router.get("/auth/signup/challenge")
def signup_challenge(request: HttpRequest, site: str) -> dict[str, Any]:
    """A signed challenge for the sign-up form: solve it, wait ``min_seconds``, send it back."""
    return signup_guard.issue(get_site(site).slug)


@router.post("/auth/signup", response={201: dict})
def signup(request: HttpRequest, data: SignupWithChecksIn) -> Status[dict[str, Any]]:
    site = get_site(data.site)
    ip = client_ip(request)
    ratelimit.hit("signup", ip_hash(ip), 10, 3600)
    claim = signup_guard.verify(site.slug, data.challenge, data.nonce, data.website)
    try:
        user = create_account(data.email, data.password, data.display_name, site)
    except ApiError:
        signup_guard.release(claim)
        raise
    privacy.record_ip(user, ip, "signup")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    mail.send_verification(user)
    return Status(201, _signed_in(request, user, site.slug))


@router.post("/auth/login")
def login_view(request: HttpRequest, data: schemas.LoginIn) -> dict[str, Any]:
    ip = client_ip(request)
    ratelimit.hit("login", ip_hash(ip), 20, 300)
    lockout.check(data.email, ip)
    user = authenticate(request, username=data.email.strip(), password=data.password)
    if user is None:
        lockout.failed(data.email, ip)
        raise ApiError(401, "invalid_credentials", gettext("Email or password is not right."))
    lockout.succeeded(data.email)
    privacy.record_ip(user, ip, "login")  # type: ignore[arg-type]
    login(request, user)
    if data.site:
        ensure_membership(user, get_site(data.site))  # type: ignore[arg-type]
    return _signed_in(request, user, data.site)  # type: ignore[arg-type]


@router.post("/auth/logout")
def logout_view(request: HttpRequest) -> dict[str, bool]:
    logout(request)
    return {"ok": True}


@router.post("/auth/sso")
def sso(request: HttpRequest, data: schemas.SsoIn) -> dict[str, Any]:
    """Exchange a JWT signed by the publisher for a townhall session."""
    site = get_site(data.site)
    user = sso_login(site, data.token)
    privacy.record_ip(user, client_ip(request), "login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # The session cookie may not survive where third-party cookies are blocked:
    # the iframe can carry on with this short-lived bearer token instead.
    return {**_signed_in(request, user, site.slug), "token": issue_session_token(user)}


@router.get("/auth/me")
def me(request: HttpRequest, site: str | None = None) -> dict[str, Any]:
    return me_payload(caller(request), site)


@router.post("/auth/password-reset", response={202: dict})
def password_reset(request: HttpRequest, data: schemas.EmailIn) -> Status[dict[str, str]]:
    ratelimit.hit("reset", ip_hash(client_ip(request)), 5, 3600)
    mail.send_password_reset(data.email)
    return Status(
        202, {"message": gettext("If an account has this address, a reset link is on its way.")}
    )


@router.post("/auth/password-reset/confirm")
def password_reset_confirm(request: HttpRequest, data: schemas.ResetConfirmIn) -> dict[str, bool]:
    user = mail.user_for_reset(data.uid, data.token)
    if user is None:
        raise ApiError(
            400, "invalid_link", gettext("This reset link is not valid or has been used.")
        )
    _set_password(user, data.password)
    return {"ok": True}


@router.post("/auth/verify")
def verify(request: HttpRequest, data: schemas.VerifyIn) -> dict[str, bool]:
    if mail.verify(data.token) is None:
        raise ApiError(
            400, "invalid_link", gettext("This confirmation link is not valid or has expired.")
        )
    return {"ok": True}


@router.post("/auth/verify/resend", response={202: dict})
def verify_resend(request: HttpRequest) -> Status[dict[str, str]]:
    user = require_caller(request)
    ratelimit.hit("verify-resend", str(user.pk), 3, 3600)
    mail.send_verification(user)
    return Status(202, {"message": gettext("A new confirmation link is on its way.")})


def _set_password(user: User, password: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ApiError(422, "invalid_password", " ".join(exc.messages)) from None
    user.set_password(password)
    user.save(update_fields=["password"])


@router.patch("/me")
def update_me(request: HttpRequest, data: schemas.MeIn) -> dict[str, Any]:
    """Change the caller's display name on one site."""
    user = require_caller(request)
    site = get_site(data.site)
    rename(ensure_membership(user, site), data.display_name)
    return me_payload(user, site.slug)


@router.post("/me/password")
def change_password(request: HttpRequest, data: schemas.PasswordIn) -> dict[str, bool]:
    user = require_caller(request)
    if not user.check_password(data.current_password):
        raise ApiError(403, "wrong_password", gettext("The current password is not right."))
    _set_password(user, data.new_password)
    update_session_auth_hash(request, user)
    return {"ok": True}


@router.get("/me/mutes")
def list_mutes(request: HttpRequest, site: str) -> dict[str, Any]:
    user = require_caller(request)
    s = get_site(site)
    muted = Mute.objects.filter(site=s, user=user).values_list("muted_id", flat=True)
    names = Membership.objects.filter(site=s, user_id__in=muted).order_by("display_name_key")
    return {"muted": [{"id": m.user_id, "display_name": m.display_name} for m in names]}


@router.post("/me/mutes", response={201: dict})
def mute(request: HttpRequest, data: schemas.MuteIn) -> Status[dict[str, Any]]:
    """Stop seeing another reader's comments on a site."""
    user = require_caller(request)
    site = get_site(data.site)
    if data.user_id == user.pk:
        raise ApiError(422, "cannot_mute_self", gettext("You cannot mute yourself."))
    if not Membership.objects.filter(site=site, user_id=data.user_id).exists():
        raise ApiError(404, "user_not_found", gettext("No such reader on this site."))
    Mute.objects.get_or_create(site=site, user=user, muted_id=data.user_id)
    return Status(201, {"muted": data.user_id})


@router.delete("/me/mutes/{user_id}", response={204: None})
def unmute(request: HttpRequest, user_id: int, site: str) -> Status[None]:
    user = require_caller(request)
    Mute.objects.filter(site=get_site(site), user=user, muted_id=user_id).delete()
    return Status(204, None)


@router.get("/me/export")
def export_me(request: HttpRequest) -> dict[str, Any]:
    """Download everything townhall holds about the caller (GDPR access and portability)."""
    user = require_caller(request)
    ratelimit.hit("export", str(user.pk), 10, 3600)
    return privacy.export(user)


@router.delete("/me")
def delete_me(request: HttpRequest, data: DeleteMeIn) -> dict[str, bool]:
    """Erase the caller's account; their comments stay as "deleted" tombstones."""
    user = require_caller(request)
    ratelimit.hit("erase", str(user.pk), 5, 3600)
    privacy.confirm_identity(user, data.password)
    privacy.erase_account(user)
    logout(request)
    return {"deleted": True}
