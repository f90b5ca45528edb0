"""Text normalisation that undoes common filter evasions and keeps an offset map.

:func:`normalise` turns a comment into a lower-case, folded form on which word
lists and the classifier operate, and remembers, for every character of that
form, which characters of the *original* text it came from. Spans found on the
normalised text are therefore reported in original character offsets.

What it undoes:

* compatibility forms (NFKC/NFKD folding: full-width, ligatures, maths letters),
  accents, zero-width and bidi-control characters, variation selectors;
* Cyrillic and Greek look-alike letters (``fuсk`` with a Cyrillic ``с``);
* leetspeak and symbol substitution (``sh1t``, ``@ss``, ``a$$``, ``b!tch``);
* masked letters (``f**k``, ``sh*t``, ``b#tch``);
* punctuation or spaces inserted between letters (``f.u.c.k``, ``f u c k``,
  ``fu.ck``);
* repeated letters (``fuuuuck``, ``shiiit``).

Rewrites that could damage ordinary words (leet, masks, joined letters,
squeezed repeats) only happen when the result is a word in
:data:`~townhall.moderation.lexicon.EVASION_TARGETS`. Matching is always on
whole words, so Scunthorpe, Sussex, assassin or therapist are never touched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product

from townhall.moderation.lexicon import EVASION_TARGETS, NAME_PHRASES, NAME_SAFE

__all__ = [
    "DEFAULT_VOCABULARY",
    "Normalised",
    "Vocabulary",
    "normalise",
    "scoring_text",
    "squeeze",
]

# Zero-width, bidi controls, soft hyphen, word joiners, variation selectors, BOM.
_DROP: frozenset[str] = frozenset(
    [chr(c) for c in (0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E)]
    + [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2060, 0x2070)]
    + [chr(c) for c in range(0xFE00, 0xFE10)]
    + [chr(0xFEFF)]
)

# Lower-case Cyrillic and Greek letters that look like Latin ones.
_CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "и": "u", "і": "i", "ї": "i",
    "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o", "п": "n", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w",
    "ь": "b", "ч": "4", "г": "r", "ѡ": "w", "ү": "y", "ӏ": "l",
    # Greek
    "α": "a", "β": "b", "γ": "y", "δ": "d", "ε": "e", "ζ": "z", "η": "n", "ι": "i",
    "κ": "k", "μ": "u", "ν": "v", "ο": "o", "ρ": "p", "σ": "o", "ς": "s", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
    # Latin look-alikes outside ASCII that NFKD leaves alone
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe",
}  # fmt: skip

# Leetspeak: each symbol may stand for one of several letters.
_LEET: dict[str, str] = {
    "0": "o", "1": "il", "2": "z", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t",
    "8": "b", "9": "g", "@": "a", "$": "s", "!": "i", "|": "il", "+": "t", "€": "e",
    "¡": "i", "(": "c", "<": "c", "v": "vu",
}  # fmt: skip
_WILDCARDS = frozenset("*#%_")
_INNER_SEPARATORS = frozenset(".-'`~^")

# Common spellings that drop vowels; mapped to the word they stand for.
_ALIASES: dict[str, str] = {
    "fck": "fuck", "fuk": "fuck", "fuq": "fuck", "phuck": "fuck", "phuk": "fuck",
    "fcking": "fucking", "fking": "fucking", "fkn": "fucking", "fukin": "fucking",
    "fuking": "fucking", "fucken": "fucking", "sht": "shit", "btch": "bitch",
    "biatch": "bitch", "beyotch": "bitch", "azz": "ass", "azzhole": "asshole",
    "fvck": "fuck", "fvcking": "fucking", "phag": "fag", "niqqa": "nigga",
    "nigguh": "nigga", "cnt": "cunt",
}  # fmt: skip

# Rewrites are tried in this order when a mask fits several words.
_PRIORITY: tuple[str, ...] = (
    "fuck", "fucking", "shit", "bitch", "cunt", "ass", "asshole", "dick", "cock",
    "pussy", "whore", "slut", "bastard", "nigger", "faggot", "fag", "damn", "crap",
)  # fmt: skip
_PRIORITY_RANK: dict[str, int] = {w: i for i, w in enumerate(_PRIORITY)}
_ALIAS_RE = re.compile(
    r"(?<![\w'])(?:" + "|".join(sorted(_ALIASES, key=len, reverse=True)) + r")(?![\w'])"
)

_RUN3 = re.compile(r"(.)\1{2,}")
_RUN2 = re.compile(r"(.)\1+")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|#\d{1,6}|#x[0-9a-f]{1,5});")
_ENTITY_TEXT = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'"}
_MENTION = re.compile(r"@\w{2,}")
_SPACED = re.compile(r"(?<![\w@$*])[a-z0-9@$!*](?:[ .\-_,·|/\\+~]{1,3}[a-z0-9@$!*]){2,}(?![\w@$*])")
_TOKEN = re.compile(r"\S+")
_SUSPECT_TOKEN = re.compile(
    r"(?<!\S)(?=\S*?(?:[^\sa-z.,;:?!\"'()\[\]]|([a-z])\1\1|[a-z][.,;:!?'\"()][a-z]))\S+"
)
_EDGE_PUNCT = "\"'()[]{}<>.,;:?!¿«»“”‘’…"
WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def squeeze(word: str) -> str:
    """Return ``word`` with every run of a repeated character reduced to one."""
    return _RUN2.sub(r"\1", word)


class Vocabulary:
    """A set of target words that disguised tokens may be decoded into.

    Built once per word list; :data:`DEFAULT_VOCABULARY` holds the built-in
    :data:`~townhall.moderation.lexicon.EVASION_TARGETS`.
    """

    def __init__(self, words: Iterable[str], aliases: dict[str, str] | None = None) -> None:
        ordered = sorted(set(words), key=lambda w: (_PRIORITY_RANK.get(w, 999), w))
        self.words: frozenset[str] = frozenset(ordered)
        self.aliases: dict[str, str] = dict(aliases or {})
        self.squeezed: dict[str, str] = {}
        self.by_shape: dict[tuple[int, str], list[str]] = {}
        for w in ordered:
            self.squeezed.setdefault(squeeze(w), w)
            self.by_shape.setdefault((len(w), w[0]), []).append(w)

    def lookup(self, word: str, *, evasive: bool) -> str | None:
        """Return the target ``word`` stands for, or None.

        ``evasive`` says the token showed a sign of disguise (symbols), which
        allows matching with squeezed repeated letters.
        """
        if word in self.words:
            return word
        alias = self.aliases.get(word)
        if alias:
            return alias
        run3 = _RUN3.search(word)
        if run3 or evasive:
            collapsed = _RUN3.sub(r"\1\1", word)
            if collapsed in self.words:
                return collapsed
            sq = squeeze(word)
            target = self.squeezed.get(sq) or self.aliases.get(sq)
            if target is not None and (
                run3 or squeeze(target) == target or len(word) > len(target)
            ):
                return target
        return None

    def match_mask(self, pattern: str) -> str | None:
        """Return the first target fitting ``pattern`` (``*`` = any letter)."""
        if pattern[0] == "*":
            return None
        for word in self.by_shape.get((len(pattern), pattern[0]), ()):
            if all(p == "*" or p == w for p, w in zip(pattern, word, strict=True)):
                return word
        return None

    def decode(self, core: str) -> str | None:
        """Return the target a (possibly disguised) token stands for, or None."""
        if core.isalpha() and core.isascii():
            return self.lookup(core, evasive=False)
        if not any("a" <= c <= "z" for c in core):
            return None
        for cand in _leet_candidates(core):
            if not cand:
                continue
            if "*" in cand:
                letters = sum(1 for c in cand if c != "*")
                if letters * 2 >= len(cand) - 1 and len(cand) >= 3:
                    hit = self.match_mask(cand)
                    if hit:
                        return hit
                continue
            hit = self.lookup(cand, evasive=True)
            if hit:
                return hit
        return None


@dataclass(frozen=True, slots=True)
class Normalised:
    """A normalised text and the way back to the original.

    ``text`` is the normalised form. ``starts[i]``/``ends[i]`` give the
    ``[start, end)`` range of ``original`` that produced ``text[i]``.
    """

    original: str
    text: str
    starts: list[int]
    ends: list[int]
    _words: list[tuple[int, int]] | None = field(default=None, repr=False, compare=False)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` range of ``text`` to a range of ``original``.

        Raises ``ValueError`` for an empty or out-of-range span.
        """
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) outside text of length {len(self.text)}")
        return self.starts[start], self.ends[end - 1]

    def words(self) -> list[tuple[int, int]]:
        """Return ``[start, end)`` ranges (normalised offsets) of the words (cached)."""
        if self._words is None:
            object.__setattr__(self, "_words", [m.span() for m in WORD_RE.finditer(self.text)])
        return self._words  # type: ignore[return-value]

    def is_name(self, start: int, end: int) -> bool:
        """Tell whether the normalised word at ``[start, end)`` is used as a name.

        True for words in :data:`NAME_SAFE` written capitalised next to another
        capitalised word ("Dick Cheney", "Matt Hancock"), and for words inside a
        known name phrase ("Moby Dick").
        """
        word = self.text[start:end]
        if word not in NAME_SAFE:
            return False
        for phrase in NAME_PHRASES:
            if word in phrase.split():
                for m in re.finditer(re.escape(phrase), self.text):
                    if m.start() <= start and end <= m.end():
                        return True
        o_start, o_end = self.to_original(start, end)
        if not self.original[o_start:o_end][:1].isupper():
            return False
        before = self.original[:o_start].rstrip()
        after = self.original[o_end:].lstrip()
        prev_word = re.search(r"([A-Za-z]+)\W*$", before)
        next_word = re.match(r"([A-Za-z]+)", after)
        prev_cap = bool(prev_word and prev_word.group(1)[0].isupper() and before[-1:] not in ".!?")
        next_cap = bool(next_word and next_word.group(1)[0].isupper())
        return prev_cap or next_cap


