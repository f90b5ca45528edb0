"""Hypothesis properties of the code that meets untrusted text first.

``markdown.render`` is safe for every input; cursors round-trip and nothing else
decodes; display names are refused (422) or come out clean; and the thread API
never answers a 5xx to any body a client can send.
"""

from __future__ import annotations

import json
import unicodedata

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tests.security.conftest import assert_error_shape, snapshot
from tests.security.safety import check_safe_html
from townhall.accounts.services import clean_display_name
from townhall.api.errors import ApiError
from townhall.lib import cursor
from townhall.lib.markdown import render

FAST = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Pieces of Markdown, HTML, URLs and Unicode that sanitisers trip on, to be glued
# together in any order with arbitrary text between them.
FRAGMENTS = [
    "<",
    ">",
    "</",
    "/>",
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=",
    "<svg/onload=",
    "<math>",
    "<style>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "[",
    "]",
    "(",
    ")",
    "](",
    "![",
    "<http://",
    "<javascript:",
    "www.",
    "@",
    "javascript:",
    "JaVaScRiPt:",
    "java\tscript:",
    "jav&#x09;ascript:",
    "&#106;avascript:",
    "data:text/html,",
    "vbscript:",
    "http://",
    "https://",
    "mailto:",
    "//evil.example",
    " onclick=",
    " onmouseover=",
    '"',
    "'",
    "`",
    "=",
    "&",
    "&amp;",
    "&lt;",
    "&#x3C;",
    "&#",
    ";",
    "\\",
    "*",
    "**",
    "_",
    "__",
    "> ",
    ">>",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "  \n",
    "#",
    "---",
    "1. ",
    "- ",
    "\x00",
    "\x0b",
    "\u0085",
    "\u200b",
    "\u200d",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\ufffd",
    "\u0301",
    "\U0001f600",
    "e\u0301",
    "%0a",
    "%22",
    "alert(1)",
]
markdownish = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=40).map(
    "".join
)
any_text = st.one_of(markdownish, st.text(max_size=300))
# Text as JSON can carry it: any code point, lone surrogates included (escaped).
json_text = st.text(alphabet=st.characters(codec=None), max_size=200)


# --- markdown.render ----------------------------------------------------------------


@FAST
@given(any_text)
@example("[x](javascript:alert(1))")
@example("<javascript:alert(1)>")
@example("[x](JaVaScRiPt:alert(1))")
@example("[x](data:text/html;base64,PHNjcmlwdD4=)")
@example("[x](vbscript:msgbox(1))")
@example('[x](http://a.example "t" onclick="alert(1)")')
@example("\ud800 lone surrogate")
@example("a\x00b")
def test_render_never_raises_and_is_always_safe(body):
    check_safe_html(render(body))


@FAST
@given(st.text(alphabet=st.characters(codec=None), max_size=100))
def test_render_takes_any_code_point(body):
    # Lone surrogates reach render from JSON escapes ("\ud800"); it must not raise.
    check_safe_html(render(body))


@FAST
@given(st.from_regex(r"https?://[a-z]{1,10}\.example/[a-z0-9/?=&]{0,20}", fullmatch=True))
def test_links_keep_their_target_and_get_rel(url):
    out = render(f"see [this]({url}) and {url}")
    check_safe_html(out)
    assert out.count('rel="nofollow ugc noopener"') == 2, out


def test_a_huge_body_renders_safely():
    body = ("**bold** [l](javascript:x) <script>alert(1)</script> " * 2000)[:100_000]
    check_safe_html(render(body))


# --- cursors -------------------------------------------------------------------------

sort_keys = st.sampled_from(["newest", "oldest", "top"])
json_scalars = st.one_of(
    st.integers(), st.text(max_size=30), st.booleans(), st.none(), st.floats(allow_nan=False)
)


@FAST
@given(sort_keys, st.lists(json_scalars, max_size=5))
def test_cursor_round_trips(sort, values):
    assert cursor.decode(sort, cursor.encode(sort, values)) == values


@FAST
@given(st.text(max_size=300), sort_keys)
def test_any_other_string_is_a_bad_cursor(raw, sort):
    try:
        cursor.decode(sort, raw)
    except cursor.BadCursor:
        pass


@FAST
@given(sort_keys, sort_keys, st.lists(json_scalars, max_size=3))
def test_a_cursor_belongs_to_its_sort(made_for, used_for, values):
    assume(made_for != used_for)
    with pytest.raises(cursor.BadCursor):
        cursor.decode(used_for, cursor.encode(made_for, values))


@FAST
@given(st.one_of(json_scalars, st.dictionaries(st.text(max_size=3), json_scalars, max_size=3)))
def test_a_signed_payload_of_another_shape_is_a_bad_cursor(payload):
    # Signed with our key and salt, so only the shape check stands in the way.
    forged = signing.dumps(payload, salt="townhall.cursor", compress=True)
    with pytest.raises(cursor.BadCursor):
        cursor.decode("newest", forged)


