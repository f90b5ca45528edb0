"""Matching comments against a newsroom's list of debunked claims.

A claim matches when one sentence of the comment (or a window of two) shares
enough content words and word pairs with it. Similarity is the cosine of
binary bags of content-word stems and stem bigrams, both sides normalised the
same way (evasions undone, stop words dropped, plural ``-s`` stripped), so
reordered or lightly paraphrased restatements still match.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from townhall.moderation.normalise import WORD_RE, normalise

__all__ = ["ClaimMatch", "ClaimMatcher", "claim_matcher"]

_STOP = frozenset(
    """
    a an the and or but if of to in on at by for with from as is are was were be been being
    it its this that these those there here i you he she we they me him her us them my your
    his our their what which who whom whose when where why how all any both each few more
    most other some such no nor not only own same so than too very can will just do does did
    doing have has had having would should could may might must shall about into through
    during before after above below up down out off over under again further then once also
    really actually just said says say people thing things know think
    """.split()
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def _stem(word: str) -> str:
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _features(text: str) -> frozenset[str]:
    stems = [_stem(w) for w in WORD_RE.findall(normalise(text).text)]
    content = [w for w in stems if w not in _STOP and len(w) > 1]
    return frozenset(content) | frozenset(
        f"{a} {b}" for a, b in zip(content, content[1:], strict=False)
    )


def _cosine(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


@dataclass(frozen=True, slots=True)
class ClaimMatch:
    """The best-matching claim, its similarity in [0, 1] and the matching text span."""

    claim: str
    score: float
    span: tuple[int, int]


class ClaimMatcher:
    """Compiled list of debunked claims; ``best(text)`` finds the closest one."""

    def __init__(self, claims: Sequence[str]) -> None:
        self.claims = [(c, _features(c)) for c in claims if c.strip()]

    def best(self, text: str) -> ClaimMatch | None:
        """Return the most similar claim and where it is, or None without claims."""
        if not self.claims or not text.strip():
            return None
        sentences = [m.span() for m in _SENTENCE.finditer(text) if m.group().strip()]
        windows = list(sentences)
        windows += [(a[0], b[1]) for a, b in zip(sentences, sentences[1:], strict=False)]
        if len(sentences) > 2:
            windows.append((0, len(text)))
        best: ClaimMatch | None = None
        for start, end in windows:
            feats = _features(text[start:end])
            for claim, claim_feats in self.claims:
                score = _cosine(feats, claim_feats)
                if best is None or score > best.score:
                    chunk = text[start:end]
                    lead = len(chunk) - len(chunk.lstrip())
                    span = (start + lead, start + len(chunk.rstrip()))
                    best = ClaimMatch(claim, score, span)
        return best


@lru_cache(maxsize=256)
def claim_matcher(claims: tuple[str, ...]) -> ClaimMatcher:
    """Return the compiled matcher for ``claims`` (cached per list)."""
    return ClaimMatcher(claims)
