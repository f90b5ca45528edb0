"""Sign-up, log-in, CSRF, mailed links, reader settings and API tokens."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.core import mail
from django.test import Client

from tests.accounts.signup import answer
from tests.conftest import Api
from tests.factories import PASSWORD
from townhall.accounts.models import Membership, User

pytestmark = pytest.mark.django_db


def browser() -> tuple[Client, dict[str, str]]:
    """A client that enforces CSRF like a browser, with the token fetched first."""
    client = Client(enforce_csrf_checks=True)
    token = client.get("/api/v1/auth/csrf").json()["csrf_token"]
    return client, {"HTTP_X_CSRFTOKEN": token}


def send(client, path, data, headers=None, method="post"):
    response = getattr(client, method)(
        "/api/v1" + path, json.dumps(data), content_type="application/json", **(headers or {})
    )
    return response.status_code, response.json() if response.content else None


@pytest.fixture(autouse=True)
def _no_typing_delay(settings):
    # The wait a person needs to fill the form is tested in test_signup_guard.py;
    # these tests would only sleep through it.
    settings.TOWNHALL_SIGNUP_MIN_SECONDS = 0


def signup(client, data, headers):
    """Sign up as the embed does: with a solved challenge for the form."""
    challenge = client.get("/api/v1/auth/signup/challenge", {"site": "gazette"}).json()
    fetched = time.monotonic()
    return send(client, "/auth/signup", {**data, **answer(challenge, fetched)}, headers)


SIGNUP = {
    "email": "dora@example.org",
    "password": "tulips in the rain",
    "display_name": "Dora",
    "site": "gazette",
}


def test_signup_logs_in_creates_a_membership_and_mails_a_verification_link(gazette):
    client, csrf = browser()
    status, data = signup(client, SIGNUP, csrf)
    assert status == 201
    assert data["user"]["display_name"] == "Dora" and data["user"]["email_verified"] is False
    assert Membership.objects.get(user__email="dora@example.org").site == gazette
    # the session works for posting, with the token that log-in rotated
    csrf = {"HTTP_X_CSRFTOKEN": data["csrf_token"]}
    status, _ = send(client, "/comments", {"site": "gazette", "story": "s", "body": "hi"}, csrf)
    assert status == 201
    [message] = mail.outbox
    link = re.search(r"http\S+/account/verify/\?token=\S+", message.body).group(0)
    page = Client().get(link.split("8000", 1)[1])
    assert page.status_code == 200 and b"confirmed" in page.content
    assert User.objects.get(email="dora@example.org").email_verified


def test_a_forged_verification_link_does_nothing(gazette):
    page = Client().get("/account/verify/?token=forged")
    assert page.status_code == 400


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"email": "not-an-email"}, 422, "invalid_email"),
        ({"password": "short"}, 422, "invalid_password"),
        ({"password": "password123"}, 422, "invalid_password"),
        ({"display_name": "x"}, 422, "invalid_display_name"),
        ({"display_name": "<b>Dora</b>"}, 422, "invalid_display_name"),
        ({"display_name": "Moderator"}, 422, "invalid_display_name"),
        ({"site": "nowhere"}, 404, "site_not_found"),
    ],
)
def test_bad_signups_are_refused_and_store_nothing(gazette, change, status, code):
    client, csrf = browser()
    got, data = signup(client, {**SIGNUP, **change}, csrf)
    assert (got, data["error"]["code"]) == (status, code)
    assert not User.objects.filter(email__in=["dora@example.org", "not-an-email"]).exists()


def test_email_and_display_name_are_unique(gazette, alice):
    client, csrf = browser()
    got, data = signup(client, {**SIGNUP, "email": "ALICE@example.org"}, csrf)
    assert (got, data["error"]["code"]) == (409, "email_taken")
    got, data = signup(client, {**SIGNUP, "display_name": "  alice "}, csrf)
    assert (got, data["error"]["code"]) == (409, "display_name_taken")


def test_unsafe_calls_without_the_csrf_token_are_refused(gazette, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    status, data = send(client, "/comments", {"site": "gazette", "story": "s", "body": "hi"})
    assert status == 403 and data["error"]["code"] == "csrf_failed"


def test_bearer_tokens_need_no_csrf(as_alice):
    assert as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "hi"})[0] == 201


def test_an_unknown_bearer_token_is_401(gazette):
    api = Api(Client(), "th_made_up")
    status, data = api.post("/comments", {"site": "gazette", "story": "s", "body": "hi"})
    assert status == 401 and data["error"]["code"] == "invalid_token"


def test_login_and_logout(alice):
    client, csrf = browser()
    status, data = send(
        client, "/auth/login", {"email": "alice@example.org", "password": "nope"}, csrf
    )
    assert status == 401
    status, data = send(
        client,
        "/auth/login",
        {"email": "Alice@Example.org", "password": PASSWORD, "site": "gazette"},
        csrf,
    )
    assert status == 200 and data["user"]["display_name"] == "Alice"
    csrf = {"HTTP_X_CSRFTOKEN": data["csrf_token"]}
    assert client.get("/api/v1/auth/me").json()["authenticated"] is True
    assert send(client, "/auth/logout", {}, csrf)[0] == 200
    assert client.get("/api/v1/auth/me").json()["authenticated"] is False


def test_password_reset_by_mailed_link(alice):
    client, csrf = browser()
    status, _ = send(client, "/auth/password-reset", {"email": "alice@example.org"}, csrf)
    assert status == 202
    status, _ = send(client, "/auth/password-reset", {"email": "nobody@example.org"}, csrf)
    assert status == 202  # says nothing about which addresses exist
    [message] = mail.outbox
    path = re.search(r"/account/reset/\?\S+", message.body).group(0)
    page = Client()
    assert page.get(path).status_code == 200
    done = page.post(
        path, {"new_password1": "a brand new secret", "new_password2": "a brand new secret"}
    )
    assert done.status_code == 200 and b"Password changed" in done.content
    alice.user.refresh_from_db()
    assert alice.user.check_password("a brand new secret")
    assert page.get(path).status_code == 400  # a used link is spent


def test_readers_change_their_name_and_password(as_alice, alice, bob):
    status, data = as_alice.patch("/me", {"site": "gazette", "display_name": "Alice B."})
    assert status == 200 and data["user"]["display_name"] == "Alice B."
    status, data = as_alice.patch("/me", {"site": "gazette", "display_name": "bob"})
    assert status == 409
    status, _ = as_alice.post(
        "/me/password", {"current_password": "wrong", "new_password": "x" * 12}
    )
    assert status == 403
    status, _ = as_alice.post(
        "/me/password", {"current_password": PASSWORD, "new_password": "another fine phrase"}
    )
    assert status == 200
    alice.user.refresh_from_db()
    assert alice.user.check_password("another fine phrase")


def test_muted_readers_are_listed_by_name_and_can_be_unmuted(as_alice, bob):
    as_alice.post("/me/mutes", {"site": "gazette", "user_id": bob.user_id})
    _, listed = as_alice.get("/me/mutes", site="gazette")
    assert listed == {"muted": [{"id": bob.user_id, "display_name": "Bob"}]}
    assert as_alice.delete(f"/me/mutes/{bob.user_id}?site=gazette")[0] == 204
    assert as_alice.get("/me/mutes", site="gazette")[1] == {"muted": []}


def test_muting_checks_its_target(as_alice, alice, charlie):
    status, data = as_alice.post("/me/mutes", {"site": "gazette", "user_id": alice.user_id})
    assert status == 422
    status, data = as_alice.post("/me/mutes", {"site": "gazette", "user_id": charlie.user_id})
    assert status == 404


def test_passwords_are_stored_as_argon2_hashes(gazette, settings):
    from townhall import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    client, csrf = browser()
    assert signup(client, SIGNUP, csrf)[0] == 201
    stored = User.objects.get(email="dora@example.org").password
    assert stored.startswith("argon2$") and "tulips" not in stored
