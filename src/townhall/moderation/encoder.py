"""The second tier's sentence encoder: all-MiniLM-L6-v2, int8, under onnxruntime.

The linear first tier reads words and character n-grams; it is fast and sure of
most comments. For the ones it is unsure of, the encoder reads the sentence as a
whole ("she threatened to sue" and "I will find you" share few n-grams with
their meaning) and small heads over its embedding refine the scores. No torch at
run time: the transformer ships as a quantised ONNX file with its tokenizer
(:mod:`townhall.moderation.encoder_export` made them once).

Cost: on one core the encoder spends roughly 0.08 ms per word piece, so a
typical 25-piece comment takes 2–3 ms and a 128-piece one about 10 ms; batching
saves little. Long comments are therefore cut to ``MAX_TOKENS`` pieces, keeping
their opening and their ending (where the insult or the link usually is).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

__all__ = ["BATCH", "DIM", "HEAD_TOKENS", "MAX_TOKENS", "Encoder"]

DIM = 384
#: Texts per encoder call: the attention buffers grow with batch × tokens², and
#: on one core batches of 8 cost no more per comment than batches of 32.
BATCH = 16
#: Word pieces the encoder reads per comment, [CLS] and [SEP] included. Half of
#: all comments are shorter than 26 pieces; cutting the longest ones from 128 to
#: 48 pieces bounds a single comment's encoder time at about 4 ms.
MAX_TOKENS = 48
#: Of those, how many come from the start of a long comment; the rest from its end.
HEAD_TOKENS = 32


class Encoder:
    """Turn texts into L2-normalised 384-dimensional sentence embeddings.

    One instance per process; ``encode`` is safe to call from several threads.
    """

    def __init__(
        self,
        onnx_path: Path,
        tokenizer_path: Path,
        threads: int = 1,
        max_tokens: int = MAX_TOKENS,
        head_tokens: int = HEAD_TOKENS,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        if not 2 < head_tokens + 1 <= max_tokens:
            raise ValueError("need 2 < head_tokens + 1 <= max_tokens")
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # Cutting and padding are done here (head and tail kept, see _cut); the
        # file's own settings would pad every comment to 128 pieces.
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.head_tokens = head_tokens
        options = onnxruntime.SessionOptions()
        # One thread per call: the server already runs a worker per core, and a
        # pool per worker would fight over them.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()

    def _cut(self, ids: list[int]) -> list[int]:
        """Keep the first ``head_tokens`` pieces (with [CLS]) and the last ones
        (with [SEP]) of a sequence longer than ``max_tokens``."""
        if len(ids) <= self.max_tokens:
            return ids
        tail = self.max_tokens - self.head_tokens
        return ids[: self.head_tokens] + ids[-tail:]

    def pieces(self, texts: Sequence[str]) -> list[list[int]]:
        """Return each text's word-piece ids as the encoder will read them."""
        with self._lock:
            batch = self._tokenizer.encode_batch(list(texts))
        return [self._cut(b.ids) for b in batch]

    def encode_many(
        self, texts: Sequence[str], on_batch: Callable[[int], object] | None = None
    ) -> np.ndarray:
        """Encode any number of texts, ``BATCH`` at a time in order of length in
        word pieces (similar lengths waste less padding); rows come back in input
        order. ``on_batch`` is told how many texts each batch held (for progress bars)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        ids = self.pieces(texts)
        order = np.argsort([len(x) for x in ids], kind="stable")
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            out[rows] = self._run([ids[i] for i in rows])
            if on_batch is not None:
                on_batch(len(rows))
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), DIM), each row of unit length."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return self._run(self.pieces(texts))

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(x) for x in ids)
        tokens = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for i, row in enumerate(ids):
            tokens[i, : len(row)] = row
            mask[i, : len(row)] = 1
        (hidden,) = self._session.run(None, {"input_ids": tokens, "attention_mask": mask})
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
