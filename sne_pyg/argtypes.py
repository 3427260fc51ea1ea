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
