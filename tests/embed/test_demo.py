"""``townhall demo`` and the demo article page."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.dateformat import format as date_format

from townhall.accounts.models import User
from townhall.comments.models import Comment
from townhall.demo import data
from townhall.sites.models import Site, Story

pytestmark = pytest.mark.django_db(transaction=True)


def demo(*args: str) -> None:
    call_command("demo", "--no-serve", "--port", "8123", *args)


def test_it_loads_the_demo_site_into_a_new_database():
    demo()

    site = Site.objects.get(slug="demo")
    assert site.name == data.NAME
    assert site.allowed_origins == ["http://127.0.0.1:8123", "http://localhost:8123"]
    story = Story.objects.get(site=site, key=data.ARTICLE["key"])
    assert story.comment_count == 1


def test_a_second_run_adds_nothing():
    demo()
    before = (Site.objects.count(), Comment.objects.count(), User.objects.count())

    demo()

    assert (Site.objects.count(), Comment.objects.count(), User.objects.count()) == before


def test_it_leaves_a_database_with_other_sites_alone():
    Site.objects.create(slug="gazette", name="The Gazette")

    demo()

    assert not Site.objects.filter(slug="demo").exists()


def test_reset_loads_it_afresh():
    demo()
    site = Site.objects.get(slug="demo")
    Comment.objects.filter(site=site).delete()
    Story.objects.filter(site=site).update(comment_count=0)

    demo("--reset")

    site = Site.objects.get(slug="demo")
    assert Story.objects.get(site=site, key=data.ARTICLE["key"]).comment_count == 1
    assert Comment.objects.filter(site=site).count() == len(data.COMMENTS)
    assert Site.objects.filter(slug="demo").count() == 1


def test_the_demo_page_carries_the_article_the_embed_and_the_counts(client):
    demo()

    r = client.get("/")

    page = r.content.decode()
    assert r.status_code == 200
    assert f"<h1>{data.ARTICLE['headline']}</h1>" in page
    assert 'id="townhall" data-site="demo"' in page
    assert '<script src="/embed.js" async></script>' in page
    assert 'src="/count.js" data-site="demo"' in page
    assert "More local news" in page
    assert 'data-townhall-count="library-thursday-evenings"' in page
    assert "footbridge.svg" in page


def test_the_demo_frame_shows_one_comment(client):
    demo()

    page = client.get(f"/embed/?site=demo&story={data.ARTICLE['key']}").content.decode()

    assert "(1) comment<" in page
    assert "Marguerite P." in page


def test_the_demo_page_without_the_demo_site_says_how_to_load_it(client):
    r = client.get("/")

    assert r.status_code == 503
    assert "townhall demo --reset" in r.content.decode()


def test_the_demo_article_is_always_todays(client):
    demo()

    page = client.get("/").content.decode()

    today = timezone.localdate()
    assert f'<time datetime="{today.isoformat()}">{date_format(today, "l, F j")}</time>' in page
    assert "October 6" not in page


def test_the_demo_comments_are_published_whatever_the_model_says(monkeypatch):
    from townhall.comments import services
    from townhall.review.judge import Judgement

    held = Judgement("pending", [{"guideline": "spam", "attribute": "spam", "score": 0.5}])
    monkeypatch.setattr(services, "judge", lambda *args, **kwargs: held)

    demo()

    site = Site.objects.get(slug="demo")
    assert set(Comment.objects.filter(site=site).values_list("status", flat=True)) == {"published"}
    assert Story.objects.get(site=site, key=data.ARTICLE["key"]).comment_count == 1
