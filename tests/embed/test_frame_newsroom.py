"""What the iframe tells a reader about the newsroom's side: fact checks, the outcome
of their reports and appeals, Share with Us, and keeping their place after an action."""

from __future__ import annotations

import pytest

from tests.embed.helpers import STORY, frame_url, say
from townhall.comments.models import Comment
from townhall.reports.models import Report
from townhall.reports.services import report_comment
from townhall.review.appeals import file_appeal
from townhall.review.models import Appeal, Tip
from townhall.sites.models import Story

pytestmark = pytest.mark.django_db


def corrected(comment, text, link):
    Comment.objects.filter(pk=comment.pk).update(
        reasons=[
            {
                "guideline": "truthful",
                "attribute": "claim",
                "score": 0.91,
                "spans": [[0, 10]],
                "claim_id": 1,
                "claim": "the bridge was sold",
                "correction": text,
                "link": link,
            }
        ]
    )


def held(comment, status="rejected"):
    Comment.objects.filter(pk=comment.pk).update(
        status=status,
        reasons=[
            {"guideline": "nice", "attribute": "toxicity", "score": 0.99, "spans": [[0, 4]]},
            {"guideline": "nice", "attribute": "insult", "score": 0.97, "spans": [[0, 4]]},
            {"guideline": "clean", "attribute": "obscene", "score": 0.7, "spans": [[0, 4]]},
        ],
    )
    Story.objects.filter(pk=comment.story_id).update(comment_count=0)


# --- corrections ------------------------------------------------------------------


def test_a_corrected_comment_carries_the_fact_check_under_it(client, courier, alice):
    c = say(courier, alice, "I heard the council sold the bridge to a developer.")
    corrected(c, "The council still owns the bridge.", "https://news.example/fact-check/bridge")

    page = client.get(frame_url()).content.decode()

    box = page[page.index('<aside class="correction"') : page.index("</aside>")]
    assert page.index("sold the bridge to a developer.") < page.index('<aside class="correction"')
    assert 'Fact check:</strong> <span dir="auto">The council still owns the bridge.</span>' in box
    assert (
        '<a href="https://news.example/fact-check/bridge" rel="nofollow noopener" '
        'target="_blank">Read the fact check' in box
    )


def test_a_fact_check_is_escaped_and_a_bad_link_left_out(client, courier, alice):
    c = say(courier, alice, "Another claim about the bridge.")
    corrected(c, "<script>alert(1)</script> Not so.", "javascript:alert(1)")

    page = client.get(frame_url()).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt; Not so." in page
    assert "<script>alert(1)" not in page
    assert "javascript:" not in page


# --- report outcomes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "said"),
    [
        ("open", None),
        ("dismissed", "Moderators reviewed it and left it up."),
        ("upheld", "Moderators agreed and removed it."),
    ],
)
def test_a_reader_learns_what_became_of_their_report(client, courier, alice, bob, outcome, said):
    c = say(courier, alice, "A comment Bob thinks is degrading.")
    report_comment(c.pk, bob, "degrading")
    Report.objects.filter(comment=c).update(outcome=outcome)
    client.force_login(bob)

    page = client.get(frame_url()).content.decode()

    assert "You reported this (Be Nice)." in page
    for text in ("left it up", "agreed and removed it"):
        assert (text in page) == (said is not None and text in said)
    assert ">Report</button>" not in page


def test_a_report_for_something_else_says_so(client, courier, alice, bob):
    c = say(courier, alice, "Off topic, perhaps.")
    report_comment(c.pk, bob, "other")
    client.force_login(bob)

    assert "You reported this (Something else)." in client.get(frame_url()).content.decode()


# --- appeals ----------------------------------------------------------------------


def test_an_open_appeal_is_shown_to_its_author(client, courier, alice):
    c = say(courier, alice, "Held, and I think wrongly.")
    held(c)
    file_appeal(c.pk, alice, "I was quoting the council, not insulting anyone.")
    client.force_login(alice)

    page = client.get(frame_url()).content.decode()

    assert "You asked for a second look." in page
    assert ">Ask for a second look</button>" not in page


@pytest.mark.parametrize(("state", "word"), [("denied", "declined"), ("granted", "granted")])
def test_the_moderators_answer_to_an_appeal_is_shown(client, courier, alice, state, word):
    c = say(courier, alice, "Held, and I appealed.")
    held(c)
    file_appeal(c.pk, alice, "Please look again at this one.")
    Appeal.objects.filter(comment=c).update(state=state, answer="Name-calling breaks Be Nice.")
    client.force_login(alice)

    page = client.get(frame_url()).content.decode()

    answer = '<span dir="auto">Name-calling breaks Be Nice.</span>'
    assert f"<strong>Your appeal was {word}</strong>: {answer}" in page


def test_a_held_comment_names_each_guideline_once(client, courier, alice):
    c = say(courier, alice, "Held under two guidelines.")
    held(c)
    client.force_login(alice)

    page = client.get(frame_url()).content.decode()

    assert "Not published</strong>: it breaks Be Nice, Keep it Clean." in page


# --- Share with Us ----------------------------------------------------------------


