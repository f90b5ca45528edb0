"""Creating and looking up sites."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction

from townhall.sites.models import Site


def normalise_origin(raw: str) -> str:
    """``https://News.Example/path`` → ``https://news.example``.

    Raises:
        ValueError: not an http(s) origin.
    """
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{raw!r} is not an origin like https://news.example")
    host = parts.hostname.lower()
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


@transaction.atomic
def create_site(
    slug: str,
    name: str,
    origins: list[str] | None = None,
    *,
    sso_secret: str = "",
    sso_public_key: str = "",
) -> Site:
    """Create a site with the default guidelines.

    Raises:
        ValueError: a bad slug or origin, or a slug already in use.
    """
    try:
        validate_slug(slug)
    except ValidationError:
        raise ValueError(f"{slug!r} is not a slug (letters, digits, - and _)") from None
    if Site.objects.filter(slug=slug).exists():
        raise ValueError(f"a site {slug!r} already exists")
    allowed = sorted({normalise_origin(o) for o in origins or []})
    return Site.objects.create(
        slug=slug,
        name=name or slug,
        allowed_origins=allowed,
        sso_secret=sso_secret,
        sso_public_key=sso_public_key,
    )
