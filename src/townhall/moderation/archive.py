"""Writing model arrays as ``.npz`` files that load without pickles and rebuild
byte for byte (fixed timestamps, fixed order)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["write_npz"]


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> str:
    """Write ``arrays`` to ``path``; return the file's SHA-256."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            payload = io.BytesIO()
            np.lib.format.write_array(payload, np.ascontiguousarray(arr), allow_pickle=False)
            zf.writestr(info, payload.getvalue())
    data = buf.getvalue()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()
