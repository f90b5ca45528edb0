"""The demo: a made-up small-town paper, one article, and its first comment.

Every name, place and sentence here is invented for townhall's demo.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from townhall.accounts.models import User
from townhall.accounts.services import create_account
from townhall.comments.models import Comment, Status
from townhall.comments.services import NewComment, post_comment, set_status
from townhall.sites.models import Site
from townhall.sites.services import create_site

SLUG = "demo"
NAME = "The Alder Creek Courier"
READER_DOMAIN = "readers.demo.invalid"  # .invalid never resolves: no mail leaves the demo


@dataclass(frozen=True)
class Story:
    key: str
    headline: str
    standfirst: str
    section: str


ARTICLE = {
    "key": "mill-lane-footbridge-reopens",
    "section": "Local",
    "headline": "Mill Lane footbridge reopens after a summer of volunteer repairs",
    "standfirst": (
        "The 1911 iron crossing over Alder Creek had been fenced off since March. "
        "Residents, a retired welder and a school woodwork class put it back together."
    ),
    "byline": "Nadia Okafor",
    "role": "Local reporter",
    "photo_alt": (
        "Drawing of a small arched iron footbridge over a creek, with trees on both banks "
        "and two people walking across."
    ),
    "caption": (
        "The restored footbridge at Mill Lane on its first morning back in use. "
        "Illustration: Courier graphics desk."
    ),
    "paragraphs": [
        "For the first time since early spring, walkers and cyclists crossed Alder Creek "
        "at Mill Lane this morning, after the town engineer signed off on a summer's "
        "worth of repairs to the narrow iron footbridge.",
        "The bridge was closed in March when an inspection found rust had eaten through "
        "two of the bolts holding its deck to the main girders. The council's estimate "
        "for a contractor to replace the deck was more than the parks budget for the "
        "whole year, and for a few weeks it looked as though the crossing might stay "
        "shut until at least next spring.",
        "Instead, a group calling itself the Friends of Mill Lane raised money at two "
        "bake sales and a quiz night, and recruited help. Walt Brennan, who spent "
        "thirty-one years welding ship hulls before he retired to Alder Creek, "
        "replaced the corroded fixings under the engineer's supervision. Students from "
        "the high school's woodwork class cut and treated the new oak deck boards.",
        "\u201cIt is a small bridge, but half the east side uses it to get to the "
        "market,\u201d said Priya Raman, who chairs the group. \u201cPeople kept "
        "stopping us on the path to ask how they could help.\u201d",
        "The council has agreed to pay for a yearly inspection, and the group says it "
        "will keep a small fund for paint and repairs. A plaque naming the students is "
        "due to be fixed to the west railing later this month.",
        "Tell us below what the crossing means to you, or what else in town could use "
        "the same treatment.",
    ],
}

MORE_STORIES = [
    Story(
        key=ARTICLE["key"],
        headline=ARTICLE["headline"],
        standfirst="Volunteers finish the job the budget could not.",
        section="Local",
    ),
    Story(
        key="library-thursday-evenings",
        headline="Library to stay open until nine on Thursday evenings this winter",
        standfirst="A six-month trial starts in November, paid for by a county grant.",
        section="Community",
    ),
    Story(
        key="harvest-market-record",
        headline="Saturday harvest market draws its biggest crowd in a decade",
        standfirst="Forty-two stalls, one missing goat, and a queue for cider.",
        section="Business",
    ),
    Story(
        key="under-12s-reach-final",
        headline="Alder Creek under-12s reach the county cup final",
        standfirst="A late header sends the town's youngest squad to the final.",
        section="Sport",
    ),
]


@dataclass(frozen=True)
class DemoComment:
    story: str
    title: str
    reader: str
    body: str
    hours_ago: float


READERS = ["Marguerite P.", "Tom Ashby", "Lena from Eastside"]

COMMENTS = [
    DemoComment(
        story=ARTICLE["key"],
        title=ARTICLE["headline"],
        reader="Marguerite P.",
        body=(
            "I walked across it this morning with my granddaughter. The new deck feels "
            "solid and it was lovely to see the old railings kept. Thank you to everyone "
            "who gave up their weekends for this."
        ),
        hours_ago=3,
    ),
    DemoComment(
        story="library-thursday-evenings",
        title=MORE_STORIES[1].headline,
        reader="Tom Ashby",
        body="Good news for anyone who works days. I hope the trial becomes permanent.",
        hours_ago=20,
    ),
    DemoComment(
        story="library-thursday-evenings",
        title=MORE_STORIES[1].headline,
        reader="Lena from Eastside",
        body="Will the children's room be open too? That is what we would use most.",
        hours_ago=18,
    ),
]


def origins(port: int) -> list[str]:
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


@transaction.atomic
def load(port: int) -> Site:
    """Create the demo site, its readers and their comments; return the site.

    Raises:
        ValueError: a site with the demo slug already exists.
    """
    site = create_site(SLUG, NAME, origins(port))
    base = f"http://127.0.0.1:{port}/"
    members = {}
    for i, name in enumerate(READERS, start=1):
        # Nobody logs in as a demo reader: a random password nobody knows.
        user = create_account(f"reader{i}@{READER_DOMAIN}", secrets.token_urlsafe(24), name, site)
        members[name] = user
    now = timezone.now()
    for c in COMMENTS:
        comment = post_comment(
            NewComment(
                site=site,
                story_key=c.story,
                body=c.body,
                user=members[c.reader],
                story_url=base if c.story == ARTICLE["key"] else f"{base}#{c.story}",
                story_title=c.title,
            )
        )
        if comment.status != Status.PUBLISHED:
            # The demo's own words are known to be fine: whatever the model of the day
            # thinks, the paper never opens on an empty discussion.
            comment.reasons = []
            set_status(comment, Status.PUBLISHED, ["reasons"])
        Comment.objects.filter(pk=comment.pk).update(created_at=now - timedelta(hours=c.hours_ago))
    return site


@transaction.atomic
def unload() -> None:
    """Delete the demo site with everything under it, and the demo readers' accounts."""
    Site.objects.filter(slug=SLUG).delete()
    User.objects.filter(email__iendswith=f"@{READER_DOMAIN}").delete()
