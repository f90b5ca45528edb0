"""Wrong passwords lock an account and an address out, for longer each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def quick_locks(settings):
    # One-second locks keep the doubling observable without minutes of sleep.
    settings.TOWNHALL_LOGIN_MAX_FAILURES = 3
    settings.TOWNHALL_LOGIN_MAX_FAILURES_PER_IP = 100
    settings.TOWNHALL_LOGIN_LOCKOUT_SECONDS = 1
    settings.TOWNHALL_LOGIN_LOCKOUT_MAX_SECONDS = 2
    return settings


def api_login(client: Client, email: str, password: str, ip: str = "198.51.100.7"):
    response = client.post(
        "/api/v1/auth/login",
        json.dumps({"email": email, "password": password}),
        content_type="application/json",
        REMOTE_ADDR=ip,
    )
    return response.status_code, response


def fail_times(client: Client, n: int, email: str = "alice@example.org", **kw) -> list[int]:
    return [api_login(client, email, "not the password", **kw)[0] for _ in range(n)]


def test_the_default_locks_after_five_wrong_passwords_for_a_minute(alice):
    client = Client()
    assert fail_times(client, 5) == [401] * 5
    status, response = api_login(client, "alice@example.org", PASSWORD)
    assert status == 429 and response.json()["error"]["code"] == "locked_out"
    assert 55 <= int(response["Retry-After"]) <= 60


def test_each_lock_doubles_until_the_cap_and_a_good_login_resets(alice, quick_locks):
    client = Client()
    waits = []
    for _ in range(3):
        assert fail_times(client, 3) == [401] * 3
        status, response = api_login(client, "alice@example.org", PASSWORD)
        assert status == 429  # even the right password waits out the lock
        waits.append(int(response["Retry-After"]))
        time.sleep(waits[-1] + 0.05)
    assert waits == [1, 2, 2]
    assert api_login(client, "alice@example.org", PASSWORD)[0] == 200
    # From another address: this one has met the coarse limit on log-in requests.
    assert fail_times(client, 3, ip="198.51.100.8") == [401] * 3
    status, response = api_login(client, "alice@example.org", PASSWORD, ip="198.51.100.8")
    assert response.json()["error"]["code"] == "locked_out" and response["Retry-After"] == "1"


def test_the_lock_is_per_account(alice, bob, quick_locks):
    client = Client()
    fail_times(client, 3)
    assert api_login(client, "alice@example.org", PASSWORD)[0] == 429
    assert api_login(client, "bob@example.org", PASSWORD)[0] == 200


def test_one_address_guessing_at_many_accounts_is_locked_out(alice, bob, quick_locks):
    quick_locks.TOWNHALL_LOGIN_MAX_FAILURES_PER_IP = 4
    client = Client()
    for n in range(4):
        assert fail_times(client, 1, f"guess{n}@example.org") == [401]
    # Logging into an account of one's own does not clear the address.
    assert api_login(client, "bob@example.org", PASSWORD)[0] == 429
    assert api_login(client, "bob@example.org", PASSWORD, ip="203.0.113.5")[0] == 200


def test_the_dashboard_shares_the_lock_and_says_when_to_retry(mallory, quick_locks):
    client = Client()
    fail_times(client, 2, "mallory@example.org")
    wrong = client.post(
        "/dashboard/login/",
        {"email": "mallory@example.org", "password": "nope"},
        REMOTE_ADDR="198.51.100.7",
    )
    assert wrong.status_code == 401
    locked = client.post(
        "/dashboard/login/",
        {"email": "mallory@example.org", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert locked.status_code == 429 and locked["Retry-After"] == "1"
    assert b"Too many failed attempts" in locked.content
    time.sleep(1.05)
    signed_in = client.post(
        "/dashboard/login/",
        {"email": "mallory@example.org", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert signed_in.status_code == 302


def test_failures_in_another_process_lock_this_one(alice, settings, tmp_path):
    """Processes share the lock through the cache: Redis, or files on one machine."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "townhall.settings"}
    if not settings.REDIS_URL:
        cache_dir = tmp_path / "cache"
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(cache_dir),
            }
        }
        env.update(TOWNHALL_CACHE="file", TOWNHALL_DATA_DIR=str(tmp_path))
    script = (
        "import django; django.setup(); from townhall.accounts import lockout\n"
        "for _ in range(5): lockout.failed('alice@example.org', '192.0.2.1')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    status, response = api_login(Client(), "alice@example.org", PASSWORD, ip="192.0.2.99")
    assert status == 429 and int(response["Retry-After"]) > 50
