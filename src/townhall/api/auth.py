"""Who is calling the API: a bearer token for servers, the session for browsers."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from townhall.accounts.models import ApiToken, User, hash_token
from townhall.api.errors import ApiError

SESSION_TOKEN_PREFIX = "ths_"  # noqa: S105 - a marker, not a secret
SESSION_TOKEN_MAX_AGE = 12 * 3600
_SESSION_TOKEN_SALT = "townhall.embed-session"  # noqa: S105 - a namespace, not a secret


def issue_session_token(user: User) -> str:
    """A short-lived bearer token for the embed after single sign-on.

    Browsers that refuse every third-party cookie would lose the iframe's session;
    the iframe keeps this token in memory instead and sends it as a bearer token.
    """
    return SESSION_TOKEN_PREFIX + signing.dumps({"u": user.pk}, salt=_SESSION_TOKEN_SALT)


def _session_token_user(raw: str) -> User | None:
    try:
        data = signing.loads(
            raw[len(SESSION_TOKEN_PREFIX) :],
            salt=_SESSION_TOKEN_SALT,
            max_age=SESSION_TOKEN_MAX_AGE,
        )
        return User.objects.filter(pk=int(data["u"]), is_active=True).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def caller(request: HttpRequest) -> User | None:
    """The authenticated user, or None for an anonymous reader.

    Raises:
        ApiError: 401 for a bearer token that is unknown or belongs to a disabled account.
    """
    cached = getattr(request, "_townhall_caller", False)
    if cached is not False:
        return cached
    header = request.headers.get("Authorization", "")
    user: User | None
    if header.startswith("Bearer "):
        raw = header[len("Bearer ") :].strip()
        if raw.startswith(SESSION_TOKEN_PREFIX):
            user = _session_token_user(raw)
            if user is None:
                raise ApiError(
                    401, "invalid_token", gettext("The sign-in has expired; sign in again.")
                )
            request._townhall_caller = user  # type: ignore[attr-defined]
            return user
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
        if token is None or not token.user.is_active:
            raise ApiError(401, "invalid_token", gettext("The API token is not valid."))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        user = token.user
    elif request.user.is_authenticated:
        user = request.user  # type: ignore[assignment]
    else:
        user = None
    request._townhall_caller = user  # type: ignore[attr-defined]
    return user


def require_caller(request: HttpRequest) -> User:
    user = caller(request)
    if user is None:
        raise ApiError(401, "not_authenticated", gettext("Log in or sign up first."))
    return user
