"""Sign-up bots meet a honeypot, a signed challenge with a typing delay, and a proof of work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from django.test import Client

from tests.accounts.signup import answer
from townhall.accounts.models import User
from townhall.accounts.signup_guard import leading_zero_bits, solve, solves

pytestmark = pytest.mark.django_db

DORA = {
    "email": "dora@example.org",
    "password": "tulips in the rain",
    "display_name": "Dora",
    "site": "gazette",
}


def challenge(client: Client, site: str = "gazette") -> dict:
    return client.get("/api/v1/auth/signup/challenge", {"site": site}).json()


def post(client: Client, body: dict):
    response = client.post("/api/v1/auth/signup", json.dumps(body), content_type="application/json")
    return response.status_code, response


def code(response) -> str:
    return response.json()["error"]["code"]


def test_a_patient_client_that_solves_the_challenge_gets_an_account(gazette):
    client = Client()
    started = time.monotonic()
    issued = challenge(client)
    fetched = time.monotonic()
    assert issued["difficulty"] == 14 and issued["min_seconds"] == 2
    status, _ = post(client, {**DORA, **answer(issued, fetched)})
    assert status == 201
    assert time.monotonic() - started >= 2
    assert User.objects.filter(email="dora@example.org").exists()


def test_a_submission_quicker_than_a_person_is_refused_with_retry_after(gazette):
    client = Client()
    issued = challenge(client)
    nonce = solve(issued["challenge"], issued["difficulty"])
    status, response = post(client, {**DORA, "challenge": issued["challenge"], "nonce": nonce})
    assert status == 429 and code(response) == "too_fast"
    assert response["Retry-After"] in ("1", "2")
    assert not User.objects.exists()
    time.sleep(int(response["Retry-After"]) + 0.05)
    assert post(client, {**DORA, "challenge": issued["challenge"], "nonce": nonce})[0] == 201


def test_a_filled_honeypot_is_refused_like_any_bad_form(gazette, settings):
    settings.TOWNHALL_SIGNUP_MIN_SECONDS = 0
    client = Client()
    proof = answer(challenge(client), time.monotonic())
    status, response = post(client, {**DORA, **proof, "website": "https://spam.example"})
    assert status == 422 and code(response) == "invalid_signup"
    assert "honeypot" not in response.content.decode().lower()
    assert not User.objects.exists()


def a_wrong_nonce(token: str, bits: int) -> str:
    return next(str(n) for n in range(100) if not solves(token, str(n), bits))


@pytest.mark.parametrize(
    ("spoil", "status", "error"),
    [
        (lambda c, good, bad: {}, 400, "challenge_invalid"),
        (
            lambda c, good, bad: {"challenge": c[:-2] + "xx", "nonce": good},
            400,
            "challenge_invalid",
        ),
        (lambda c, good, bad: {"challenge": c, "nonce": bad}, 400, "challenge_unsolved"),
    ],
    ids=["missing", "forged", "unsolved"],
)
def test_a_missing_forged_or_unsolved_challenge_is_refused(gazette, settings, spoil, status, error):
    settings.TOWNHALL_SIGNUP_CHALLENGE = "always"
    settings.TOWNHALL_SIGNUP_MIN_SECONDS = 0
    client = Client()
    token = challenge(client)["challenge"]
    good, bad = solve(token, 14), a_wrong_nonce(token, 14)
    got, response = post(client, {**DORA, **spoil(token, good, bad)})
    assert (got, code(response)) == (status, error)
    assert not User.objects.exists()


def test_an_expired_or_other_sites_challenge_is_refused(gazette, herald, settings):
    settings.TOWNHALL_SIGNUP_MIN_SECONDS = 0
    settings.TOWNHALL_SIGNUP_TOKEN_MAX_AGE = 1
    client = Client()
    proof = answer(challenge(client), time.monotonic())
    time.sleep(2.1)  # signatures carry whole seconds
    status, response = post(client, {**DORA, **proof})
    assert (status, code(response)) == (400, "challenge_expired")
    settings.TOWNHALL_SIGNUP_TOKEN_MAX_AGE = 3600
    theirs = answer(challenge(client, "herald"), time.monotonic())
    status, response = post(client, {**DORA, **theirs})
    assert (status, code(response)) == (400, "challenge_invalid")
    assert not User.objects.exists()


def test_a_challenge_buys_one_account_but_survives_a_failed_attempt(gazette, alice, settings):
    settings.TOWNHALL_SIGNUP_MIN_SECONDS = 0
    client = Client()
    proof = answer(challenge(client), time.monotonic())
    status, response = post(client, {**DORA, **proof, "email": "alice@example.org"})
    assert (status, code(response)) == (409, "email_taken")
    assert post(client, {**DORA, **proof})[0] == 201  # corrected, same form
    again = {**DORA, **proof, "email": "eve@example.org", "display_name": "Eve"}
    status, response = post(Client(), again)
    assert (status, code(response)) == (409, "challenge_used")


def test_the_difficulty_is_the_sites_choice(gazette, settings):
    settings.TOWNHALL_SIGNUP_POW_BITS = 18
    settings.TOWNHALL_SIGNUP_MIN_SECONDS = 0
    client = Client()
    issued = challenge(client)
    assert issued["difficulty"] == 18
    weak = next(
        str(n)
        for n in range(1_000_000)
        if solves(issued["challenge"], str(n), 10) and not solves(issued["challenge"], str(n), 18)
    )
    status, response = post(client, {**DORA, "challenge": issued["challenge"], "nonce": weak})
    assert (status, code(response)) == (400, "challenge_unsolved")
    assert post(client, {**DORA, **answer(issued, time.monotonic())})[0] == 201


@pytest.mark.parametrize(
    ("digest", "bits"),
    [(b"\xff", 0), (b"\x80", 0), (b"\x7f", 1), (b"\x01", 7), (b"\x00\x01", 15), (b"\x00\x00", 16)],
)
def test_leading_zero_bits(digest, bits):
    assert leading_zero_bits(digest) == bits


def test_with_never_the_plain_contract_always_signs_up_but_a_sent_challenge_is_checked(
    gazette, settings
):
    settings.TOWNHALL_SIGNUP_CHALLENGE = "never"
    settings.TOWNHALL_SIGNUP_SURGE_PER_HOUR = 1
    settings.TOWNHALL_SIGNUP_MIN_SECONDS = 0
    assert post(Client(), {**DORA, "website": "x"})[0] == 422
    client = Client()
    token = challenge(client)["challenge"]
    forged = {"challenge": token[:-2] + "xx", "nonce": solve(token, 14)}
    assert code(post(client, {**DORA, **forged})[1]) == "challenge_invalid"
    # No surge is ever declared: the second and third plain sign-ups pass too.
    for n in range(3):
        assert post(Client(REMOTE_ADDR=f"203.0.113.{n}"), reader(n))[0] == 201


def reader(n: int) -> dict[str, str]:
    """A sign-up with only the four fields of the API contract."""
    return {**DORA, "email": f"reader{n}@example.org", "display_name": f"Reader {n}"}


def plain_signups(count: int, site: str = "gazette", first: int = 0) -> list[int]:
    """Sign up ``count`` readers with the four contract fields, each from an address
    of its own (one address meets the per-address limit at ten)."""
    statuses = []
    for n in range(first, first + count):
        client = Client(REMOTE_ADDR=f"198.51.{n // 250}.{n % 250 + 1}")
        statuses.append(post(client, {**reader(n), "site": site})[0])
    return statuses


def test_by_default_one_client_signs_up_with_the_four_fields_until_its_address_limit(gazette):
    # The surge threshold is above the per-address limit, so a single client meets
    # the ordinary rate limit, never the demand for a challenge.
    client = Client(REMOTE_ADDR="192.0.2.10")
    got = [post(client, reader(n)) for n in range(11)]
    assert [status for status, _ in got] == [201] * 10 + [429]
    assert code(got[-1][1]) == "rate_limited" and int(got[-1][1]["Retry-After"]) > 0


def test_by_default_a_surge_of_plain_sign_ups_makes_the_challenge_required(
    gazette, herald, settings
):
    settings.TOWNHALL_SIGNUP_MIN_SECONDS = 0
    threshold = settings.TOWNHALL_SIGNUP_SURGE_PER_HOUR
    assert settings.TOWNHALL_SIGNUP_CHALLENGE == "auto" and threshold > 10
    assert plain_signups(threshold) == [201] * threshold  # not before the threshold
    late = Client(REMOTE_ADDR="192.0.2.77")
    status, response = post(late, reader(threshold))
    assert (status, code(response)) == (429, "challenge_required")
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "challenge" in response.json()["error"]["message"]
    assert not User.objects.filter(email=f"reader{threshold}@example.org").exists()
    # The same reader, with the challenge the embed always solves, is let in.
    proof = answer(challenge(late), time.monotonic())
    assert post(late, {**reader(threshold), **proof})[0] == 201
    # The surge is the Gazette's; the Herald's plain sign-ups carry on.
    assert plain_signups(1, site="herald", first=threshold + 1) == [201]


def test_a_surge_seen_by_another_process_demands_the_challenge_here(gazette, settings, tmp_path):
    """Processes count sign-ups together through the cache: Redis, or files on one machine."""
    settings.TOWNHALL_SIGNUP_MIN_SECONDS = 0
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "townhall.settings"}
    if not settings.REDIS_URL:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }
        env.update(TOWNHALL_CACHE="file", TOWNHALL_DATA_DIR=str(tmp_path))
    threshold = settings.TOWNHALL_SIGNUP_SURGE_PER_HOUR
    script = (
        "import django; django.setup(); from townhall.accounts import signup_guard\n"
        f"for _ in range({threshold}): signup_guard.note_unchallenged('gazette')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    client = Client(REMOTE_ADDR="192.0.2.99")
    status, response = post(client, DORA)
    assert (status, code(response)) == (429, "challenge_required")
    assert post(client, {**DORA, **answer(challenge(client), time.monotonic())})[0] == 201


@pytest.mark.parametrize(
    ("value", "mode"),
    [("", "auto"), ("Always", "always"), ("never", "never"), ("true", "always"), ("0", "never")],
)
def test_the_challenge_mode_reads_old_booleans_too(value, mode):
    assert read_setting({"TOWNHALL_SIGNUP_CHALLENGE": value}) == (0, mode)


def test_a_misspelt_challenge_mode_stops_townhall_with_a_clear_error():
    returncode, output = read_setting({"TOWNHALL_SIGNUP_CHALLENGE": "sometimes"})
    assert returncode != 0
    assert "TOWNHALL_SIGNUP_CHALLENGE='sometimes' is not a mode" in output


def read_setting(extra: dict[str, str]) -> tuple[int, str]:
    """Load the settings in a fresh interpreter with ``extra`` in its environment."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.TOWNHALL_SIGNUP_CHALLENGE)",
        ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "townhall.settings", **extra},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, (done.stdout.strip() if done.returncode == 0 else done.stderr)
