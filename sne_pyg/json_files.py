"""Result files as strict JSON: a value JSON cannot hold (NaN, ±inf) is written as ``null``.

Python's :mod:`json` writes ``NaN`` and ``Infinity`` by default, which other readers (``jq``, JavaScript,
``json.loads(..., parse_constant=...)`` set to refuse) reject. Every result, summary and settings file
of the package goes through :func:`write_json`: non-finite floats become ``None`` first, the file is
written with ``allow_nan=False`` under a temporary name and renamed, so a reader never meets a half
written file. (The resume caches of :mod:`sne_pyg.experiments.cache` are read back only by this
package and keep NaN as it was.)
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from typing import Any


def strict(value: Any) -> Any:
    """``value`` with every non-finite float (at any depth of dicts, lists and tuples) replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: strict(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(item) for item in value]
    return value


def settings_digest(settings: Any, length: int = 10) -> str:
    """A short, stable name for JSON-able ``settings``: the first ``length`` hex digits of the SHA-1 of their JSON
    with sorted keys (so the order keys were written in does not matter). Names cache folders and checkpoints."""
    return hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:length]


def write_json(path: str, value: Any, indent: int = 1) -> None:
    """Write ``strict(value)`` to ``path`` (its folder made when missing) atomically, as strict JSON."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    text = json.dumps(strict(value), indent=indent, allow_nan=False)
    with open(f"{path}.partial", "w") as f:
        f.write(text + "\n")
    os.replace(f"{path}.partial", path)
