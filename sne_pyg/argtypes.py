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
    return _distinct_list(text, int, lambda v: v >= 1, "whole numbers >= 1")


def distinct_fractions(text: str) -> list[float]:
    """An argparse ``type``: ``"0.25,1"`` -> ``[0.25, 1.0]``, comma-separated numbers in (0, 1], each once."""
    return _distinct_list(text, float, lambda v: 0 < v <= 1, "fractions in (0, 1]")


def _distinct_list(text: str, cast, allowed, what: str) -> list:
    try:
        values = [cast(v) for v in str(text).split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated {what}, got {text!r}") from None
    if not all(allowed(v) for v in values) or len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"expected distinct {what}, got {text!r}")
    return values
