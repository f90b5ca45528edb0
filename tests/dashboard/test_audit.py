"""The audit log page and its CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from tests.dashboard.conftest import make_comment
from townhall.review import audit
from townhall.review.models import AuditEntry

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def decided(desk, held, herald, charlie):
    desk.post(
        f"/dashboard/gazette/comments/{held.pk}/reject/",
        {"guideline": "nice", "note": '=HYPERLINK("x")'},
        **HX,
    )
    make_comment(charlie, "Herald only")  # an engine entry on another site
    return held


def test_the_audit_log_lists_the_sites_entries_newest_first(desk, decided):
    html = desk.get("/dashboard/gazette/audit/").content.decode()
    assert html.index("<code>comment.rejected</code>") < html.index("<code>comment.held</code>")
    assert "mallory@example.org" in html
    assert "Herald only" not in html
    assert html.count("<tr>") == 1 + AuditEntry.objects.filter(site__slug="gazette").count()


def test_the_audit_log_filters_by_action_and_actor_kind(desk, decided):
    html = desk.get("/dashboard/gazette/audit/?actor_kind=engine").content.decode()
    assert "<code>comment.held</code>" in html and "<code>comment.rejected</code>" not in html
    html = desk.get("/dashboard/gazette/audit/?action=comment.rejected").content.decode()
    assert "<code>comment.held</code>" not in html and "<code>comment.rejected</code>" in html
    assert 'href="/dashboard/gazette/audit.csv?action=comment.rejected"' in html


def test_the_audit_log_pages(desk, gazette):
    for i in range(120):
        audit.record(gazette, "comment.held", actor_kind="engine", note=f"n{i}")
    first = desk.get("/dashboard/gazette/audit/").content.decode()
    assert "n119" in first and "n69" not in first and "Page 1 of 3" in first
    third = desk.get("/dashboard/gazette/audit/?page=3").content.decode()
    assert "n0<" in third


def test_the_csv_export_streams_every_entry(desk, decided):
    response = desk.get("/dashboard/gazette/audit.csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="gazette-audit-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "id",
        "created_at",
        "action",
        "actor_kind",
        "actor",
        "comment_id",
        "subject",
        "guideline",
        "note",
    ]
    body = rows[1:]
    assert len(body) == AuditEntry.objects.filter(site__slug="gazette").count() == 2
    rejected = next(r for r in body if r[2] == "comment.rejected")
    assert rejected[3:8] == [
        "moderator",
        "mallory@example.org",
        str(decided.pk),
        "alice@example.org",
        "nice",
    ]
    assert rejected[8] == '\'=HYPERLINK("x")'  # a formula stays text in a spreadsheet


def test_the_csv_export_takes_the_filters(desk, decided):
    response = desk.get("/dashboard/gazette/audit.csv?actor_kind=engine")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r[2] for r in rows[1:]] == ["comment.held"]
