"""The queue pages: cards with highlighted words, score bars, reports and the author's record."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.dashboard.conftest import TOXIC_SCORES, make_comment
from tests.factories import MembershipFactory, StoryFactory
from townhall.comments.models import Status
from townhall.dashboard.views.queue import PAGE_SIZE
from townhall.moderation.types import DEFAULT_HOLD, DEFAULT_REJECT
from townhall.reports.models import Report

pytestmark = pytest.mark.django_db


def test_a_held_comment_shows_its_marked_words_scores_and_guideline(desk, held):
    html = desk.get("/dashboard/gazette/queue/pending/").content.decode()
    card = re.search(rf'<li class="card" id="card-{held.pk}".*?</li>\s*$', html, re.S | re.M)
    assert card
    assert "You are an <mark>idiot</mark> and a <mark>liar</mark>, frankly." in html
    assert "The footbridge reopens" in html
    assert 'class="tag tag-nice">Be Nice</span>' in html
    meters = re.findall(r'<meter id="s-\d+-(\w+)"[^>]*value="([\d.]+)"', html)
    assert dict(meters) == {k: str(v) for k, v in TOXIC_SCORES.items()}
    hold, reject = DEFAULT_HOLD["insult"], DEFAULT_REJECT["insult"]
    assert f'id="s-{held.pk}-insult" min="0" max="1" low="{hold}" high="{reject}"' in html
    assert 'class="bar over-hold"' in html  # insult and toxicity passed the hold line
    assert "Alice" in html and "90 days ago" in html
    assert "0 published · <span" not in html
    assert re.search(
        r"0 published</span> · <span[^>]*>0 rejected</span> · <span[^>]*>1 pending", html
    )
    # The nav counts every queue.
    assert re.search(r'data-queue="pending">1<', html)


def test_the_body_is_escaped_around_and_inside_marks(desk, alice, story):
    body = "<script>alert(1)</script> & <b>bold</b>"
    make_comment(
        alice,
        body,
        story=story,
        reasons=[
            {"guideline": "spam", "attribute": "spam", "score": 0.9, "spans": [[0, 8], [34, 99]]}
        ],
    )
    html = desk.get("/dashboard/gazette/queue/pending/").content.decode()
    assert (
        "<mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt; &amp; "
        "&lt;b&gt;bol<mark>d&lt;/b&gt;</mark>" in html
    )
    assert "<script>alert" not in html


def test_no_inline_script_or_style_on_the_queue(desk, held):
    html = desk.get("/dashboard/gazette/queue/pending/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)


def test_reports_show_with_reasons_notes_and_weights(desk, alice, bob, mallory, story):
    comment = make_comment(alice, "A published remark", status=Status.PUBLISHED, story=story)
    Report.objects.create(
        comment=comment, reporter=bob.user, reason="untruthful", note="Not what the council said"
    )
    comment.open_reports, comment.report_weight = 1, 1.0
    comment.save()
    html = desk.get("/dashboard/gazette/queue/reported/").content.decode()
    assert "1 report · weight 1.00" in html
    assert (
        '<strong>Knowingly untrue</strong> — “<span dir="auto">Not what the council said</span>”'
        in html
    )
    assert 'data-action="approve"' in html  # "Keep" dismisses the reports
    assert "Keep <kbd>a</kbd>" in html


def test_filters_by_story_guideline_and_author(desk, alice, bob, gazette):
    other = StoryFactory(site=gazette, key="market", title="Market day")
    make_comment(
        alice,
        "about the bridge",
        story=StoryFactory(site=gazette, key="bridge2"),
        reasons=[{"guideline": "spam", "attribute": "spam", "score": 0.9, "spans": []}],
    )
    make_comment(
        bob,
        "about the market",
        story=other,
        reasons=[{"guideline": "nice", "attribute": "insult", "score": 0.9, "spans": []}],
    )

    def bodies(query):
        html = desk.get("/dashboard/gazette/queue/pending/?" + query).content.decode()
        return re.findall(r'<blockquote class="body"[^>]*>(.*?)</blockquote>', html, re.S)

    assert bodies("story=market") == ["about the market"]
    assert bodies("guideline=spam") == ["about the bridge"]
    assert bodies(f"author={bob.user_id}") == ["about the market"]
    assert bodies("order=oldest") == ["about the bridge", "about the market"]
    assert bodies("") == ["about the market", "about the bridge"]
    assert (
        "No comment matches these filters."
        in desk.get("/dashboard/gazette/queue/pending/?story=nothing").content.decode()
    )


def test_more_loads_the_next_page_with_htmx(desk, alice, story):
    for i in range(PAGE_SIZE + 3):
        make_comment(alice, f"comment number {i}", story=story)
    html = desk.get("/dashboard/gazette/queue/pending/").content.decode()
    assert html.count('<li class="card"') == PAGE_SIZE
    more = re.search(r'hx-get="(/dashboard/gazette/queue/pending/cards/\?cursor=[^"]+)"', html)
    assert more
    rest = desk.get(more.group(1).replace("&amp;", "&"), HTTP_HX_REQUEST="true").content.decode()
    assert rest.count('<li class="card"') == 3
    assert "comment number 0" in rest
    assert 'id="queue-nav" hx-swap-oob="true"' in rest
    assert "<html" not in rest


def test_an_unknown_queue_is_404(desk):
    assert desk.get("/dashboard/gazette/queue/everything/").status_code == 404


def _queries_for_page(desk) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = desk.get("/dashboard/gazette/queue/pending/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_a_queue_page_costs_the_same_queries_for_2_and_20_cards(desk, gazette, story):
    authors = [MembershipFactory(site=gazette, display_name=f"Reader {i}") for i in range(20)]
    for author in authors[:2]:
        make_comment(author, "held for a look", story=story, scores=TOXIC_SCORES)
    two = _queries_for_page(desk)
    for author in authors[2:]:
        c = make_comment(
            author, "held for a look", story=StoryFactory(site=gazette), scores=TOXIC_SCORES
        )
        Report.objects.create(comment=c, reporter=authors[0].user, reason="spam")
    twenty = _queries_for_page(desk)
    # session, user, site, membership (require_moderator), sites menu,
    # page of comments, their reports, their authors' records, queue counts
    assert two == twenty == 9


def test_a_comment_held_under_be_truthful_shows_the_claim_it_matched(desk, as_alice, gazette):
    from townhall.review.models import DebunkedClaim

    DebunkedClaim.objects.create(
        site=gazette,
        claim="The new bridge was paid for by a foreign government",
        correction="The council paid for it from its capital budget.",
    )
    status, posted = as_alice.post(
        "/comments",
        {
            "site": "gazette",
            "story": "bridge",
            "body": "The new bridge was paid for by a foreign government!",
        },
    )
    assert (status, posted["status"]) == (201, "pending")
    html = desk.get("/dashboard/gazette/queue/pending/").content.decode()
    assert (
        "Matches the debunked claim “The new bridge was paid for by a foreign government”" in html
    )
    assert "Correction: The council paid for it from its capital budget." in html
