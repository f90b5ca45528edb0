"""Saving records read from another comment system into a site.

Records are committed in batches, each batch one transaction together with the
``ImportedRecord`` rows that remember them, so an interrupted import resumes
where it stopped and a finished one, run again, adds nothing. Story counts move
in the same transaction as the comments, as everywhere else (comments.services).

Imported comments keep the status the source gave them; the moderation engine
does not judge them again. They are written in bulk, without the save signals
a reader's comment sends, so years-old comments raise no webhook events, no
notifications and no live updates; the threads they land in have their cached
payloads refreshed once per batch instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from townhall.accounts.models import Membership, User, display_name_key
from townhall.accounts.services import clean_display_name, ensure_membership
from townhall.api.errors import ApiError
from townhall.comments import cache as thread_cache
from townhall.comments.models import Comment, Status
from townhall.importers.models import ImportedRecord, Kind
from townhall.importers.records import Broken, Record, SourceAuthor, SourceComment, SourceStory
from townhall.lib import markdown
from townhall.sites.models import Site, Story

BATCH = 500
ALREADY = "already imported"
_NAME_JUNK = re.compile(r"[^\w .'\-]+", re.UNICODE)


@dataclass
class Report:
    """What an import did: counts, and every record it left out with the reason."""

    imported: int = 0
    authors: int = 0
    stories: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    already: int = 0
    notes: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, source_id: str, reason: str) -> None:
        self.skipped.append((source_id, reason))

    def reasons(self) -> Counter[str]:
        counted = Counter(reason for _, reason in self.skipped)
        if self.already:
            counted[ALREADY] = self.already
        return counted


@dataclass(frozen=True)
class _Placed:
    pk: int
    root_id: int
    depth: int


class _SlowPath(Exception):
    """The batch cannot be saved in bulk; it is saved record by record instead."""


# Ids per ``IN (...)``: well under SQLite's limit on query parameters.
_IN_CHUNK = 2000
# Stories and authors remembered between batches; past this many the memory is
# dropped, and a later batch asks the database again (one query per batch).
_REMEMBERED = 50_000
_T = TypeVar("_T")


def _chunks(items: Iterable[_T], size: int = _IN_CHUNK) -> Iterator[list[_T]]:
    chunk: list[_T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Importer:
    """Import a stream of records into ``site``; ``source`` names the system they came from.

    Each batch is saved with a handful of bulk queries: the records already
    imported, the stories and the authors are looked up once for the whole
    batch, new ones are inserted together, and comments go in one insert per
    reply depth, so a reply knows its parent's id. Should anything in the bulk
    path fail, the batch is rolled back and saved one record at a time, so a
    bad record is skipped and reported and never stops the import.
    """

    def __init__(
        self,
        site: Site,
        source: str,
        progress: Callable[[int], None] | None = None,
        batch: int = BATCH,
    ) -> None:
        self.site = site
        self.source = source
        self.progress = progress
        self.batch = batch
        self.report = Report()
        # Story key → pk and author key → membership pk, of committed batches.
        self._stories: dict[str, int] = {}
        self._members: dict[str, int] = {}
        # Replies met before their parent, keyed by the parent's source id.
        self._waiting: dict[str, list[SourceComment]] = defaultdict(list)
        # Stories the current batch changed.
        self._touched: set[int] = set()

    def run(self, records: Iterable[Record]) -> Report:
        pending: list[Record] = []
        for record in records:
            pending.append(record)
            if len(pending) >= self.batch:
                self._commit(pending)
                pending = []
        self._commit(pending)
        self._adopt_orphans()
        return self.report

    # -- batches -----------------------------------------------------------

    def _commit(self, records: list[Record], count: bool = True) -> None:
        if not records:
            return
        self._touched = set()
        ids = [r.id for r in records]
        wanted = ids + [r.parent_id for r in records if isinstance(r, SourceComment)]
        placed = self._lookup([i for i in wanted if i])
        done = {i for i in ids if i in placed}
        plan = _Plan(placed, self.report, self._waiting)
        for record in records:
            if isinstance(record, Broken):
                self.report.skip(record.id, record.reason)
            elif record.id in done:
                self.report.already += 1
                plan.release(record.id)
            else:
                plan.add(record)
        # Rendering is most of the CPU work of a batch; it is done before the
        # transaction, which on SQLite holds the one write lock that readers'
        # posts wait for.
        html = {r.id: markdown.render(b) if (b := _body(r)) else "" for r in plan.records}
        if plan.records:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        self._save_bulk(plan, html)
                except (DatabaseError, ValueError, OverflowError, ApiError, _SlowPath):
                    self._touched = set()
                    self._save_one_by_one(plan, html)
        # Once per story and batch, not per comment, and once the batch is committed:
        # a reader who cached the thread before the commit has it refreshed now.
        for story_id in self._touched:
            thread_cache.invalidate_story(story_id)
        if self._touched:
            thread_cache.invalidate_counts(self.site.pk)
        if self.progress and count:
            self.progress(len(records))

    def _lookup(self, source_ids: list[str]) -> dict[str, _Placed]:
        found: dict[str, _Placed] = {}
        for chunk in _chunks(set(source_ids)):
            rows = ImportedRecord.objects.filter(
                site=self.site, source=self.source, kind=Kind.COMMENT, source_id__in=chunk
            ).values_list("source_id", "comment_id", "comment__root_id", "comment__depth")
            for source_id, pk, root_id, depth in rows:
                # A comment removed since its import stays imported; its replies go on top.
                found[source_id] = _Placed(pk, root_id or pk, depth) if pk else _Placed(0, 0, -1)
        return found

    def _count(self, published: Counter[int], touched: set[int]) -> None:
        """Move the stories' counts, in the batch's transaction; their caches go after it."""
        self._touched |= touched
        counts = sorted(published.items())
        for start in range(0, len(counts), 500):
            # One UPDATE for many stories, grouped by how much their count moves.
            by_count: dict[int, list[int]] = defaultdict(list)
            for story_id, n in counts[start : start + 500]:
                by_count[n].append(story_id)
            ids = [pk for pks in by_count.values() for pk in pks]
            moved = Case(
                *(When(pk__in=pks, then=Value(n)) for n, pks in by_count.items()),
                default=Value(0),
            )
            Story.objects.filter(pk__in=ids).update(comment_count=F("comment_count") + moved)

    # -- the bulk path -------------------------------------------------------

    def _save_bulk(self, plan: _Plan, html: dict[str, str]) -> None:
        """Save the plan's comments with a few queries; raises to fall back."""
        if not connection.features.can_return_rows_from_bulk_insert:
            raise _SlowPath("this database does not return the ids of a bulk insert")
        stories, new_stories = self._bulk_stories(plan.records)
        members, new_authors = self._bulk_members(plan.records)
        placed = dict(plan.placed)
        published: Counter[int] = Counter()
        tops: list[int] = []
        saved: list[tuple[str, int]] = []
        for generation in plan.generations():
            rows = [
                self._comment_row(r, html[r.id], stories, members, placed.get(r.parent_id or ""))
                for r in generation
            ]
            Comment.objects.bulk_create(rows)
            for record, comment in zip(generation, rows, strict=True):
                root = comment.root_id or comment.pk
                placed[record.id] = _Placed(comment.pk, root, comment.depth)
                if comment.parent_id is None:
                    tops.append(comment.pk)
                if comment.status == Status.PUBLISHED:
                    published[comment.story_id] += 1
                saved.append((record.id, comment.pk))
        for chunk in _chunks(tops):
            Comment.objects.filter(pk__in=chunk).update(root_id=F("id"))
        ImportedRecord.objects.bulk_create(
            ImportedRecord(
                site=self.site,
                source=self.source,
                kind=Kind.COMMENT,
                source_id=source_id,
                comment_id=pk,
            )
            for source_id, pk in saved
        )
        self._count(published, {stories[_story_key(r.story)] for r in plan.records})
        # Only now, with every write of the batch done, is it safe to remember.
        self._remember(self._stories, stories)
        self._remember(self._members, members)
        self.report.imported += len(saved)
        self.report.stories += new_stories
        self.report.authors += new_authors

    def _comment_row(
        self,
        record: SourceComment,
        html: str,
        stories: dict[str, int],
        members: dict[str, int],
        parent: _Placed | None,
    ) -> Comment:
        if parent is not None and parent.depth < 0:
            parent = None
        member = members.get(record.author.key[:255]) if record.author.key else None
        body = _body(record)
        return Comment(
            site=self.site,
            story_id=stories[_story_key(record.story)],
            parent_id=parent.pk if parent else None,
            root_id=parent.root_id if parent else None,
            depth=parent.depth + 1 if parent else 0,
            author_id=member,
            author_name="" if member else _guest_name(record.author.name),
            body=body,
            body_html=html,
            status=record.status,
            reasons=_reasons(record),
            created_at=record.created_at,
            edited_at=record.edited_at,
        )

    def _bulk_stories(self, records: list[SourceComment]) -> tuple[dict[str, int], int]:
        """Story key → pk for every story of ``records``, creating those not here yet."""
        wanted: dict[str, SourceStory] = {}
        for r in records:
            wanted.setdefault(_story_key(r.story), r.story)
        found = {k: self._stories[k] for k in wanted if k in self._stories}
        missing = [k for k in wanted if k not in found]
        fill: list[tuple[int, str, str, SourceStory]] = []
        for chunk in _chunks(missing):
            rows = Story.objects.filter(site=self.site, key__in=chunk).values_list(
                "key", "pk", "url", "title"
            )
            for key, pk, url, title in rows:
                found[key] = pk
                fill.append((pk, url, title, wanted[key]))
        for pk, url, title, source in fill:
            if (source.url and not url) or (source.title and not title):
                story = Story.objects.get(pk=pk)
                story.url = url or source.url
                story.title = title or source.title[:300]
                story.save(update_fields=["url", "title"])
        new = [k for k in wanted if k not in found]
        if not new:
            return found, 0
        now = timezone.now()
        Story.objects.bulk_create(
            Story(
                site=self.site,
                key=k,
                url=wanted[k].url,
                title=wanted[k].title[:300],
                closed=wanted[k].closed,
                created_at=wanted[k].created_at or now,
            )
            for k in new
        )
        for chunk in _chunks(new):
            for story in Story.objects.filter(site=self.site, key__in=chunk):
                found[story.key] = story.pk
                # What the story's save signal would have done: a reader who asked
                # for the thread before it existed was told "no such story"; forget that.
                thread_cache.forget_story_id(story)
        return found, len(new)

    def _bulk_members(self, records: list[SourceComment]) -> tuple[dict[str, int], int]:
        """Author key → membership pk for the people of ``records``, creating new ones.

        Follows what one-by-one import does (``_member``): a person already
        imported keeps their membership, an email already here is that account,
        and a new member gets the first free name in "Name", "Name 2", "Name 3"….
        """
        wanted: dict[str, SourceAuthor] = {}
        for r in records:
            if r.author.key is not None:
                wanted.setdefault(r.author.key[:255], r.author)
        found = {k: self._members[k] for k in wanted if k in self._members}
        lost: set[str] = set()  # imported before, but the membership is gone since
        for chunk in _chunks(k for k in wanted if k not in found):
            rows = ImportedRecord.objects.filter(
                site=self.site, source=self.source, kind=Kind.AUTHOR, source_id__in=chunk
            ).values_list("source_id", "membership_id")
            for key, membership_id in rows:
                if membership_id is None:
                    lost.add(key)
                else:
                    found[key] = membership_id
        new = [k for k in wanted if k not in found]
        if not new:
            return found, 0

        # People are the same account when their emails match, case ignored.
        emails = {k: _valid_email(wanted[k].email) for k in new}
        users: dict[str, User] = {}
        lowered = sorted({e.lower() for e in emails.values() if e})
        for chunk in _chunks(lowered):
            query = User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk)
            for user in query.order_by("pk"):
                users.setdefault(user.email.lower(), user)
        existing = {u.pk for u in users.values()}
        user_of: dict[str, User] = {}
        fresh: list[User] = []
        for k in new:
            email = emails[k]
            user = users.get(email.lower()) if email else None
            if user is None:
                user = User(email=User.objects.normalize_email(email) if email else None)
                user.email_verified = False
                # No password: the reader claims the account through a password reset.
                user.set_unusable_password()
                fresh.append(user)
                if email:
                    users[email.lower()] = user
            user_of[k] = user
        User.objects.bulk_create(fresh)

        membership_of: dict[int, int] = {}
        for chunk in _chunks(sorted(existing)):
            membership_of.update(
                Membership.objects.filter(site=self.site, user_id__in=chunk).values_list(
                    "user_id", "pk"
                )
            )
        names = _FreeNames(self.site)
        joining: dict[int, Membership] = {}
        for k in new:
            user = user_of[k]
            if user.pk in membership_of or user.pk in joining:
                continue
            joining[user.pk] = Membership(site=self.site, user=user)
            joining[user.pk].display_name = _display_base(wanted[k].name)
        names.assign(list(joining.values()))
        Membership.objects.bulk_create(joining.values())
        for user_pk, member in joining.items():
            membership_of[user_pk] = member.pk

        for k in new:
            found[k] = membership_of[user_of[k].pk]
        for k in lost:
            ImportedRecord.objects.filter(
                site=self.site, source=self.source, kind=Kind.AUTHOR, source_id=k
            ).update(membership_id=found[k])
        ImportedRecord.objects.bulk_create(
            ImportedRecord(
                site=self.site,
                source=self.source,
                kind=Kind.AUTHOR,
                source_id=k,
                membership_id=found[k],
            )
            for k in new
            if k not in lost
        )
        return found, len(joining)

    @staticmethod
    def _remember(memory: dict[str, int], learnt: dict[str, int]) -> None:
        if len(memory) + len(learnt) > _REMEMBERED:
            memory.clear()
        memory.update(learnt)

    # -- one record at a time --------------------------------------------------

    def _save_one_by_one(self, plan: _Plan, html: dict[str, str]) -> None:
        """The plan saved record by record, each in its own savepoint.

        Slower, and only used when the bulk path failed: a record the database
        refuses is skipped with the reason, and the rest of the batch goes in.
        """
        placed = dict(plan.placed)
        published: Counter[int] = Counter()
        touched: set[int] = set()
        for record in plan.records:
            parent: _Placed | None = None
            if record.parent_id:
                parent = placed.get(record.parent_id)
                if parent is None:
                    # Its parent could not be saved: it waits, then goes on top.
                    self._waiting[record.parent_id].append(record)
                    continue
                if parent.depth < 0:
                    parent = None
            try:
                with transaction.atomic():
                    comment = self._save(record, html[record.id], parent)
            except (DatabaseError, ValueError, OverflowError, ApiError) as exc:
                self.report.skip(record.id, f"could not be saved: {exc}")
                continue
            placed[record.id] = _Placed(comment.pk, comment.root_id, comment.depth)
            touched.add(comment.story_id)
            if comment.status == Status.PUBLISHED:
                published[comment.story_id] += 1
            self.report.imported += 1
        self._count(published, touched)

    def _save(self, record: SourceComment, html: str, parent: _Placed | None) -> Comment:
        learnt_story: dict[str, int] = {}
        learnt_member: dict[str, int] = {}
        new = Counter[str]()
        stories = {_story_key(record.story): self._story(record.story, learnt_story, new)}
        member = self._member(record.author, learnt_member, new)
        members = {record.author.key[:255]: member} if record.author.key and member else {}
        comment = self._comment_row(record, html, stories, members, parent)
        if connection.features.can_return_rows_from_bulk_insert:
            # As in the bulk path: no save signal, so no live event per old comment.
            Comment.objects.bulk_create([comment])
        else:
            comment.save()
        if comment.parent_id is None:
            comment.root_id = comment.pk
            Comment.objects.filter(pk=comment.pk).update(root_id=F("id"))
        ImportedRecord.objects.create(
            site=self.site,
            source=self.source,
            kind=Kind.COMMENT,
            source_id=record.id,
            comment=comment,
        )
        # Remembered and counted only once every write of this record went through.
        self._remember(self._stories, learnt_story)
        self._remember(self._members, learnt_member)
        self.report.stories += new["stories"]
        self.report.authors += new["authors"]
        return comment

    def _story(self, source: SourceStory, learnt: dict[str, int], new: Counter[str]) -> int:
        key = _story_key(source)
        if key in self._stories:
            return self._stories[key]
        story, created = Story.objects.get_or_create(
            site=self.site,
            key=key,
            defaults={
                "url": source.url,
                "title": source.title[:300],
                "closed": source.closed,
                "created_at": source.created_at or timezone.now(),
            },
        )
        if created:
            new["stories"] += 1
        elif (source.url and not story.url) or (source.title and not story.title):
            story.url = story.url or source.url
            story.title = story.title or source.title[:300]
            story.save(update_fields=["url", "title"])
        learnt[key] = story.pk
        return story.pk

    def _member(
        self, author: SourceAuthor, learnt: dict[str, int], new: Counter[str]
    ) -> int | None:
        if author.key is None:
            return None
        key = author.key[:255]
        if key in self._members:
            return self._members[key]
        record = (
            ImportedRecord.objects.select_related("membership")
            .filter(site=self.site, source=self.source, kind=Kind.AUTHOR, source_id=key)
            .first()
        )
        if record is not None and record.membership is not None:
            member = record.membership
        else:
            member = self._new_member(author, new)
            ImportedRecord.objects.update_or_create(
                site=self.site,
                source=self.source,
                kind=Kind.AUTHOR,
                source_id=key,
                defaults={"membership": member},
            )
        learnt[key] = member.pk
        return member.pk

    def _new_member(self, author: SourceAuthor, new: Counter[str]) -> Membership:
        email = _valid_email(author.email)
        user = User.objects.filter(email__iexact=email).first() if email else None
        if user is None:
            # No password: the reader claims the account through a password reset.
            user = User.objects.create_user(email=email or None, email_verified=False)
        existed = Membership.objects.filter(user=user, site=self.site).exists()
        member = ensure_membership(user, self.site, preferred_name=_name_base(author.name))
        if not existed:
            new["authors"] += 1
        return member

    # -- the end ---------------------------------------------------------------

    def _adopt_orphans(self) -> None:
        """Replies whose parent never came keep their text, as top-level comments.

        Only the first reply of a missing branch moves up; its own replies follow it.
        """
        waiting = {c.id for children in self._waiting.values() for c in children}
        missing = [parent for parent in self._waiting if parent not in waiting]
        adopted: list[Record] = []
        for parent in missing:
            for child in self._waiting.pop(parent):
                self.report.notes.append(
                    (child.id, f"parent {parent} is not in the file; kept as a top-level comment")
                )
                adopted.append(replace(child, parent_id=None))
        if adopted:
            self._commit(adopted, count=False)