@FAST
@given(sort_keys, st.lists(json_scalars, max_size=3), st.data())
def test_a_tampered_cursor_is_a_bad_cursor(sort, values, data):
    good = cursor.encode(sort, values)
    i = data.draw(st.integers(0, len(good) - 1))
    ch = data.draw(st.characters(codec="ascii").filter(lambda c: c != good[i]))
    with pytest.raises(cursor.BadCursor):
        cursor.decode(sort, good[:i] + ch + good[i + 1 :])


# --- display names --------------------------------------------------------------------

INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}  # controls, format (bidi, zero-width), ...
names = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec=None), max_size=50),
    st.lists(
        st.sampled_from(
            [
                "Al",
                "ice",
                " ",
                ".",
                "'",
                "-",
                "\u202e",
                "\u200b",
                "\u200d",
                "\u2066",
                "\ufeff",
                "\u00a0",
                "\u3000",
                "\x00",
                "\t",
                "\n",
                "ﬁ",
                "Ａ",
                "\u0301",
                "ǅ",
                "①",
                "_",
                "𝐀",
            ]
        ),
        max_size=20,
    ).map("".join),
)


@FAST
@given(names)
@example("Ali\u202ece")
@example("Al\u200bice")
@example("admin\u200b")
@example("\ud800abc")
@example("Ａｄｍｉｎ")
def test_display_names_are_refused_or_clean(raw):
    try:
        name = clean_display_name(raw)
    except ApiError as exc:
        assert exc.status == 422 and exc.code == "invalid_display_name"
        return
    assert 2 <= len(name) <= 40
    bad = [c for c in name if unicodedata.category(c) in INVISIBLE]
    assert not bad, f"{raw!r} -> {name!r} keeps {[hex(ord(c)) for c in bad]}"
    assert unicodedata.normalize("NFKC", name) == name, f"{name!r} is not NFKC-stable"
    assert name == name.strip() and "  " not in name
    assert clean_display_name(name) == name, "cleaning is not idempotent"


# --- the thread API with hostile bodies ---------------------------------------------

hostile_bodies = st.one_of(
    st.text(alphabet=st.characters(codec=None), min_size=1, max_size=300),
    markdownish.filter(lambda s: s.strip()),
    st.builds(
        lambda s, n: s + "\u0301\u0316\u0353" * n,
        st.text(min_size=1, max_size=5),
        st.integers(1, 300),
    ),  # zalgo
    st.builds(lambda s: "\u202e" + s + "\u202c\u2066\u200b\ufeff", st.text(max_size=30)),
    st.builds(lambda n, c: c * n, st.integers(4990, 5100), st.sampled_from(["a", "é", "😀"])),
)

API = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _post(client: Client, token: str, payload: dict) -> tuple[int, bytes, str]:
    # ensure_ascii escapes lone surrogates as \udXXX, as any JSON library would send them.
    r = client.post(
        "/api/v1/comments",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    return r.status_code, r.content, r.headers.get("Content-Type", "")


@pytest.mark.django_db
@API
@given(body=hostile_bodies, story=json_text)
@example(body="\ud800", story="budget")
@example(body="ok", story="\udfff")
@example(body="\x00", story="budget")
@example(body="a" * 100_001, story="budget")
def test_posting_any_unicode_is_never_a_server_error(world, body, story):
    cache.clear()  # each example starts with no rate-limit or duplicate counters
    before = snapshot()
    status, content, ctype = _post(
        Client(), world.alice_token, {"site": "gazette", "story": story, "body": body}
    )
    assert status < 500, content[:300]
    if status == 201:
        payload = json.loads(content)
        check_safe_html(payload["body_html"])
        assert payload["status"] in ("published", "pending", "rejected")
    else:
        assert_error_shape(status, content, ctype)
        assert snapshot() == before, "a refused post changed the database"
    # A URL carries UTF-8 bytes, so a lone surrogate cannot travel in one.
    key = story[:200].encode("utf-8", "replace").decode() or "x"
    thread = Client().get("/api/v1/comments", {"site": "gazette", "story": key})
    assert thread.status_code < 500
    if thread.status_code == 200:
        for c in thread.json()["comments"]:
            check_safe_html(c["body_html"])
    else:
        assert_error_shape(thread.status_code, thread.content, thread.headers["Content-Type"])


@pytest.mark.django_db
@API
@given(site=json_text, story=json_text, sort=json_text, cursor_=json_text, limit=st.integers())
def test_reading_with_any_parameters_is_never_a_server_error(
    world, site, story, sort, cursor_, limit
):
    params = {
        name: value.encode("utf-8", "replace").decode() if isinstance(value, str) else value
        for name, value in {
            "site": site,
            "story": story,
            "sort": sort,
            "cursor": cursor_,
            "limit": limit,
        }.items()
    }
    r = Client().get("/api/v1/comments", params)
    assert r.status_code < 500, r.content[:300]
    if r.status_code >= 400:
        assert_error_shape(r.status_code, r.content, r.headers["Content-Type"])
