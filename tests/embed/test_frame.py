"""The comment iframe as a reader's browser receives it."""

from __future__ import annotations

import pytest

from tests.embed.helpers import STORY, frame_url, say
from townhall.comments.models import Comment
from townhall.comments.services import delete_comment
from townhall.reports.services import report_comment
from townhall.sites.models import Story

pytestmark = pytest.mark.django_db


def test_it_shows_count_comments_guidelines_then_the_login_forms(client, courier, alice):
    say(courier, alice, "The new crossing is a fine piece of work.")

    r = client.get(frame_url())

    assert r.status_code == 200
    page = r.content.decode()
    order = [
        page.index("(1) comment<"),
        page.index("Alice Wren"),
        page.index("The new crossing is a fine piece of work."),
        page.index("Welcome to the discussion."),
        page.index("<strong>Keep it Clean.</strong>"),
        page.index("<strong>Share with Us.</strong>"),
        page.index('data-form="login"'),
        page.index('data-form="signup"'),
    ]
    assert order == sorted(order)
    assert ">Reply</button>" in page
    assert ">Report</button>" in page
    for field in ("login-email", "login-password", "signup-name", "signup-email"):
        assert f'<label for="{field}">' in page


def test_it_says_comments_in_the_plural(client, courier, alice, bob):
    first = say(courier, alice, "Good news for the east side.")
    say(courier, bob, "Agreed, I walk it every day.", parent=first.pk)

    page = client.get(frame_url()).content.decode()

    assert "(2) comments<" in page
    # Bob's reply is nested inside Alice's comment.
    assert page.index('class="replies"') < page.index("Agreed, I walk it every day.")


def test_an_empty_story_shows_zero_and_invites_the_first_comment(client, courier):
    page = client.get(frame_url()).content.decode()

    assert "(0) comments<" in page
    assert "No comments yet." in page


def test_a_signed_in_reader_sees_their_name_and_the_comment_box(client, courier, alice):
    client.force_login(alice)

    page = client.get(frame_url()).content.decode()

    assert 'Signed in as <strong dir="auto">Alice Wren</strong>' in page
    assert ">Log out</button>" in page
    assert 'data-form="comment"' in page
    assert 'data-form="login"' not in page


def test_own_comments_offer_edit_and_delete_not_report(client, courier, alice):
    say(courier, alice, "A comment I might want to change.")
    client.force_login(alice)

    page = client.get(frame_url()).content.decode()

    assert ">Edit</button>" in page
    assert ">Delete</button>" in page
    assert ">Report</button>" not in page
    assert 'data-raw="A comment I might want to change."' in page


def test_a_held_comment_is_shown_to_its_author_with_the_guideline(client, courier, alice, bob):
    courier.premoderation = "all"
    courier.save()
    say(courier, alice, "Please hold this one for review.")

    client.force_login(alice)
    mine = client.get(frame_url()).content.decode()
    client.force_login(bob)
    theirs = client.get(frame_url()).content.decode()

    # Pre-moderation names Be Proactive (the classifier may name more).
    assert "Awaiting review</strong> under Be Proactive" in mine
    assert "Please hold this one for review." in mine
    assert "Please hold this one for review." not in theirs


def test_a_deleted_comment_with_replies_leaves_a_tombstone(client, courier, alice, bob):
    first = say(courier, alice, "I will think better of this.")
    say(courier, bob, "A reply that keeps the thread alive.", parent=first.pk)
    delete_comment(first.pk, alice)

    page = client.get(frame_url()).content.decode()

    assert "This comment was deleted." in page
    assert "I will think better of this." not in page
    assert "A reply that keeps the thread alive." in page


def test_the_report_form_names_the_guidelines(client, courier):
    page = client.get(frame_url()).content.decode()

    for reason, title in [
        ("obscene", "Keep it Clean"),
        ("threat", "Don&#x27;t Threaten"),
        ("untruthful", "Be Truthful"),
        ("degrading", "Be Nice"),
        ("spam", "No spam"),
        ("other", "Something else"),
    ]:
        assert f'value="{reason}"' in page
        assert f"<strong>{title}</strong>" in page


def test_a_permalink_shows_that_thread_highlighted(client, courier, alice, bob):
    first = say(courier, alice, "The first thread.")
    second = say(courier, bob, "The second thread.")

    page = client.get(frame_url(comment=str(first.pk))).content.decode()

    assert f'class="comment is-highlighted" id="c{first.pk}"' in page
    assert "The second thread." not in page
    assert "Show all comments</a>" in page
    assert f"?comment={second.pk}" not in page


def test_a_permalink_to_a_missing_comment_shows_everything(client, courier, alice):
    say(courier, alice, "Still here.")

    page = client.get(frame_url(comment="999999")).content.decode()

    assert "That comment is no longer here." in page
    assert "Still here." in page


def test_comments_link_to_their_permalink_on_the_article(client, courier, alice):
    c = say(courier, alice, "Link me.")

    page = client.get(frame_url()).content.decode()

    assert f'href="https://news.example/budget?comment={c.pk}" target="_top"' in page


def test_an_unknown_site_is_a_404_page(client, db):
    r = client.get("/embed/?site=nowhere&story=x")

    assert r.status_code == 404
    assert "Discussion not found" in r.content.decode()


def test_a_missing_story_key_is_a_404(client, courier):
    assert client.get("/embed/?site=courier").status_code == 404


