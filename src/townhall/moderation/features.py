"""Feature extraction shared by training and scoring.

Normalised text → two hashed blocks, each of ``2**BLOCK_BITS`` columns:

* word unigrams and bigrams (tokens: runs of letters/digits with inner
  apostrophes, plus ``! ? @ $``);
* character 2–5-grams inside word boundaries (each word padded with one
  space on each side, as scikit-learn's ``char_wb``).

Counts get sublinear scaling (``log1p``), an IDF weight learnt at training
time, and per-block L2 normalisation. Hashing means no vocabulary is shipped:
the model is the IDF vector plus one weight vector per head.

The hashing is our own and vectorised with numpy over a whole batch (one
polynomial rolling hash per n-gram length, then a multiplicative mix), which
is several times faster than a per-document Python analyser and is stable
across processes and platforms (no use of Python's salted ``hash``).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["BLOCK_BITS", "N_FEATURES", "Featuriser"]

BLOCK_BITS = 19
BLOCK_SIZE = 1 << BLOCK_BITS
N_FEATURES = 2 * BLOCK_SIZE
CHAR_NGRAMS = (2, 5)
WORD_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[!?@$]")

_P = np.uint64(1099511628211)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(64 - BLOCK_BITS)
_R31 = np.uint64(31)
_SALT_WORD = 0x5BD1E995
_SALT_BIGRAM = 0x1B873593


def _bucket(h: np.ndarray, salt: int) -> np.ndarray:
    """Map 64-bit hashes to ``[0, BLOCK_SIZE)``; ``salt`` separates n-gram kinds."""
    # numpy integer arrays wrap around on overflow, which is what a hash wants.
    h = (h ^ np.uint64(salt)) * _MIX
    h ^= h >> _R31
    h *= _MIX
    return (h >> _SHIFT).astype(np.int64)


def _char_features(
    texts: Sequence[str], lo: int = CHAR_NGRAMS[0], hi: int = CHAR_NGRAMS[1]
) -> tuple[np.ndarray, np.ndarray]:
    """Return (row, column) pairs of the character n-grams of every text."""
    streams = ["\0" + "\0".join(f" {w} " for w in t.split()) + "\0" for t in texts]
    lengths = np.fromiter((len(s) for s in streams), dtype=np.int64, count=len(streams))
    codes = np.frombuffer("".join(streams).encode("utf-32-le"), dtype=np.uint32)
    codes = codes.astype(np.uint64)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    sentinels = np.concatenate(([0], np.cumsum(codes == 0)))
    rows, cols = [], []
    h = codes
    for n in range(2, hi + 1):
        if len(codes) < n:
            break
        h = h[:-1] * _P + codes[n - 1 :]
        if n < lo:
            continue
        valid = (sentinels[n:] - sentinels[: len(sentinels) - n]) == 0
        rows.append(doc[: len(h)][valid])
        cols.append(_bucket(h[valid], n) + BLOCK_SIZE)
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(cols)


def _word_features(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return (row, column) pairs of the word unigrams and bigrams of every text."""
    hashes: list[int] = []
    docs: list[int] = []
    for i, text in enumerate(texts):
        tokens = WORD_TOKEN_RE.findall(text)
        hashes.extend(zlib.crc32(t.encode("utf-8")) for t in tokens)
        docs.extend([i] * len(tokens))
    if not hashes:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    h = np.array(hashes, dtype=np.uint64)
    d = np.array(docs, dtype=np.int64)
    same = d[:-1] == d[1:]
    bigrams = (h[:-1] * _P + h[1:])[same]
    rows = np.concatenate((d, d[:-1][same]))
    cols = np.concatenate((_bucket(h, _SALT_WORD), _bucket(bigrams, _SALT_BIGRAM)))
    return rows, cols


class Featuriser:
    """Turn normalised texts into the sparse feature matrix the heads score.

    ``idf`` is a float32 vector of length :data:`N_FEATURES` (ones when None).
    ``transform`` returns a CSR float32 matrix with one row per text.
    Stateless apart from ``idf``; safe to share between threads.
    """

    def __init__(self, idf: np.ndarray | None = None) -> None:
        self.idf = idf

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Return raw hashed counts, both blocks side by side (CSR, float32)."""
        w_rows, w_cols = _word_features(texts)
        c_rows, c_cols = _char_features(texts)
        rows = np.concatenate((w_rows, c_rows))
        cols = np.concatenate((w_cols, c_cols))
        data = np.ones(len(rows), dtype=np.float32)
        x = sp.csr_matrix((data, (rows, cols)), shape=(len(texts), N_FEATURES))
        x.sum_duplicates()  # also sorts the indices: canonical CSR
        return x

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Return the weighted, per-block L2-normalised features of ``texts``."""
        x = self.counts(texts)
        np.log1p(x.data, out=x.data)
        if self.idf is not None:
            x.data *= self.idf[x.indices]
        _normalise_blocks(x)
        return x

    def own_feature_indices(self, term: str) -> list[int]:
        """Return the feature columns that a word (or phrase) produces by itself.

        Its word unigrams and its character n-grams of four or five
        characters (shorter ones are shared with too many other words).
        """
        w_rows, w_cols = _word_features([term])
        unigrams = w_cols[: len(WORD_TOKEN_RE.findall(term))]
        _, c_cols = _char_features([term], lo=4)
        return sorted(set(unigrams.tolist()) | set(c_cols.tolist()))


def _normalise_blocks(x: sp.csr_matrix) -> None:
    """L2-normalise the word block and the char block of each row, in place."""
    data, indices, indptr = x.data, x.indices, x.indptr
    is_char = indices >= BLOCK_SIZE
    sq = data.astype(np.float64) ** 2
    rows = np.repeat(np.arange(x.shape[0]), indptr[1:] - indptr[:-1])
    n = x.shape[0]
    word_norm = np.sqrt(np.bincount(rows[~is_char], weights=sq[~is_char], minlength=n))
    char_norm = np.sqrt(np.bincount(rows[is_char], weights=sq[is_char], minlength=n))
    word_norm[word_norm == 0] = 1.0
    char_norm[char_norm == 0] = 1.0
    scale = np.where(is_char, char_norm[rows], word_norm[rows])
    data /= scale.astype(np.float32)
