"""The six community guidelines every new site starts with, in townhall's own words.

The keys are the moderation vocabulary (DESIGN.md): decisions and reports name them.
"""

from __future__ import annotations

DEFAULT_GUIDELINES: list[dict[str, str]] = [
    {
        "key": "clean",
        "title": "Keep it Clean",
        "text": "Leave out profanity, slurs and sexual or graphic language; "
        "write as you would at a public meeting.",
    },
    {
        "key": "no_threats",
        "title": "Don't Threaten",
        "text": "Never threaten to hurt anyone, or cheer on harm to them. "
        "Such comments are removed and the account may be banned.",
    },
    {
        "key": "truthful",
        "title": "Be Truthful",
        "text": "Don't spread what you know to be false about people or events. "
        "Claims our reporters have already checked and found false will be held.",
    },
    {
        "key": "nice",
        "title": "Be Nice",
        "text": "Argue with ideas, not with people. Insults and attacks on anyone's race, "
        "religion, gender, sexuality, disability or origin have no place here.",
    },
    {
        "key": "proactive",
        "title": "Be Proactive",
        "text": "See a comment that breaks these rules? Use its Report link and tell us why; "
        "our moderators read every report.",
    },
    {
        "key": "share",
        "title": "Share with Us",
        "text": "Were you there, or do you know the background to this story? "
        "Tell us in the comments or privately with the newsroom.",
    },
]

GUIDELINE_KEYS: frozenset[str] = frozenset(g["key"] for g in DEFAULT_GUIDELINES) | {"spam"}


def default_guidelines() -> list[dict[str, str]]:
    """A fresh copy of the defaults, safe to store on a new site and edit."""
    return [dict(g) for g in DEFAULT_GUIDELINES]
