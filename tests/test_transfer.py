"""`townhall export` and `townhall import townhall` give back exactly what was there."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from townhall.accounts.models import User
from townhall.comments.models import Comment
from townhall.sites import transfer

pytestmark = pytest.mark.django_db(transaction=True)


def _busy_site(as_alice, as_bob, api_for, mallory):
    as_mallory = api_for(mallory)
    _, top = as_alice.post(
        "/comments", {"site": "gazette", "story": "s", "body": "First, *politely*."}
    )
    _, reply = as_bob.post(
        "/comments", {"site": "gazette", "story": "s", "body": "Reply", "parent_id": top["id"]}
    )
    as_alice.patch(f"/comments/{top['id']}", {"body": "First, *very* politely."})
    as_bob.post(f"/comments/{top['id']}/react", {"kind": "like"})
    as_alice.post(f"/comments/{reply['id']}/report", {"reason": "spam", "note": "ads"})
    as_mallory.post(
        f"/moderation/comments/{reply['id']}", {"action": "reject", "guideline": "spam"}
    )
    as_bob.post(f"/comments/{reply['id']}/appeal", {"note": "It was not an advert."})
    as_mallory.post(
        "/moderation/claims", {"site": "gazette", "claim": "The river was dyed green on purpose"}
    )
    as_alice.post("/tips", {"site": "gazette", "body": "Ask the ferryman about it."})


def _dump() -> list[dict]:
    out = io.StringIO()
    transfer.export(out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_an_export_restores_exactly(
    as_alice, as_bob, api_for, mallory, tmp_path, django_db_blocker
):
    _busy_site(as_alice, as_bob, api_for, mallory)
    before = _dump()
    kinds = {row["model"] for row in before}
    assert {
        "comments.comment",
        "comments.commentrevision",
        "reports.report",
        "review.auditentry",
        "review.appeal",
        "review.tip",
        "review.debunkedclaim",
        "accounts.membership",
    } <= kinds
    path = tmp_path / "export.jsonl"
    call_command("export", str(path), verbosity=0)
    call_command("flush", "--no-input", verbosity=0)
    assert not User.objects.exists()
    call_command("import", "townhall", str(path), verbosity=0)
    assert _dump() == before
    # the restored install goes on working: new ids do not collide with restored ones
    assert Comment.objects.create(
        site_id=before[0]["pk"], story=Comment.objects.first().story, body="x", body_html="x"
    ).pk > max(r["pk"] for r in before if r["model"] == "comments.comment")


def test_import_refuses_a_database_that_is_not_empty(gazette, tmp_path):
    path = tmp_path / "export.jsonl"
    call_command("export", str(path), verbosity=0)
    with pytest.raises(CommandError, match="not empty"):
        call_command("import", "townhall", str(path), verbosity=0)


def test_import_refuses_a_file_that_is_not_an_export(db, tmp_path):
    path = tmp_path / "junk.jsonl"
    path.write_text('{"hello": "world"}\n')
    with pytest.raises(CommandError, match="not a townhall export"):
        call_command("import", "townhall", str(path), verbosity=0)


def test_every_table_of_townhall_is_exported() -> None:
    from django.apps import apps

    ours = {
        model._meta.label
        for model in apps.get_models()
        if model.__module__.startswith("townhall.") and not model._meta.proxy
    }
    assert ours == set(transfer.MODELS), ours ^ set(transfer.MODELS)


def test_timestamps_keep_their_microseconds(as_alice, tmp_path):
    import datetime

    _, posted = as_alice.post("/comments", {"site": "gazette", "story": "s", "body": "Hello."})
    # below a millisecond, where Django's own JSON encoder cuts
    exact = datetime.datetime(2026, 3, 1, 9, 30, 0, 417, tzinfo=datetime.UTC)
    Comment.objects.filter(pk=posted["id"]).update(created_at=exact)
    path = tmp_path / "export.jsonl"
    call_command("export", str(path), verbosity=0)
    call_command("flush", "--no-input", verbosity=0)
    call_command("import", "townhall", str(path), verbosity=0)
    assert Comment.objects.get(pk=posted["id"]).created_at == exact
