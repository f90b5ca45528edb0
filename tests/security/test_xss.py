"""The XSS corpus through the real API, then in a real browser.

(a) Each payload posted as a comment is stored and served as safe HTML; as a
display name or a guest's name it is refused or comes out as plain text.
(b) Headless Chromium loads the embed iframe page holding every payload, with
``alert``/``confirm``/``prompt`` hooked and a ``window.__pwned`` canary, and
nothing runs — once with the page's CSP, once with the CSP stripped, so the
sanitiser is shown to hold on its own.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.chromium import chromium
from tests.conftest import _member
from tests.security.safety import check_safe_html
from tests.security.xss_corpus import NAME_PAYLOADS, PAYLOADS
from townhall.accounts.models import ApiToken
from townhall.comments.models import Comment, Status
from townhall.sites.models import Story

PLAIN_NAME = re.compile(r"^[\w .'\-]+$")
IDS = [f"p{i:02d}" for i in range(len(PAYLOADS))]


def _call(client: Client, method: str, path: str, token: str | None, data=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    kwargs = {"data": json.dumps(data), "content_type": "application/json"} if data else {}
    return getattr(client, method)("/api/v1" + path, **kwargs, **headers)


# --- (a) through the API -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_payload_as_a_comment_is_stored_and_served_safe(world, payload):
    client = Client()
    r = _call(
        client,
        "post",
        "/comments",
        world.alice_token,
        {"site": "gazette", "story": "xss", "body": payload},
    )
    assert r.status_code == 201, r.content
    check_safe_html(r.json()["body_html"])
    check_safe_html(Comment.objects.get(pk=r.json()["id"]).body_html)
    thread = _call(client, "get", "/comments?site=gazette&story=xss", world.alice_token)
    for c in thread.json()["comments"]:
        check_safe_html(c["body_html"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload", PAYLOADS + NAME_PAYLOADS, ids=IDS + [f"n{i}" for i in range(len(NAME_PAYLOADS))]
)
def test_payload_as_a_display_name_is_refused_or_plain(world, payload):
    r = _call(
        Client(), "patch", "/me", world.bob_token, {"site": "gazette", "display_name": payload}
    )
    if r.status_code == 200:
        name = r.json()["user"]["display_name"]
        assert PLAIN_NAME.match(name), name
    else:
        assert r.status_code in (400, 409, 422), r.content
        assert r.json()["error"]["code"]


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_payload_as_a_guest_name_is_refused_or_plain(world, payload):
    world.site.anonymous_posting = True
    world.site.save(update_fields=["anonymous_posting"])
    before = Comment.objects.count()
    r = _call(
        Client(),
        "post",
        "/comments",
        None,
        {"site": "gazette", "story": "xss", "body": "A guest", "author_name": payload[:40]},
    )
    if r.status_code == 201:
        name = Comment.objects.get(pk=r.json()["id"]).author_name
        assert PLAIN_NAME.match(name), name
    else:
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_display_name"
        assert Comment.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "javascript:window.__pwned=1//",
        " JAVASCRIPT:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "//evil.example/x",
        "ftp://x.example/",
    ],
)
def test_a_story_url_that_is_not_http_is_not_kept(world, url):
    """The story URL becomes every permalink's href in the embed."""
    r = _call(
        Client(),
        "post",
        "/comments",
        world.alice_token,
        {"site": "gazette", "story": "linked", "story_url": url, "body": "First"},
    )
    assert r.status_code == 201
    assert Story.objects.get(site=world.site, key="linked").url == ""


# --- (b) in a real browser ------------------------------------------------------------

HOOKS = """
window.__dialogs = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = function (msg) { window.__dialogs.push(name + ": " + msg); };
}
"""

# Run in the page after it settles: every trace a payload could leave in the DOM.
INSPECT = """
() => {
  const found = [];
  const bad = /^(javascript|data|vbscript):/i;
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) found.push(`${el.tagName} ${attr.name}=${attr.value}`);
      if (/^(href|src|action|formaction|xlink:href|data|srcdoc)$/i.test(attr.name)) {
        const v = attr.value.replace(/[\\u0000-\\u0020]/g, "");
        if (bad.test(v) || attr.name.toLowerCase() === "srcdoc")
          found.push(`${el.tagName} ${attr.name}=${attr.value}`);
      }
    }
  }
  for (const s of document.scripts) {
    if (!s.src || new URL(s.src).origin !== location.origin) found.push("script " + s.outerHTML);
  }
  for (const el of document.querySelectorAll(".text *")) {
    if (!["P", "BR", "EM", "STRONG", "A", "BLOCKQUOTE"].includes(el.tagName))
      found.push("in a comment: " + el.outerHTML.slice(0, 120));
  }
  return found;
}
"""


