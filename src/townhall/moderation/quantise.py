"""Storing the linear model's weights in a byte each, so the shipped model stays small.

A head's weights span five orders of magnitude: a few strong words weigh tens,
millions of n-grams weigh hundredths. A uniform 8-bit grid would zero the small
ones; a grid in ``asinh(w / unit)`` space keeps about 4% relative precision from
``unit`` upwards and an absolute error under ``unit / 10`` below it. Document
frequencies (idf, always positive and in a narrow range) take a plain uniform grid.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pack_idf", "pack_weights", "unpack_idf", "unpack_weights"]

#: Where the grid turns from linear to logarithmic, in weight units.
UNIT = 0.01


def pack_weights(coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (int8 codes, float32 per-row scales) for a 2-D weight matrix."""
    u = np.arcsinh(coef.astype(np.float64) / UNIT)
    scales = np.maximum(np.abs(u).max(axis=1), 1e-12) / 127.0
    codes = np.clip(np.rint(u / scales[:, None]), -127, 127).astype(np.int8)
    return codes, scales.astype(np.float32)


def unpack_weights(codes: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Return the float32 weights that ``pack_weights`` encoded."""
    u = codes.astype(np.float32) * scales.astype(np.float32)[:, None]
    return (np.sinh(u) * np.float32(UNIT)).astype(np.float32)


def pack_idf(idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (uint8 codes, float32 [low, high]) for a positive vector."""
    low, high = float(idf.min()), float(idf.max())
    step = (high - low) / 255.0 or 1.0
    codes = np.clip(np.rint((idf - low) / step), 0, 255).astype(np.uint8)
    return codes, np.array([low, high], dtype=np.float32)


def unpack_idf(codes: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Return the float32 vector that ``pack_idf`` encoded."""
    low, high = float(bounds[0]), float(bounds[1])
    step = (high - low) / 255.0 or 1.0
    return (low + codes.astype(np.float32) * np.float32(step)).astype(np.float32)
