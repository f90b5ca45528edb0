"""Request bodies of the public API. Responses are the documented dict payloads."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field, model_validator


class CommentIn(Schema):
    site: str = Field(min_length=1, max_length=50)
    story: str = Field(min_length=1, max_length=200)
    story_url: str = Field(default="", max_length=1000)
    story_title: str = Field(default="", max_length=300)
    body: str = Field(max_length=100_000)
    parent_id: int | None = None
    author_name: str = Field(default="", max_length=40)


class CommentEdit(Schema):
    body: str = Field(max_length=100_000)


class ReportIn(Schema):
    reason: str = Field(max_length=16)
    note: str = Field(default="", max_length=500)


class ObjectIn(Schema):
    """A body whose fields all have defaults. Ninja's getter would take `null`,
    `[]` or `"x"` for `{}` and change nothing with a 200; this refuses them (422)."""

    @model_validator(mode="wrap")
    @classmethod
    def _an_object(cls, data, handler):  # type: ignore[no-untyped-def]
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return handler(data)


class ReactIn(ObjectIn):
    kind: str = Field(default="like", max_length=16)


class SignupIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    display_name: str = Field(max_length=100)
    site: str = Field(max_length=50)


class LoginIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    site: str | None = Field(default=None, max_length=50)


class SsoIn(Schema):
    site: str = Field(max_length=50)
    token: str = Field(max_length=8000)


class EmailIn(Schema):
    email: str = Field(max_length=254)


class ResetConfirmIn(Schema):
    uid: str = Field(max_length=64)
    token: str = Field(max_length=128)
    password: str = Field(max_length=200)


class VerifyIn(Schema):
    token: str = Field(max_length=500)


class MeIn(Schema):
    site: str = Field(max_length=50)
    display_name: str = Field(max_length=100)


class PasswordIn(Schema):
    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


class MuteIn(Schema):
    site: str = Field(max_length=50)
    user_id: int
