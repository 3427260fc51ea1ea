"""Where a command writes: checked before any work, never overwriting a run by accident.

A run folder "holds a run" when any of the files its command writes is there; such a folder is
refused unless ``--overwrite`` is given, and then those files (only those) are removed first, so
no file of the old run survives beside the new one.
"""
from __future__ import annotations

import argparse
import os


def add_overwrite_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overwrite", action="store_true",
                        help="replace a run already in --out (its files are removed first)")


def check_run_folder(out: str, run_files: tuple[str, ...], overwrite: bool, remove: bool = True) -> None:
    """Raise unless ``out`` can take a new run; with ``overwrite`` (and ``remove``) clear the old run's files."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"--out {out}: is a file; give a folder for the run's files")
    found = [name for name in run_files if os.path.exists(os.path.join(out, name))]
    if found and not overwrite:
        raise ValueError(f"--out {out}: already holds a run ({', '.join(found)}); pass --overwrite to replace it "
                         f"or choose another folder")
    if found and remove:
        for name in found:
            os.remove(os.path.join(out, name))


def check_output_file(out: str, overwrite: bool) -> None:
    """Raise unless ``out`` may be written: not a folder, and not an existing file unless ``overwrite``."""
    if os.path.isdir(out):
        raise ValueError(f"--out {out}: is a folder; give a file name")
    if os.path.exists(out) and not overwrite:
        raise ValueError(f"--out {out}: exists; pass --overwrite to replace it")


def atomic_path(path: str) -> str:
    """A temporary name beside ``path`` with the same suffix (write there, then ``os.replace``)."""
    stem, suffix = os.path.splitext(path)
    return f"{stem}.partial{suffix}"
