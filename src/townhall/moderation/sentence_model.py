"""The second tier's sentence model: six fine-tuned MiniLM layers, int8, under onnxruntime.

The linear first tier reads words and character n-grams; it is fast, and blind
to what a sentence means as a whole ("she threatened to sue" and "I will find
you" share few n-grams with their meaning). The sentence model reads every
comment as a sentence and gives one logit per attribute;
:mod:`townhall.moderation.second_tier` blends them with the linear scores. No
torch at run time: the transformer, its mean pooling and its head ship as one
quantised ONNX graph with the tokenizer (:mod:`townhall.moderation.finetune`
made them).

Cost, on one core: about 3.6 ms of CPU for a typical comment (about 29 word
pieces) on a processor with AVX-512 VNNI, about 6.5 ms on one with AVX2 only
(the model card's Speed section has the figures); long comments are cut to
``MAX_TOKENS`` pieces, keeping their opening and their ending (where the insult
or the link usually is), which bounds it.

Comments are read one at a time, never padded into a batch: the int8 graph
quantises each call's activations with one scale for the whole call, so a
comment read beside others would score a little differently (0.0054 against
0.0050) from the same comment read alone, as the posting path reads it.
Batching saved about an eighth of the time when it was measured (two layers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from townhall.moderation.types import ATTRIBUTES

__all__ = ["HEAD_TOKENS", "MAX_TOKENS", "SentenceModel", "cut_pieces", "text_ends"]

#: Word pieces read per comment, [CLS] and [SEP] included. Half of all comments
#: are shorter than 26 pieces; cutting the longest ones to 48 bounds the time
#: (training cuts the same way). Reading the six-layer model with a cut of 32
#: saved a fifth of the time and lost 0.023 of Jigsaw identity_attack ROC-AUC on
#: validation; cuts of 64 and 96 moved data sets both ways, for up to twice the
#: reading.
MAX_TOKENS = 48
#: Of those, how many come from the start of a long comment; the rest from its end.
HEAD_TOKENS = 32


#: A comment longer than these two together has only its two ends tokenised
#: (see :func:`text_ends`). The first 250 characters give the 31 opening pieces
#: and the last 125 the 15 closing ones for all but 11 of the 2,878 such
#: comments in the data sets; those few are tokenised whole.
HEAD_CHARS = 250
TAIL_CHARS = 125


def text_ends(text: str) -> tuple[str, str] | None:
    """The opening and the closing of a long text, cut at spaces, or None.

    Word pieces never cross a space, so tokenising each end alone gives the same
    pieces at that end as tokenising the whole text; a 5,000-character comment
    costs what a 375-character one does. None when the text is short enough to
    tokenise whole, or has no space to cut at.
    """
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return None
    head_end = text.rfind(" ", 0, HEAD_CHARS)
    tail_start = text.find(" ", len(text) - TAIL_CHARS)
    if head_end <= 0 or tail_start < 0:
        return None
    return text[:head_end], text[tail_start + 1 :]


def cut_pieces(ids: list[int], max_tokens: int, head_tokens: int) -> list[int]:
    """Keep the first ``head_tokens`` pieces (with [CLS]) and the last ones (with
    [SEP]) of a sequence longer than ``max_tokens``."""
    if len(ids) <= max_tokens:
        return ids
    return ids[:head_tokens] + ids[head_tokens - max_tokens :]


class SentenceModel:
    """Turn texts into per-attribute logits, shape (n, 7).

    One instance per process; ``logits`` is safe to call from several threads.
    """

    def __init__(
        self,
        onnx_path: Path,
        tokenizer_path: Path,
        threads: int = 1,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # Cutting and padding are done here (head and tail kept); the file's own
        # settings would pad every comment to 128 pieces.
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self._tokenizer = tokenizer
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

    def pieces(self, texts: Sequence[str]) -> list[list[int]]:
        """Return each text's word-piece ids as the sentence model will read them."""
        ends = [text_ends(t) for t in texts]
        parts = [part for t, e in zip(texts, ends, strict=True) for part in (e or (t,))]
        with self._lock:
            encoded = iter(self._tokenizer.encode_batch(parts))
        out = []
        for text, e in zip(texts, ends, strict=True):
            if e is None:
                out.append(cut_pieces(next(encoded).ids, MAX_TOKENS, HEAD_TOKENS))
                continue
            head, tail = next(encoded).ids, next(encoded).ids
            # Each end comes with its own [CLS] and [SEP]; enough pieces inside
            # them, and the whole text is certainly longer than the cut.
            if len(head) - 2 >= HEAD_TOKENS and len(tail) - 2 >= MAX_TOKENS - HEAD_TOKENS - 1:
                out.append(head[:HEAD_TOKENS] + tail[HEAD_TOKENS - MAX_TOKENS :])
            else:
                with self._lock:
                    whole = self._tokenizer.encode(text).ids
                out.append(cut_pieces(whole, MAX_TOKENS, HEAD_TOKENS))
        return out

    def logits(
        self, texts: Sequence[str], on_batch: Callable[[int], object] | None = None
    ) -> np.ndarray:
        """Read any number of texts, one at a time (see the module's docstring);
        rows come back in input order. ``on_batch`` is told of every 256 texts
        read (for progress bars)."""
        out = np.zeros((len(texts), len(ATTRIBUTES)), dtype=np.float32)
        run = self._session.run
        for i, ids in enumerate(self.pieces(texts)):
            tokens = np.array([ids], dtype=np.int64)
            (out[i],) = run(None, {"input_ids": tokens, "attention_mask": np.ones_like(tokens)})
            if on_batch is not None and (i + 1) % 256 == 0:
                on_batch(256)
        if on_batch is not None and len(texts) % 256:
            on_batch(len(texts) % 256)
        return out
