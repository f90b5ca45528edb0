"""Running an import twice, stopping halfway, bad input, and what readers then see."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.importers.helpers import assert_counts_exact, fixture_file, imported, run_import
from townhall.accounts.models import Membership, User
from townhall.comments.models import Comment
from townhall.importers.models import ImportedRecord
from townhall.sites.models import Story

pytestmark = pytest.mark.django_db

FORMATS = ["disqus", "wordpress", "isso", "coral"]


def _state() -> tuple:
    return (
        Comment.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        sorted(Story.objects.values_list("key", "comment_count")),
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_running_again_adds_nothing(gazette, tmp_path, fmt):
    path = fixture_file(fmt, tmp_path)
    run_import(fmt, path)
    before = _state()
    assert before[0] > 0
    out = run_import(fmt, path)
    assert _state() == before
    assert out.startswith("imported 0 comments, 0 new authors, 0 new stories")
    assert f"{before[0]:>9}  already imported" in out
    assert_counts_exact()


def test_an_interrupted_import_continues_where_it_stopped(gazette, tmp_path):
    fmt = "disqus"
    whole = fixture_file(fmt, tmp_path).read_bytes()
    cut = tmp_path / f"cut.{fmt}"
    cut.write_bytes(whole[: int(len(whole) * 0.6)])
    with pytest.raises(CommandError, match="a new run continues from there"):
        run_import(fmt, cut, "--batch", "1")
    first = len(imported(fmt))
    assert first > 0
    assert_counts_exact()

    run_import(fmt, fixture_file(fmt, tmp_path), "--batch", "1")
    interrupted = _state()
    # The finished result is the same as one uninterrupted run's.
    Comment.objects.all().delete()
    ImportedRecord.objects.all().delete()
    Membership.objects.all().delete()
    User.objects.all().delete()
    Story.objects.all().delete()
    run_import(fmt, fixture_file(fmt, tmp_path))
    assert _state() == interrupted
    assert len(imported(fmt)) > first
    assert_counts_exact()


def test_a_reply_whose_parent_is_missing_is_kept_on_top(gazette, tmp_path):
    path = tmp_path / "orphans.xml"
    text = fixture_file("disqus", tmp_path).read_text()
    # Leave out post 8001: its reply 8002 and 8002's own reply must survive.
    start = text.index('<post dsq:id="8001">')
    end = text.index("</post>", start) + len("</post>")
    path.write_text(text[:start] + text[end:])
    out = run_import("disqus", path)
    c = imported("disqus")
    assert c["8002"].parent is None and c["8002"].depth == 0
    assert c["8003"].parent == c["8002"] and c["8003"].depth == 1
    assert "note 8002: parent 8001 is not in the file; kept as a top-level comment" in out
    assert_counts_exact()


def test_the_thread_api_shows_the_imported_thread(gazette, as_alice, api_for, tmp_path):
    anonymous = api_for(None)
    # Alice's comment is there first, and the thread is read (and cached) before the import.
    status, posted = as_alice.post(
        "/comments", {"site": "gazette", "story": "ferry-timetable-2019", "body": "Any news?"}
    )
    assert status == 201
    _, before = anonymous.get("/comments", site="gazette", story="ferry-timetable-2019")
    assert before["story"]["comment_count"] == 1

    run_import("disqus", fixture_file("disqus", tmp_path))

    status, thread = anonymous.get(
        "/comments", site="gazette", story="ferry-timetable-2019", sort="oldest"
    )
    assert status == 200
    assert thread["story"]["comment_count"] == 4
    assert thread["story"]["title"] == "The ferry timetable changes again"
    assert thread["story"]["url"] == "https://gazette.example/news/ferry-timetable"
    first, mine = thread["comments"]
    assert mine["id"] == posted["id"]
    assert first["author"]["display_name"] == "Marta Quay"
    assert first["created_at"].startswith("2019-04-01T09:15:00")
    assert "nobody told the <strong>school</strong>" in first["body_html"]
    (reply,) = first["replies"]
    assert reply["parent_id"] == first["id"]
    (nested,) = reply["replies"]
    assert nested["parent_id"] == reply["id"]
    assert nested["body_html"] == "<p>Same here, my kids waited an hour.</p>"
    # The spam comment is not shown to readers.
    assert "watches" not in str(thread)

    _, counts = anonymous.get("/counts", site="gazette", story="ferry-timetable-2019")
    assert counts["counts"]["ferry-timetable-2019"] == 4


def test_an_entity_bomb_is_refused(gazette, tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE disqus [\n<!ENTITY a "aaaaaaaaaa">\n'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
        '<disqus xmlns="http://disqus.com"><post><message>&c;</message></post></disqus>\n'
    )
    with pytest.raises(CommandError, match="declares entities"):
        run_import("disqus", bomb)
    assert not Comment.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_of_another_kind_is_refused_clearly(gazette, tmp_path, fmt):
    junk = tmp_path / "junk.txt"
    junk.write_text("this is not an export at all\n")
    with pytest.raises(CommandError, match="stopped reading"):
        run_import(fmt, junk)
    assert not ImportedRecord.objects.exists()


def test_the_site_must_be_named_and_exist(gazette, tmp_path):
    path = fixture_file("disqus", tmp_path)
    with pytest.raises(CommandError, match="needs --site"):
        call_command("import", "disqus", str(path), verbosity=0)
    with pytest.raises(CommandError, match="no site 'nowhere'"):
        run_import("disqus", path, site="nowhere")
