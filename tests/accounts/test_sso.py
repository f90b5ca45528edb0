"""Publisher single sign-on: a JWT signed by the site's secret or key becomes a session."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from townhall.accounts.models import Membership, SsoIdentity, User

pytestmark = pytest.mark.django_db

SECRET = "publisher-shared-secret-of-enough-length"


def claims(**extra):
    return {
        "sub": "reader-42",
        "email": "pat@example.org",
        "name": "Pat Reader",
        "aud": "gazette",
        "exp": int(time.time()) + 300,
        **extra,
    }


def exchange(token, site="gazette"):
    client = Client()
    response = client.post(
        "/api/v1/auth/sso",
        json.dumps({"site": site, "token": token}),
        content_type="application/json",
    )
    return client, response.status_code, response.json()


@pytest.fixture
def hs_site(gazette):
    gazette.sso_secret = SECRET
    gazette.save()
    return gazette


@pytest.fixture
def rsa_keys():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key, public


def test_an_hs256_token_signs_the_reader_in_and_they_can_post(hs_site):
    client, status, data = exchange(jwt.encode(claims(), SECRET, algorithm="HS256"))
    assert status == 200
    assert data["user"]["display_name"] == "Pat Reader"
    response = client.post(
        "/api/v1/comments",
        json.dumps({"site": "gazette", "story": "s", "body": "Signed in by my paper"}),
        content_type="application/json",
    )
    assert response.status_code == 201


def test_the_same_sub_is_the_same_reader_and_never_merged_by_email(hs_site, alice):
    token = jwt.encode(claims(email="alice@example.org"), SECRET, algorithm="HS256")
    exchange(token)
    exchange(token)
    identity = SsoIdentity.objects.get()
    assert identity.user_id != alice.user_id
    assert User.objects.filter(email="alice@example.org").count() == 1
    assert Membership.objects.filter(user=identity.user).count() == 1


def test_an_rs256_token_with_the_sites_public_key(gazette, rsa_keys):
    key, public = rsa_keys
    gazette.sso_public_key = public
    gazette.save()
    _, status, _ = exchange(jwt.encode(claims(), key, algorithm="RS256"))
    assert status == 200


def test_hs_rs_confusion_is_refused(gazette, rsa_keys):
    key, public = rsa_keys
    gazette.sso_public_key = public
    gazette.save()

    # A forger who signs HS256 with the public key as the secret must get nowhere.
    def b64(raw: bytes) -> bytes:
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(json.dumps(claims()).encode())
    signature = hmac.new(public.encode(), signing_input, hashlib.sha256).digest()
    forged = (signing_input + b"." + b64(signature)).decode()
    _, status, data = exchange(forged)
    assert status == 401 and data["error"]["code"] == "sso_invalid"


@pytest.mark.parametrize(
    "make_token",
    [
        lambda: jwt.encode(claims(), "a-different-secret-entirely-here", algorithm="HS256"),
        lambda: jwt.encode(claims(aud="herald"), SECRET, algorithm="HS256"),
        lambda: jwt.encode(claims(exp=int(time.time()) - 3600), SECRET, algorithm="HS256"),
        lambda: jwt.encode(
            {k: v for k, v in claims().items() if k != "sub"}, SECRET, algorithm="HS256"
        ),
        lambda: jwt.encode(claims(), None, algorithm="none"),
        lambda: "not.a.jwt",
    ],
    ids=["bad-signature", "wrong-audience", "expired", "no-sub", "alg-none", "garbage"],
)
def test_bad_tokens_are_refused_and_create_nobody(hs_site, make_token):
    _, status, data = exchange(make_token())
    assert status == 401
    assert data["error"]["code"] in {"sso_invalid", "sso_expired"}
    assert not SsoIdentity.objects.exists()


def test_a_site_without_sso_says_so(gazette):
    _, status, data = exchange(jwt.encode(claims(), SECRET, algorithm="HS256"))
    assert (status, data["error"]["code"]) == (400, "sso_not_configured")


def test_sso_also_gives_a_short_lived_token_for_cookie_less_browsers(hs_site):
    _, status, data = exchange(jwt.encode(claims(), SECRET, algorithm="HS256"))
    assert data["token"].startswith("ths_")
    cookieless = Client()
    response = cookieless.post(
        "/api/v1/comments",
        json.dumps({"site": "gazette", "story": "s", "body": "No cookies here"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {data['token']}",
    )
    assert response.status_code == 201
    forged = cookieless.post(
        "/api/v1/comments",
        json.dumps({"site": "gazette", "story": "s", "body": "Forged"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {data['token'][:-2]}xx",
    )
    assert forged.status_code == 401
