r"""DWSNet/NFN-style INR datasets -> an sne_pyg zoo folder.

Such a dataset holds one INR (a SIREN fitted to one image) per file: a ``state_dict`` saved with
``torch.save`` (read here with ``weights_only=True``), e.g. DWSNet's MNIST INRs::

    ROOT/mnist_png_training_2_23341/checkpoints/model_final.pth     # class 2, a training image
    ROOT/mnist_png_testing_7_118/checkpoints/model_final.pth        # class 7, a test image

Labels come from each path relative to ROOT through ``--label-pattern`` (a regular expression
whose first group is the class; the default reads ``..._<class>_<index>/``). Splits: a path with
"train" in it is a training INR (``--val-fraction`` of them, seeded, become validation), any
other path a test INR; when no path says "train", every INR is split at random by ``--fractions``.
Alternatively ``--splits splits.json`` (the file DWSNet's ``generate_data_splits.py`` writes:
``{"train": {"path": [...], "label": [...]}, "val": ..., "test": ...}``) fixes splits and labels;
paths that no longer exist (the data moved) are looked up under ROOT by their trailing components.
Each network's ``y`` is ``[class]`` (use ``--task classification`` when training).
"""
from __future__ import annotations

import argparse
import json
import os
import re

import torch
from tqdm.auto import tqdm

from ..data import convert_all
from ..data.checkpoints import CHECKPOINT_SUFFIXES, load_state_dict
from ..data.dataset import SPLITS, write_splits
from .common import add_output_arguments, fractions_of, make_main, write_zoo
from ..argtypes import positive_int

DESCRIPTION = "Convert a DWSNet/NFN-style folder of INR checkpoints (labels in the paths, or a splits JSON) into a zoo folder."
DEFAULT_LABEL_PATTERN = r"_(\d+)_\d+[/\\]"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", help="folder of INR checkpoints (searched recursively)")
    parser.add_argument("--splits", default=None, help="DWSNet splits JSON; fixes splits and labels")
    parser.add_argument("--label-pattern", default=DEFAULT_LABEL_PATTERN,
                        help="regex over each path relative to ROOT; group 1 is the class")
    parser.add_argument("--val-fraction", type=float, default=0.1,
                        help="share of the training INRs kept for validation (folder mode)")
    parser.add_argument("--limit", type=positive_int, default=None, help="convert only the first N INRs per split")
    add_output_arguments(parser)


def label_of(relative: str, pattern: str) -> int:
    match = re.search(pattern, relative)
    if match is None or not match.groups():
        raise ValueError(f"{relative}: --label-pattern {pattern!r} finds no class in this path")
    return int(match.group(1))


def scan_folder(root: str, pattern: str) -> list[tuple[str, int]]:
    """``(path relative to root, class)`` of every checkpoint under ``root``, sorted."""
    found = sorted(os.path.relpath(os.path.join(folder, name), root)
                   for folder, _, names in os.walk(root) for name in names
                   if os.path.splitext(name)[1].lower() in CHECKPOINT_SUFFIXES)
    if not found:
        raise ValueError(f"{root}: no checkpoint files ({', '.join(CHECKPOINT_SUFFIXES)}) found")
    return [(path, label_of(path, pattern)) for path in found]


def resolve(path: str, root: str) -> str:
    """``path`` if it exists, else the longest trailing part of it that exists under ``root``."""
    if os.path.exists(path):
        return path
    parts = os.path.normpath(path).split(os.sep)
    for start in range(len(parts)):
        candidate = os.path.join(root, *parts[start:])
        if parts[start:] and os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(f"{path} does not exist, nor does any trailing part of it under {root}")


def read_splits_file(path: str, root: str) -> dict[str, list[tuple[str, int]]]:
    with open(path) as f:
        table = json.load(f)
    missing = [s for s in SPLITS if s not in table or not {"path", "label"} <= set(table[s])]
    if missing:
        raise ValueError(f"{path}: needs 'path' and 'label' lists for splits {list(SPLITS)}; missing {missing}")
    return {s: [(resolve(p, root), int(label)) for p, label in zip(table[s]["path"], table[s]["label"])]
            for s in SPLITS}


def split_by_path(entries: list[tuple[str, int]], val_fraction: float, seed: int) -> dict[str, list[tuple[str, int]]]:
    """DWSNet's rule: "train" in the path -> train (a seeded share -> val), anything else -> test."""
    train = [e for e in entries if "train" in e[0]]
    test = [e for e in entries if "train" not in e[0]]
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed)).tolist()
    n_val = int(round(val_fraction * len(train)))
    val_ids = set(order[:n_val])
    return {"train": [e for i, e in enumerate(train) if i not in val_ids],
            "val": [e for i, e in enumerate(train) if i in val_ids], "test": test}


def _convert(entries: list[tuple[str, int]], root: str, chunk_size: int, desc: str):
    paths = [path if os.path.isabs(path) else os.path.join(root, path) for path, _ in entries]
    states = (load_state_dict(full) for full in tqdm(paths, desc=desc))
    networks = convert_all(states, chunk_size, ys=[[float(label)] for _, label in entries], names=paths)
    for full, data in zip(paths, networks):
        data.source = os.path.relpath(full, root)
    return networks


def run(args: argparse.Namespace) -> dict[str, int]:
    settings = dict(source=os.path.abspath(args.root), targets=["class"], chunk_size=args.chunk_size)
    if args.splits:
        parts = read_splits_file(args.splits, args.root)
    else:
        entries = scan_folder(args.root, args.label_pattern)
        if not any("train" in path for path, _ in entries):
            fractions_of(args)
            networks = _convert(entries[:args.limit], args.root, args.chunk_size, "converting INRs")
            return write_zoo(networks, args, **settings)
        parts = split_by_path(entries, args.val_fraction, args.split_seed)
    parts = {s: _convert(entries[:args.limit], args.root, args.chunk_size, f"converting {s} INRs")
             for s, entries in parts.items()}
    sizes = write_splits(parts, args.out, dict(settings, split_seed=args.split_seed))
    print(f"wrote {sizes} networks to {args.out}")
    return sizes


main = make_main(DESCRIPTION, add_arguments, run)
