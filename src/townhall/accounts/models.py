"""Accounts (global to an install), memberships (what a person is on one site),
publisher SSO identities, API tokens and mutes."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townhall.sites.models import Site


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str | None, password: str | None = None, **extra: object) -> User:
        user = self.model(email=self.normalize_email(email) if email else None, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str, **extra: object) -> User:
        extra.setdefault("is_admin", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("email_verified", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """One login for the whole install. SSO users have no email here (see SsoIdentity)."""

    email = models.EmailField(unique=True, null=True, blank=True)
    email_verified = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_admin = models.BooleanField(default=False, help_text=_("Install admin: every site"))
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email or f"user {self.pk}"

    @property
    def is_staff(self) -> bool:
        return self.is_admin


def display_name_key(name: str) -> str:
    """The form in which two display names collide: NFKC, case-folded, spaces squeezed."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(folded.split())


class Role(models.TextChoices):
    COMMENTER = "commenter", _("Commenter")
    MODERATOR = "moderator", _("Moderator")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    BANNED = "banned", _("Banned")


class Membership(models.Model):
    """What a person is on one site: name shown there, role and standing."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="memberships")
    display_name = models.CharField(max_length=40)
    display_name_key = models.CharField(max_length=40, editable=False)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.COMMENTER)
    status = models.CharField(
        max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    suspended_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("site membership")
        verbose_name_plural = _("site memberships")
        constraints = [
            models.UniqueConstraint(fields=["site", "user"], name="membership_one_per_site"),
            models.UniqueConstraint(
                fields=["site", "display_name_key"], name="membership_unique_name_per_site"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} on {self.site_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.display_name_key = display_name_key(self.display_name)
        super().save(*args, **kwargs)

    @property
    def is_moderator(self) -> bool:
        return self.role == Role.MODERATOR

    def standing(self, now: timezone.datetime | None = None) -> str:
        """``active``, ``suspended`` (until a time still ahead) or ``banned``."""
        if self.status == MemberStatus.SUSPENDED:
            if self.suspended_until and self.suspended_until <= (now or timezone.now()):
                return MemberStatus.ACTIVE
            return MemberStatus.SUSPENDED
        return self.status


class SsoIdentity(models.Model):
    """A publisher's reader, keyed by (site, sub); never merged with another account."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="sso_identities")
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sso_identities")
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "sub"], name="sso_unique_sub")]

    def __str__(self) -> str:
        return f"{self.sub} on {self.site_id}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for server-side clients. Only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'token'})"

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        """Create a token; return it and the raw secret, which is never stored."""
        raw = "th_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=hash_token(raw), prefix=raw[:10])
        return token, raw


class Mute(models.Model):
    """A reader's choice not to see another reader's comments on a site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mutes")
    muted = models.ForeignKey(User, on_delete=models.CASCADE, related_name="muted_by")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "user", "muted"], name="mute_once")]

    def __str__(self) -> str:
        return f"{self.user_id} mutes {self.muted_id}"


class IpSighting(models.Model):
    """An address an account signed up or logged in from, as a salted hash only.

    Kept to trace sock puppets and abuse back to a source, and deleted by
    ``townhall purge`` once older than ``TOWNHALL_IP_RETENTION_DAYS``.
    """

    class Kind(models.TextChoices):
        SIGNUP = "signup", _("Sign-up")
        LOGIN = "login", _("Log-in")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="ip_sightings")
    ip_hash = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "ip_hash", "kind"], name="ip_sighting_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.user_id} at {self.seen_at:%Y-%m-%d}"