@pytest.fixture
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def hostile_thread(transactional_db, monkeypatch, settings):
    """One story holding every payload as a comment, plus any name the API let through."""
    from tests.conftest import CLASSIFIER_OFF
    from tests.factories import SiteFactory

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.TOWNHALL_DUPLICATE_WINDOW = 0  # some payloads differ only in letter case
    site = SiteFactory(
        slug="gazette",
        allowed_origins=["https://gazette.example"],
        hold_thresholds=CLASSIFIER_OFF,
        reject_thresholds=CLASSIFIER_OFF,
        anonymous_posting=True,
        max_comment_length=5000,
    )
    alice = _member(site, "Alice")
    mallory = _member(site, "Mallory", "moderator")
    alice_token = ApiToken.issue(alice.user)[1]
    mallory_token = ApiToken.issue(mallory.user)[1]
    client = Client()
    ids = []
    for n, payload in enumerate(PAYLOADS):
        data = {"site": "gazette", "story": "xss", "body": payload}
        if n == 0:
            data |= {"story_url": "javascript:window.__pwned=1//", "story_title": PAYLOADS[0]}
        r = _call(client, "post", "/comments", alice_token, data)
        assert r.status_code == 201, r.content
        ids.append(r.json()["id"])
    names = 0
    for n, payload in enumerate(PAYLOADS + NAME_PAYLOADS):
        member = _member(site, f"Reader {n}")
        token = ApiToken.issue(member.user)[1]
        r = _call(client, "patch", "/me", token, {"site": "gazette", "display_name": payload})
        if r.status_code == 200:
            names += 1
            r = _call(
                client,
                "post",
                "/comments",
                token,
                {"site": "gazette", "story": "xss", "body": f"Named {n}"},
            )
            ids.append(r.json()["id"])
        r = _call(
            client,
            "post",
            "/comments",
            None,
            {"site": "gazette", "story": "xss", "body": f"Guest {n}", "author_name": payload[:40]},
        )
        if r.status_code == 201:
            names += 1
            ids.append(r.json()["id"])
    for c in Comment.objects.filter(pk__in=ids).exclude(status=Status.PUBLISHED):
        r = _call(
            client, "post", f"/moderation/comments/{c.pk}", mallory_token, {"action": "approve"}
        )
        assert r.status_code == 200, r.content
    assert Comment.objects.filter(pk__in=ids, status=Status.PUBLISHED).count() == len(ids)
    assert names >= 2 * len(NAME_PAYLOADS), "the name payloads meant to pass were refused"
    return len(ids)


@pytest.mark.browser
@pytest.mark.parametrize("csp", ["with CSP", "CSP stripped"])
def test_no_payload_runs_in_the_embed(browser, live_server, hostile_thread, csp):
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    context.add_init_script(HOOKS)
    if csp == "CSP stripped":

        def strip(route):
            response = route.fetch()
            headers = {
                k: v for k, v in response.headers.items() if k.lower() != "content-security-policy"
            }
            route.fulfill(response=response, headers=headers)

        context.route("**/embed/**", strip)
    try:
        page.goto(f"{live_server.url}/embed/?site=gazette&story=xss&limit=200")
        page.wait_for_load_state("networkidle")
        page.wait_for_function(
            f"document.querySelectorAll('li.comment').length >= {hostile_thread}", timeout=15_000
        )
        # Give handlers that need a nudge their chance: hover and focus everything.
        page.evaluate(
            """() => { for (const el of document.querySelectorAll('.text, .text *, .author')) {
                 for (const t of ['mouseover', 'mouseenter', 'focus', 'animationstart'])
                   el.dispatchEvent(new Event(t, {bubbles: true})); } }"""
        )
        for a in page.locator(".text a").all()[:20]:
            a.hover()
        page.wait_for_timeout(500)
        traces = page.evaluate(INSPECT)
        pwned = page.evaluate("window.__pwned")
        hooked = page.evaluate("window.__dialogs")
        shown = page.locator("li.comment").count()
    finally:
        context.close()
    assert shown >= hostile_thread
    assert pwned is None, "a payload set window.__pwned"
    assert not dialogs and not hooked, f"a payload opened a dialog: {dialogs + hooked}"
    assert not traces, f"payload traces in the DOM: {traces}"
    blocked = [e for e in errors if "Content Security Policy" in e or "Refused" in e]
    assert not blocked, f"the CSP had to block something the sanitiser let through: {blocked}"