def test_only_the_sites_origins_may_frame_it(client, courier):
    r = client.get(frame_url())

    csp = r["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://news.example https://www.news.example" in csp
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert r.headers.get("X-Frame-Options", "") not in ("DENY", "SAMEORIGIN")


def test_a_bad_origin_in_the_list_stays_out_of_the_policy(client, courier):
    courier.allowed_origins = ["https://news.example", "https://evil.example; script-src *"]
    courier.save()

    csp = client.get(frame_url())["Content-Security-Policy"]

    assert "evil.example" not in csp


def test_the_page_has_no_inline_script_or_handler(client, courier, alice):
    say(courier, alice, "Checking the markup.")

    page = client.get(frame_url()).content.decode()

    assert "<script>" not in page
    assert " onclick=" not in page and " onsubmit=" not in page
    assert 'aria-live="polite"' in page


def test_the_thread_fragment_sorts_and_pages(client, courier, alice, bob):
    say(courier, alice, "Older comment.")
    say(courier, bob, "Newer comment.")

    newest = client.get("/embed/thread/?site=courier&story=budget-vote").content.decode()
    oldest = client.get(
        "/embed/thread/?site=courier&story=budget-vote&sort=oldest"
    ).content.decode()

    assert newest.index("Newer comment.") < newest.index("Older comment.")
    assert oldest.index("Older comment.") < oldest.index("Newer comment.")
    assert "<html" not in newest


def test_show_more_fetches_the_next_page(client, courier, alice, settings):
    settings.TOWNHALL_DUPLICATE_WINDOW = 0
    settings.TOWNHALL_POST_RATE = 1000
    for i in range(52):
        say(courier, alice, f"Comment number {i}.")

    page = client.get(frame_url()).content.decode()
    assert "Show more comments" in page
    assert "Comment number 0." not in page  # the oldest are on page two
    start = page.index('hx-get="/embed/thread/?') + len('hx-get="')
    more_url = page[start : page.index('"', start)].replace("&amp;", "&")

    more = client.get(more_url).content.decode()

    assert "Comment number 0." in more
    assert "Comment number 51." not in more
    assert "Show more comments" not in more


def test_the_compose_fragment_follows_the_session(client, courier, alice):
    url = "/embed/compose/?site=courier&story=budget-vote"
    assert 'data-form="signup"' in client.get(url).content.decode()

    client.force_login(alice)

    assert "Signed in as" in client.get(url).content.decode()


def test_with_a_publisher_token_the_login_forms_wait(client, courier):
    page = client.get(frame_url(sso="1")).content.decode()

    assert '<p class="sso-wait" >' in page or '<p class="sso-wait">' in page
    assert '<div class="auth" hidden>' in page


def test_the_frame_costs_the_same_queries_however_long_the_thread(
    client, courier, alice, bob, django_assert_num_queries, settings
):
    settings.TOWNHALL_DUPLICATE_WINDOW = 0
    for i in range(5):
        first = say(courier, alice, f"Thread {i}.")
        say(courier, bob, f"Reply {i}.", parent=first.pk)

    # Expect 4 queries for a signed-out reader:
    # * the site
    # * the story
    # * the page of top-level comments
    # * their replies
    with django_assert_num_queries(4):
        client.get(frame_url())


def test_a_signed_in_reader_costs_a_fixed_handful_more(
    client, courier, alice, bob, django_assert_num_queries, settings
):
    settings.TOWNHALL_DUPLICATE_WINDOW = 0
    for i in range(5):
        first = say(courier, alice, f"Thread {i}.")
        say(courier, bob, f"Reply {i}.", parent=first.pk)
    client.force_login(alice)

    # Expect 12 queries:
    # * the session and the user
    # * the site, the story, the top-level comments and their replies
    # * the reader's likes, mutes, reports and appeals
    # * the Markdown source of their own comments (for Edit)
    # * their display name on this site
    with django_assert_num_queries(12):
        client.get(frame_url())


def test_a_rejected_comment_tells_its_author_which_guideline(client, courier, alice, bob):
    c = say(courier, alice, "Something the newsroom turned down.")
    Comment.objects.filter(pk=c.pk).update(
        status="rejected",
        reasons=[{"guideline": "nice", "attribute": "insult", "score": 0.97, "spans": []}],
    )
    Story.objects.filter(pk=c.story_id).update(comment_count=0)

    client.force_login(alice)
    mine = client.get(frame_url()).content.decode()
    client.force_login(bob)
    theirs = client.get(frame_url()).content.decode()

    assert "Not published</strong>: it breaks Be Nice." in mine
    assert ">Ask for a second look</button>" in mine
    assert "Something the newsroom turned down." not in theirs


def test_a_reader_sees_what_they_reported(client, courier, alice, bob):
    c = say(courier, alice, "A comment Bob disagrees with.")
    report_comment(c.pk, bob, "untruthful")
    client.force_login(bob)

    page = client.get(frame_url()).content.decode()

    assert "You reported this" in page
    assert ">Report</button>" not in page


def test_it_stays_frameable_behind_the_clickjacking_middleware(client, courier, settings):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]

    for path in ("/embed/", "/embed/thread/", "/embed/compose/"):
        r = client.get(f"{path}?site=courier&story={STORY}")
        assert "X-Frame-Options" not in r.headers, path