def scoring_text(norm: Normalised) -> str:
    """Return the text the classifier scores: ``norm.text`` with names neutralised.

    A word of :data:`NAME_SAFE` used as a name ("Dick Cheney") becomes
    ``name``, so the classifier does not read it as abuse.
    """
    text = norm.text
    if not any(w in text for w in NAME_SAFE):
        return text
    words = [(s, e) for s, e in norm.words() if text[s:e] in NAME_SAFE and norm.is_name(s, e)]
    for start, end in reversed(words):
        text = text[:start] + "name" + text[end:]
    return text


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    if ch in _DROP:
        return ""
    out = []
    for c in unicodedata.normalize("NFKD", ch.lower()):
        if unicodedata.combining(c) or c in _DROP:
            continue
        c = c.lower()
        out.append(_CONFUSABLES.get(c, c))
    return "".join(out)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold(text: str) -> tuple[str, list[int], list[int]]:
    """Fold the text, keeping each output char's original ``[start, end)``.

    ASCII stretches are lower-cased in bulk; only non-ASCII characters are
    folded one by one.
    """
    n = len(text)
    if text.isascii():
        return text.lower(), list(range(n)), list(range(1, n + 1))
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _NON_ASCII.finditer(text):
        if pos < m.start():
            chars.append(text[pos : m.start()].lower())
            starts.extend(range(pos, m.start()))
            ends.extend(range(pos + 1, m.start() + 1))
        for i in range(m.start(), m.end()):
            folded = _fold_char(text[i])
            chars.append(folded)
            starts.extend([i] * len(folded))
            ends.extend([i + 1] * len(folded))
        pos = m.end()
    if pos < n:
        chars.append(text[pos:].lower())
        starts.extend(range(pos, n))
        ends.extend(range(pos + 1, n + 1))
    return "".join(chars), starts, ends


