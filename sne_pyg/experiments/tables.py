"""Transfer results as text: ``source->target`` keys, averages over pairs and the printed table."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

SEPARATOR = "->"


def pair_key(source: str, target: str) -> str:
    return f"{source}{SEPARATOR}{target}"


def split_key(key: str) -> tuple[str, str]:
    source, target = key.split(SEPARATOR)
    return source, target


def average_tau(results: dict[str, dict[str, dict]], model: str, transfer_only: bool = False) -> float:
    """Mean of ``tau_mean`` over the pairs (``transfer_only``: pairs whose source and target differ)."""
    values = [entry[model]["tau_mean"] for key, entry in results.items()
              if model in entry and not (transfer_only and len(set(split_key(key))) == 1)]
    finite = [v for v in values if not math.isnan(v)]   # an undefined tau (a one-network test set) is left out
    return float(np.mean(finite)) if finite else math.nan


def format_transfer_table(results: dict[str, dict[str, dict]], models: Sequence[str], title: str = "") -> str:
    """Rows ``source->target``, one ``tau mean +- std`` column per model, then the two averages."""
    width = 18
    lines = [title] if title else []
    lines.append(f"{'pair':<24}" + "".join(f"{m:>{width}}" for m in models))
    for key, entry in results.items():
        cells = (f"{entry[m]['tau_mean']:.3f} +- {entry[m]['tau_std']:.3f}" if m in entry else "n/a" for m in models)
        lines.append(f"{key:<24}" + "".join(f"{c:>{width}}" for c in cells))
    for label, transfer_only in (("average", False), ("average (transfer)", True)):
        lines.append(f"{label:<24}" + "".join(f"{average_tau(results, m, transfer_only):>{width}.3f}" for m in models))
    return "\n".join(lines)