class _Plan:
    """The comments of one batch that are to be saved, parents before their replies.

    A reply whose parent is neither imported already nor in the batch waits
    (across batches) in ``waiting``; it joins the batch that brings its parent.
    """

    def __init__(
        self,
        placed: dict[str, _Placed],
        report: Report,
        waiting: dict[str, list[SourceComment]],
    ) -> None:
        self.placed = placed
        self.report = report
        self.waiting = waiting
        self.records: list[SourceComment] = []
        self._planned: set[str] = set()

    def add(self, record: SourceComment) -> None:
        if record.id in self.placed or record.id in self._planned:
            self.report.skip(record.id, "appears twice in the file")
            return
        problem = _problem(record)
        if problem:
            # Its replies keep waiting for it, and in the end go on top.
            self.report.skip(record.id, f"could not be saved: {problem}")
            return
        if record.parent_id and not (
            record.parent_id in self.placed or record.parent_id in self._planned
        ):
            self.waiting[record.parent_id].append(record)
            return
        self.records.append(record)
        self._planned.add(record.id)
        self.release(record.id)

    def release(self, parent_id: str) -> None:
        for child in self.waiting.pop(parent_id, []):
            self.add(child)

    def generations(self) -> list[list[SourceComment]]:
        """The records by how many of their ancestors are in this batch too."""
        level: dict[str, int] = {}
        out: list[list[SourceComment]] = []
        for r in self.records:
            n = level[r.parent_id] + 1 if r.parent_id and r.parent_id in level else 0
            level[r.id] = n
            if n == len(out):
                out.append([])
            out[n].append(r)
        return out


