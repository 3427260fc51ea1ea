"""argparse ``type`` functions shared by every command line of the package (cli, converters, examples)."""
from __future__ import annotations

import argparse


def positive_int(text) -> int:
    """An argparse ``type``: an integer >= 1."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def distinct_positive_ints(text: str) -> list[int]:
    """An argparse ``type``: ``"15,30"`` -> ``[15, 30]``, comma-separated whole numbers >= 1, each once."""
    try:
        values = [int(v) for v in str(text).split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
    if any(v < 1 for v in values) or len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"expected distinct whole numbers >= 1, got {text!r}")
    return values


def distinct_fractions(text: str) -> list[float]:
    """An argparse ``type``: ``"0.25,1"`` -> ``[0.25, 1.0]``, comma-separated numbers in (0, 1], each once."""
    try:
        values = [float(v) for v in str(text).split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not all(0 < v <= 1 for v in values) or len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"expected distinct fractions in (0, 1], got {text!r}")
    return values
