"""What the benchmarks seed townhall with: comment bodies, authors (with API tokens),
and comments inserted many at a time. Shared by ``bench/http.py`` and ``bench/scale.py``.

The functions that touch the database import Django themselves and run inside a
townhall environment (``DJANGO_SETTINGS_MODULE`` and the database set), after
``django.setup()``; the text helpers need nothing.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

_OPENINGS = [
    "I read this twice and",
    "Good reporting, but",
    "As someone who lives near the harbour,",
    "Honestly,",
    "The council said the same thing last year and",
    "My neighbour works at the depot and",
    "Interesting piece.",
    "I disagree with the previous comment:",
    "Thanks for covering this.",
    "Not sure about the numbers here,",
    "This matches what we saw at the school gates:",
    "Fair point about the budget, although",
]
_MIDDLES = [
    "the timetable changes will hit commuters hardest",
    "the new bike lanes have made the high street calmer",
    "nobody asked the people who actually use the library",
    "the planning committee should publish the full report",
    "prices at the market have gone up by a third since spring",
    "the flood defences held up better than expected",
    "the article leaves out what happened at the last meeting",
    "the bus to the hospital still only runs twice an hour",
    "the volunteers at the food bank deserve more credit",
    "the survey only asked two hundred households",
    "the bridge repairs were promised for 2019",
    "the new headteacher has turned things around",
]
_ENDINGS = [
    "and I hope the paper follows up.",
    "so let us see what the vote says.",
    "which is worth remembering before the election.",
    "but that is just my experience.",
    "and the figures in the second chart back that up.",
    "so credit where it is due.",
    "and I would like to see the minutes.",
    "which nobody seems to mention.",
]


def body(rng: random.Random) -> str:
    """A comment of one to three sentences, some with Markdown emphasis."""
    sentences = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        middle = rng.choice(_MIDDLES)
        if rng.random() < 0.15:
            middle = f"*{middle}*"
        sentences.append(f"{rng.choice(_OPENINGS)} {middle} {rng.choice(_ENDINGS)}")
    if len(sentences) > 2 and rng.random() < 0.5:
        return " ".join(sentences[:2]) + "\n\n" + " ".join(sentences[2:])
    return " ".join(sentences)


def author_name(i: int) -> str:
    first = ["Ana", "Ben", "Chloe", "Dev", "Ewa", "Farid", "Gita", "Hugo", "Iris", "Jon"]
    last = ["Abbott", "Brooks", "Cole", "Diaz", "Evans", "Frost", "Grant", "Hale"]
    return f"{first[i % 10]} {last[(i // 10) % 8]} {i}"


# A real site's commenters have mostly been around for a while; a benchmark full of
# accounts made a minute ago would measure the new-account rules instead.
JOINED_DAYS_AGO = 90


def create_authors(site: Any, n: int, domain: str) -> list[int]:
    """Make ``n`` verified readers with a membership on ``site``; return the membership
    ids in reader order (reader ``i`` is ``reader{i}@{domain}``, named author_name(i))."""
    from townhall.accounts.models import Membership, User, display_name_key

    joined = datetime.now(UTC) - timedelta(days=JOINED_DAYS_AGO)
    User.objects.bulk_create(
        User(email=f"reader{i}@{domain}", password="!", email_verified=True, date_joined=joined)  # noqa: S106
        for i in range(n)
    )
    users = {
        u.email: u for u in User.objects.filter(email__endswith=f"@{domain}").only("pk", "email")
    }
    Membership.objects.bulk_create(
        Membership(
            user=users[f"reader{i}@{domain}"],
            site=site,
            display_name=author_name(i),
            display_name_key=display_name_key(author_name(i)),
        )
        for i in range(n)
    )
    by_user = dict(
        Membership.objects.filter(site=site, user__email__endswith=f"@{domain}").values_list(
            "user_id", "pk"
        )
    )
    return [by_user[users[f"reader{i}@{domain}"].pk] for i in range(n)]


def issue_tokens(site: Any, domain: str, count: int) -> list[str]:
    """API tokens for the first ``count`` readers of ``domain`` (one each), so load can
    post as many distinct authors, as readers of a real site do."""
    from townhall.accounts.models import ApiToken, User

    users = list(User.objects.filter(email__endswith=f"@{domain}").order_by("pk")[:count])
    return [ApiToken.issue(u, name="bench")[1] for u in users]


class CommentInserter:
    """Rows for ``comments_comment`` in one multi-row statement per batch.

    The ORM's ``bulk_create`` spends most of its time preparing each value of each
    object; here the columns that vary are given ready to store, and every other
    column gets its model default, prepared once. Columns are read from the model,
    so a field added later is filled with its default too. Every row is published.
    """

    def __init__(self, connection: Any, site_id: int) -> None:
        from townhall.comments.models import Comment

        self.connection = connection
        fields = list(Comment._meta.concrete_fields)
        self.columns = [f.column for f in fields]
        self.constant: dict[str, Any] = {
            f.column: f.get_db_prep_save(f.get_default(), connection) for f in fields
        }
        self.constant["site_id"] = site_id
        self.constant["status"] = "published"
        table = connection.ops.quote_name(Comment._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        self.prefix = f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608 - the model's names
        self.one = "(" + ", ".join(["%s"] * len(self.columns)) + ")"

    def row(self, **values: Any) -> tuple[Any, ...]:
        values["created_at"] = self.connection.ops.adapt_datetimefield_value(values["created_at"])
        merged = {**self.constant, **values}
        return tuple(merged[c] for c in self.columns)

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        # SQLite allows 32,766 parameters a statement; stay well under on both.
        per = max(1, 30000 // len(self.columns))
        with self.connection.cursor() as cur:
            for i in range(0, len(rows), per):
                chunk = rows[i : i + per]
                sql = self.prefix + ", ".join([self.one] * len(chunk))
                cur.execute(sql, [v for r in chunk for v in r])


def finish(models: list[Any]) -> None:
    """After explicit ids: move the sequences past them, and refresh the planner's statistics."""
    from django.core.management.color import no_style
    from django.db import connection

    for sql in connection.ops.sequence_reset_sql(no_style(), models):
        with connection.cursor() as cur:
            cur.execute(sql)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
