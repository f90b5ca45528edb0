"""Each format's fixture comes in with its threads, people, times, statuses and stories."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.importers.helpers import assert_counts_exact, fixture_file, imported, run_import
from townhall.accounts.models import Membership
from townhall.comments.models import Status
from townhall.sites.models import Story

pytestmark = pytest.mark.django_db


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_disqus_export_comes_in_whole(gazette, tmp_path):
    out = run_import("disqus", fixture_file("disqus", tmp_path))
    c = imported("disqus")

    ferry = Story.objects.get(site=gazette, key="ferry-timetable-2019")
    assert ferry.url == "https://gazette.example/news/ferry-timetable"
    assert ferry.title == "The ferry timetable changes again"
    assert not ferry.closed
    # A thread without a Disqus identifier is keyed by its link; Disqus had closed it.
    lighthouse = Story.objects.get(
        site=gazette, key="https://gazette.example/news/lighthouse-paint"
    )
    assert lighthouse.closed

    # 8003 came before its parent 8002 in the file and still hangs under it.
    assert c["8001"].parent is None and c["8001"].depth == 0
    assert c["8002"].parent == c["8001"]
    assert c["8003"].parent == c["8002"] and c["8003"].depth == 2
    assert c["8003"].root_id == c["8001"].pk == c["8001"].root_id
    assert c["8001"].created_at == _at(2019, 4, 1, 9, 15)
    assert c["8001"].body == (
        "The 7:40 boat is gone and nobody told the **school**.\n\n"
        "See [the letters page](https://gazette.example/letters)."
    )
    assert '<a href="https://gazette.example/letters"' in c["8001"].body_html

    assert c["8004"].status == Status.REJECTED
    assert c["8004"].reasons[0]["guideline"] == "spam"
    assert c["8005"].status == Status.DELETED and c["8005"].body == ""
    assert c["8006"].parent == c["8005"] and c["8006"].status == Status.PUBLISHED
    assert c["8006"].author is None and c["8006"].author_name == "Passer-by"

    marta = c["8001"].author
    assert marta.display_name == "Marta Quay"
    assert c["8005"].author == marta  # the same Disqus user, one membership
    assert marta.user.email == "marta@example.org"
    assert not marta.user.email_verified and not marta.user.has_usable_password()
    # Another person with the same name gets a name of their own on the site.
    assert c["8004"].author.display_name == "Marta Quay 2"
    # "Admin" is reserved here; the person still gets an account with a valid name.
    assert c["8002"].author.display_name.lower() != "admin"
    assert c["8002"].author.user.email == "admin@example.org"

    assert "8007" not in c
    assert "skipped 8007: unreadable date 'last tuesday'" in out
    assert_counts_exact()
    assert Story.objects.get(pk=ferry.pk).comment_count == 3
    assert Story.objects.get(pk=lighthouse.pk).comment_count == 1


def test_wordpress_export_comes_in_whole(gazette, tmp_path):
    out = run_import("wordpress", fixture_file("wordpress", tmp_path))
    c = imported("wordpress")

    fair = Story.objects.get(site=gazette, key="412")
    assert fair.url == "https://courier.example/2021/09/orchard-fair/"
    assert fair.title == "Orchard fair moves to the football ground"
    # A page with no comments brings no story.
    assert not Story.objects.filter(key="2").exists()

    assert c["32"].parent == c["31"] and c["33"].parent == c["32"]
    assert c["31"].created_at == _at(2021, 9, 4, 9, 5)
    assert c["31"].body == "Will the cider tent still be there?\nAsking for the whole street."
    assert c["32"].body == "It will, next to the **bandstand**."
    assert c["31"].status == Status.PUBLISHED
    assert c["33"].status == Status.PENDING
    assert c["34"].status == Status.REJECTED and c["34"].reasons[0]["guideline"] == "spam"
    assert c["36"].status == Status.DELETED
    assert c["31"].author == c["33"].author  # same email, one person
    assert c["32"].author.display_name == "The Editor"
    assert c["32"].author.user.email == "editor@courier.example"

    assert "35" not in c and "skipped 35: a pingback, not a reader's comment" in out
    assert "37" not in c and "skipped 37: unreadable date 'whenever'" in out
    assert_counts_exact()
    assert Story.objects.get(pk=fair.pk).comment_count == 2


def test_isso_database_comes_in_whole(gazette, tmp_path):
    out = run_import("isso", fixture_file("isso", tmp_path), "--base-url", "https://metro.example")
    c = imported("isso")

    tram = Story.objects.get(site=gazette, key="/2022/03/tram-line/")
    assert tram.url == "https://metro.example/2022/03/tram-line/"
    assert tram.title == "The tram line reaches the market"

    assert c["2"].parent == c["1"] and c["3"].parent == c["1"]
    assert c["1"].created_at == _at(2022, 3, 11, 12, 0)
    assert c["2"].edited_at is not None
    assert c["1"].body == "Finally! *Ten years* of waiting."
    assert "<em>Ten years</em>" in c["1"].body_html
    assert c["1"].status == Status.PUBLISHED
    assert c["3"].status == Status.PENDING
    assert c["4"].status == Status.DELETED
    assert c["5"].parent == c["4"] and c["5"].author_name == "Guest"
    # Emails match whatever their case: one person.
    assert c["1"].author == c["6"].author
    assert c["1"].author.display_name == "Ines Tramway"
    assert c["2"].author is None and c["2"].author_name == "Pavel"

    assert "skipped 7: unknown mode 9" in out
    assert "skipped 8: its thread is not in the database" in out
    assert_counts_exact()
    assert Story.objects.get(pk=tram.pk).comment_count == 3


def test_coral_export_comes_in_whole(gazette, tmp_path):
    out = run_import("coral", fixture_file("coral", tmp_path))
    c = imported("coral")

    bridge = Story.objects.get(site=gazette, key="story-bridge")
    assert bridge.url == "https://tribune.example/2023/bridge-reopens"
    assert bridge.title == "Old bridge reopens to cyclists"

    # The reply came first in the file.
    assert c["c3f1"].parent == c["c3f0"]
    assert c["c3f0"].created_at == _at(2023, 6, 1, 12, 0)
    # The latest revision is the text; the earlier one made it an edit.
    assert c["c3f0"].body == "Wasn't this bridge meant to be closed for good?"
    assert c["c3f0"].edited_at == _at(2023, 6, 1, 12, 3)
    assert c["c3f1"].body == "It was, until the *storm*."
    assert c["c3f1"].status == Status.PUBLISHED
    assert c["c3f2"].status == Status.PENDING
    assert c["c3f3"].status == Status.REJECTED
    assert c["c3f4"].status == Status.DELETED
    assert c["c3f1"].author.display_name == "Kim Arches"
    assert c["c3f1"].author.user.email == "kim@example.org"
    assert c["c3f0"].author.display_name == "sol"

    assert "skipped c3f5: its story 'story-gone' is not in the file" in out
    assert "skipped coral.jsonl:10: not a JSON object" in out
    assert_counts_exact()
    assert Story.objects.get(pk=bridge.pk).comment_count == 2


def test_story_key_can_be_the_url(gazette, tmp_path):
    run_import("wordpress", fixture_file("wordpress", tmp_path), "--story-key", "url")
    story = Story.objects.get(site=gazette)
    assert story.key == "https://courier.example/2021/09/orchard-fair/"


def test_every_author_is_a_member_of_the_site_only(gazette, herald, tmp_path):
    run_import("disqus", fixture_file("disqus", tmp_path))
    members = Membership.objects.filter(user__memberships__site=gazette)
    assert members.exists()
    assert not members.filter(site=herald).exists()