def test_the_share_form_is_private_and_works_signed_out(client, courier):
    page = client.get(frame_url()).content.decode()

    share = page[
        page.index('<div class="share"') : page.index(
            "</section>", page.index('<div class="share"')
        )
    ]
    assert page.index("<strong>Share with Us.</strong>") < page.index('<div class="share"')
    assert ">Share with the newsroom</button>" in share
    assert 'aria-expanded="false" aria-controls="share-form"' in share
    assert '<form id="share-form" class="share-form" data-form="tip" hidden>' in share
    assert "It is not published." in share
    assert '<label for="tip-body">' in share and '<label for="tip-contact">' in share
    assert "You are not signed in: leave an email address or phone number" in share


def test_own_published_comments_can_be_marked_as_eyewitness_accounts(client, courier, alice, bob):
    say(courier, alice, "I was on the bridge when the last bolt went in.")
    say(courier, bob, "Not mine to mark.")
    client.force_login(alice)

    page = client.get(frame_url()).content.decode()

    assert page.count(">Mark as eyewitness account</button>") == 1
    assert "Sent to the newsroom" not in page


def test_a_marked_comment_says_it_was_sent(client, courier, alice):
    c = say(courier, alice, "I saw the welder at work every evening.")
    Tip.objects.create(site=courier, user=alice, comment=c, story_key=STORY)
    client.force_login(alice)

    page = client.get(frame_url()).content.decode()

    assert ">Mark as eyewitness account</button>" not in page
    assert '<span class="eyewitness-sent">Sent to the newsroom</span>' in page


def test_held_comments_cannot_be_marked(client, courier, alice):
    held(say(courier, alice, "Held, so not an eyewitness account yet."), status="pending")
    client.force_login(alice)

    assert "Mark as eyewitness account" not in client.get(frame_url()).content.decode()


# --- the check-before-posting nudge and the frame's templates -----------------------


def test_the_comment_reply_and_edit_forms_have_a_place_for_the_nudge(client, courier, alice):
    client.force_login(alice)

    page = client.get(frame_url()).content.decode()

    assert page.count('<div class="nudge-slot" aria-live="polite"></div>') == 3
    assert '<template id="tpl-nudge">' in page
    assert 'data-action="nudge-edit">Edit</button>' in page
    assert 'data-action="nudge-post">Post anyway</button>' in page


def test_still_no_inline_script_or_handler(client, courier, alice):
    client.force_login(alice)
    say(courier, alice, "Checking the new markup.")

    page = client.get(frame_url()).content.decode()

    assert "<script>" not in page
    assert " onclick=" not in page and " onsubmit=" not in page


# --- keeping the reader's place -------------------------------------------------------


def test_the_thread_can_be_asked_for_more_than_one_page_at_once(client, courier, alice, settings):
    settings.TOWNHALL_DUPLICATE_WINDOW = 0
    settings.TOWNHALL_POST_RATE = 1000
    for i in range(60):
        say(courier, alice, f"Comment number {i}.")

    first = client.get(f"/embed/thread/?site=courier&story={STORY}").content.decode()
    both = client.get(f"/embed/thread/?site=courier&story={STORY}&limit=101").content.decode()

    assert "Comment number 9." not in first
    assert "Comment number 0." in both
    assert "Show more comments" in first and "Show more comments" not in both


@pytest.mark.parametrize("limit", ["0", "abc", "99999", "-5"])
def test_a_bad_limit_is_ignored(client, courier, alice, limit):
    say(courier, alice, "One comment.")

    r = client.get(f"/embed/thread/?site=courier&story={STORY}&limit={limit}")

    assert r.status_code == 200
    assert "One comment." in r.content.decode()


def test_show_more_after_a_long_first_page_does_not_carry_the_limit(
    client, courier, alice, settings
):
    settings.TOWNHALL_DUPLICATE_WINDOW = 0
    settings.TOWNHALL_POST_RATE = 1000
    for i in range(5):
        say(courier, alice, f"Comment number {i}.")

    page = client.get(f"/embed/thread/?site=courier&story={STORY}&limit=2").content.decode()

    start = page.index('hx-get="/embed/thread/?') + len('hx-get="')
    more_url = page[start : page.index('"', start)]
    assert "limit=" not in more_url
    assert "cursor=" in more_url


# --- query counts -----------------------------------------------------------------------


def test_a_reader_with_reports_appeals_and_marks_costs_no_query_more(
    client, courier, alice, bob, django_assert_num_queries, settings
):
    settings.TOWNHALL_DUPLICATE_WINDOW = 0
    for i in range(5):
        first = say(courier, bob, f"Thread {i}.")
        mine = say(courier, alice, f"Reply {i}.", parent=first.pk)
        report_comment(first.pk, alice, "spam")
        corrected(first, "Checked and false.", "https://news.example/checked")
        Tip.objects.create(site=courier, user=alice, comment=mine, story_key=STORY)
    rejected = say(courier, alice, "Held.")
    held(rejected)
    file_appeal(rejected.pk, alice, "Please look again.")
    client.force_login(alice)

    # Expect the 12 queries of any signed-in reader with comments on the page (see
    # test_frame): appeals are read with them; eyewitness marks come with the
    # Markdown source of their own comments.
    with django_assert_num_queries(12):
        page = client.get(frame_url()).content.decode()

    assert page.count("You reported this") == 5
    assert page.count('<aside class="correction"') == 5
    assert page.count("Sent to the newsroom") == 5
    assert "You asked for a second look." in page
