"""Request bodies of the account endpoints that the shared API schemas do not hold."""

from __future__ import annotations

from ninja import Field

from townhall.api import schemas


class SignupWithChecksIn(schemas.SignupIn):
    """Sign-up with the bot checks of ``signup_guard``: a solved challenge, and a
    honeypot that must stay empty."""

    challenge: str = Field(default="", max_length=1000)
    nonce: str = Field(default="", max_length=40)
    website: str = Field(default="", max_length=500, description="Leave empty (honeypot)")


class DeleteMeIn(schemas.ObjectIn):
    password: str | None = Field(default=None, max_length=200)
