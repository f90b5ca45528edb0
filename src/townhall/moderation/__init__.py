"""townhall's moderation engine: plain Python, no Django.

Pipeline (DESIGN.md, "Moderation pipeline"): normalise → rules → classifier →
claims → reputation → decision. The public entry points are re-exported here::

    from townhall.moderation import Context, Policy, get_engine
    verdict = get_engine().judge("some comment", Policy(), Context())
    verdict.decision  # "published" | "pending" | "rejected"

Importing this package never imports Django (a test checks it).
"""

from __future__ import annotations

from townhall.moderation.types import (
    ATTRIBUTES,
    Context,
    LinksPolicy,
    Policy,
    Reason,
    Verdict,
)

__all__ = [
    "ATTRIBUTES",
    "Context",
    "Engine",
    "LinksPolicy",
    "Policy",
    "Reason",
    "Verdict",
    "get_engine",
]


def __getattr__(name: str) -> object:
    # Lazy: importing the types must not load numpy/scikit-learn or the model.
    if name in ("Engine", "get_engine"):
        from townhall.moderation import engine

        return getattr(engine, name)
    raise AttributeError(name)