def _leet_candidates(core: str) -> list[str]:
    """Spell out a token's leet symbols; wildcards stay as ``*``. At most 16."""
    options: list[tuple[str, ...]] = []
    for c in core:
        if c in _WILDCARDS:
            options.append(("*",))
        elif c in _INNER_SEPARATORS:
            options.append(("",))
        elif "a" <= c <= "z" and c != "v":
            options.append((c,))
        elif c in _LEET:
            options.append(tuple(_LEET[c]))
        else:
            return []
    variable = sum(1 for o in options if len(o) > 1)
    if variable > 4:
        return []
    return ["".join(p) for p in product(*options)]


def _strip_edges(token: str) -> tuple[int, int]:
    """Return the [start, end) of a token without its surrounding punctuation.

    ``@``, ``$`` and ``*`` are not punctuation here: they are often letters in
    disguise (``@ss``, ``a$$``, ``f**k``). A trailing ``!`` is stripped.
    """
    stripped = token.lstrip(_EDGE_PUNCT)
    start = len(token) - len(stripped)
    end = start + len(stripped.rstrip(_EDGE_PUNCT))
    return start, end


DEFAULT_VOCABULARY = Vocabulary(EVASION_TARGETS, _ALIASES)
_decode_token = DEFAULT_VOCABULARY.decode
_lookup = DEFAULT_VOCABULARY.lookup