def _story_key(source: SourceStory) -> str:
    return source.key.strip()[:200]


def _problem(record: SourceComment) -> str:
    """Why the record cannot become a comment, found before touching the database."""
    if not _story_key(record.story):
        return "the story has no key"
    if record.status != Status.DELETED and not record.body.strip():
        return "the comment has no text"
    return ""


def _body(record: SourceComment) -> str:
    # A deleted comment becomes a tombstone, as a reader's own deletion leaves.
    return "" if record.status == Status.DELETED else record.body


def _reasons(record: SourceComment) -> list[dict[str, object]]:
    if not record.spam:
        return []
    return [{"guideline": "spam", "attribute": "spam", "score": 1.0, "spans": []}]


def _display_base(raw: str) -> str:
    """The name ``ensure_membership`` would start from for this source name."""
    try:
        base = clean_display_name(_name_base(raw))
    except ApiError:
        base = "reader"
    return base[:35]


class _FreeNames:
    """Display names for many new members at once, as ``ensure_membership`` picks them.

    One query per batch finds every name on the site that a wanted name or its
    numbered forms ("Name 2", "Name 3"…) would collide with.
    """

    LIMIT = 1000

    def __init__(self, site: Site) -> None:
        self.site = site

    def assign(self, members: list[Membership]) -> None:
        bases = {display_name_key(m.display_name) for m in members}
        taken: set[str] = set()
        for chunk in _chunks(sorted(bases)):
            taken.update(
                Membership.objects.filter(site=self.site, display_name_key__in=chunk).values_list(
                    "display_name_key", flat=True
                )
            )
        # Numbered forms matter only where the plain name is taken or wanted twice.
        wanted = Counter(display_name_key(m.display_name) for m in members)
        crowded = sorted(b for b in bases if b in taken or wanted[b] > 1)
        for chunk in _chunks(crowded, 100):
            query = Q()
            for base in chunk:
                query |= Q(display_name_key__startswith=f"{base} ")
            taken.update(
                Membership.objects.filter(query, site=self.site).values_list(
                    "display_name_key", flat=True
                )
            )
        for member in members:
            base = member.display_name
            for n in range(self.LIMIT):
                name = base if n == 0 else f"{base} {n + 1}"
                key = display_name_key(name)
                if key not in taken:
                    break
            else:
                raise _SlowPath(f"no free display name like {base!r}")
            taken.add(key)
            member.display_name = name
            # bulk_create skips Membership.save, which sets this.
            member.display_name_key = key


def _valid_email(raw: str) -> str:
    email = (raw or "").strip()
    if not email or len(email) > 254:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def _name_base(raw: str) -> str:
    """The source's name with what our display-name rules refuse taken out."""
    name = unicodedata.normalize("NFKC", raw or "")
    name = " ".join(_NAME_JUNK.sub(" ", name).split())
    name = name.lstrip(".'- _")
    return name[:35] or "reader"


def _guest_name(raw: str) -> str:
    name = _name_base(raw)
    return "Guest" if name == "reader" else name[:40]