def normalise(text: str) -> Normalised:
    """Normalise ``text`` for matching and scoring.

    Returns a :class:`Normalised` whose ``text`` is lower-case, folded and
    de-obfuscated, with an offset map back to ``text``. Never raises on any
    ``str`` input; an empty string gives an empty result.
    """
    folded, fstarts, fends = _fold(text)
    # Replacements on the folded text: (start, end, new_text), non-overlapping.
    repl: list[tuple[int, int, str]] = []
    taken = bytearray(len(folded))

    def claim(start: int, end: int, new: str) -> None:
        repl.append((start, end, new))
        taken[start:end] = b"\x01" * (end - start)

    for m in _URL.finditer(folded):
        taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    for m in _ENTITY.finditer(folded) if "&" in folded else ():
        if taken.find(1, m.start(), m.end()) == -1:
            claim(m.start(), m.end(), _ENTITY_TEXT.get(m.group(), " "))
    if "@" in folded:
        for m in _MENTION.finditer(folded):
            if taken.find(1, m.start(), m.end()) != -1:
                continue
            if m.start() > 0 and folded[m.start() - 1].isalnum():
                continue  # an e-mail address
            if _decode_token(m.group()) is None:
                claim(m.start(), m.end(), "@user")
    for m in _SPACED.finditer(folded):
        if taken.find(1, m.start(), m.end()) != -1:
            continue
        letters = "".join(c for c in m.group() if c.isalnum() or c in "@$!*")
        hit = _decode_token(letters) if len(letters) >= 3 else None
        if hit:
            claim(m.start(), m.end(), hit)
    aliases = _ALIAS_RE.finditer(folded) if any(a in folded for a in _ALIASES) else ()
    for m in aliases:
        if taken.find(1, m.start(), m.end()) == -1:
            claim(m.start(), m.end(), _ALIASES[m.group()])
    # Only tokens that could hide something: symbols, digits or non-ASCII among
    # letters, punctuation inside a word, or a letter repeated three times.
    for m in _SUSPECT_TOKEN.finditer(folded):
        token = m.group()
        t_start, t_end = m.span()
        if taken.find(1, t_start, t_end) != -1:
            continue
        s, e = _strip_edges(token)
        if e - s < 2:
            continue
        core = token[s:e]
        if "'" in core and core.replace("'", "").isalpha() and core.isascii():
            # "don't", "it's": only an exact list word can hide here.
            bare = core.replace("'", "")
            hit = _ALIASES.get(bare) or (bare if bare in EVASION_TARGETS else None)
            if hit:
                claim(t_start + s, t_start + e, hit)
            continue
        if core.isalpha() and core.isascii() and not _RUN3.search(core):
            alias = _ALIASES.get(core)
            if alias:
                claim(t_start + s, t_start + e, alias)
            elif core not in EVASION_TARGETS and _RUN2.search(core):
                hit = _lookup(core, evasive=False)
                if hit and hit != core:
                    claim(t_start + s, t_start + e, hit)
            continue
        hit = _decode_token(core)
        if hit is None and core.endswith(("!", "$", "*")) and len(core) > 2:
            # Trailing "!" is usually punctuation, not a letter: retry without.
            trimmed = core.rstrip("!")
            if trimmed != core:
                hit = _decode_token(trimmed)
                if hit:
                    e = s + len(trimmed)
        if hit is not None:
            if hit != core:
                claim(t_start + s, t_start + e, hit)
        elif _RUN3.search(core):
            claim(t_start + s, t_start + e, _RUN3.sub(r"\1\1", core))

    if not repl:
        return Normalised(text, folded, fstarts, fends)
    repl.sort()
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for r_start, r_end, new in repl:
        if pos < r_start:
            out.append(folded[pos:r_start])
            starts.extend(fstarts[pos:r_start])
            ends.extend(fends[pos:r_start])
        o_start, o_end = fstarts[r_start], fends[r_end - 1]
        out.append(new)
        starts.extend([o_start] * len(new))
        ends.extend([o_end] * len(new))
        pos = r_end
    out.append(folded[pos:])
    starts.extend(fstarts[pos:])
    ends.extend(fends[pos:])
    return Normalised(text, "".join(out), starts, ends)
