"""The Small CNN Zoo of Unterthiner et al. 2020 -> an sne_pyg zoo folder.

Reads a zoo folder holding ``weights.npy`` (one row of flattened TensorFlow weights per
network), ``metrics.csv.gz`` (one row per network: accuracies, hyperparameters, ``step``, ...)
and ``layout.csv`` (``varname``, ``start_idx``, ``end_idx``, ``shape`` of every variable in a row).
TensorFlow kernels are transposed to PyTorch's layout: convolutions (kh, kw, in, out) ->
(out, in, kh, kw), dense (in, out) -> (out, in). Variables are assigned in order to the parameters
of the matching torch architecture (``--architecture``, default ``arch1``, the zoo's small CNN),
so ``data.to_state_dict()`` loads straight into ``sne_pyg.zoos.architectures.arch1()``.
``--steps`` keeps only checkpoints at those training steps; checkpoints of one run (same
``--run-column`` value, ``modeldir`` when present) always share a split.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import os
import re

import numpy as np
import torch
from tqdm.auto import tqdm

from ..data import convert
from ..zoos.architectures import ARCHITECTURES, build_classifier
from .common import add_output_arguments, make_main, write_zoo
from ..argtypes import positive_int

DESCRIPTION = "Convert the Unterthiner et al. Small CNN Zoo (weights.npy, metrics.csv.gz, layout.csv) into a zoo folder."


def parse_shape(text: str) -> tuple[int, ...]:
    """``"(3, 3, 1, 16)"``, ``"[3,3,1,16]"`` or ``"3x3x1x16"`` -> ``(3, 3, 1, 16)``."""
    return tuple(int(v) for v in re.findall(r"\d+", text))


def read_layout(path: str) -> list[tuple[str, int, int, tuple[int, ...]]]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    needed = {"varname", "start_idx", "end_idx", "shape"}
    if not rows or not needed <= set(rows[0]):
        raise ValueError(f"{path}: needs columns {sorted(needed)}, has {sorted(rows[0]) if rows else 'no rows'}")
    layout = []
    for row in rows:
        start, end, shape = int(row["start_idx"]), int(row["end_idx"]), parse_shape(row["shape"])
        if end - start != int(np.prod(shape)):
            raise ValueError(f"{path}: {row['varname']} spans {end - start} values but has shape {shape}")
        layout.append((row["varname"], start, end, shape))
    return layout


def tf_to_torch(value: np.ndarray) -> np.ndarray:
    """TensorFlow kernel layout -> PyTorch: conv (kh, kw, in, out) -> (out, in, kh, kw); dense (in, out) -> (out, in)."""
    if value.ndim == 4:
        return value.transpose(3, 2, 0, 1)
    if value.ndim == 2:
        return value.T
    return value


def read_metrics(path: str) -> list[dict[str, str]]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        return list(csv.DictReader(f))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("zoo", help="folder with weights.npy, metrics.csv.gz and layout.csv")
    parser.add_argument("--targets", default="test_accuracy", help="comma-separated metrics columns to predict")
    parser.add_argument("--architecture", default="arch1", choices=sorted(ARCHITECTURES),
                        help="torch module whose parameters the variables fill, in order")
    parser.add_argument("--steps", default=None, help="keep only these training steps (comma-separated)")
    parser.add_argument("--run-column", default="modeldir", help="metrics column naming a run (if present)")
    parser.add_argument("--limit", type=positive_int, default=None, help="convert at most this many networks")
    add_output_arguments(parser)


def run(args: argparse.Namespace) -> dict[str, int]:
    weights = np.load(os.path.join(args.zoo, "weights.npy"), mmap_mode="r", allow_pickle=False)
    metrics = read_metrics(os.path.join(args.zoo, "metrics.csv.gz"))
    layout = read_layout(os.path.join(args.zoo, "layout.csv"))
    if len(metrics) != weights.shape[0]:
        raise ValueError(f"weights.npy has {weights.shape[0]} rows but metrics.csv.gz {len(metrics)}")
    targets = args.targets.split(",")
    missing = [t for t in targets if t not in metrics[0]]
    if missing:
        raise ValueError(f"metrics.csv.gz has no column(s) {missing}; columns: {sorted(metrics[0])}")
    parameters = dict(build_classifier(args.architecture).named_parameters())
    names, shapes = list(parameters), [tuple(p.shape) for p in parameters.values()]
    converted = [tuple(tf_to_torch(np.zeros(s)).shape) for _, _, _, s in layout]
    if converted != shapes:
        raise ValueError(f"layout.csv variables {converted} do not match {args.architecture}'s parameters {shapes}")
    keep = [i for i, row in enumerate(metrics)
            if args.steps is None or row.get("step") in set(args.steps.split(","))]
    keep = keep[:args.limit] if args.limit else keep
    networks, runs = [], []
    for i in tqdm(keep, desc="converting the small CNN zoo"):
        row = np.array(weights[i], dtype=np.float32)   # a writable copy of the memory-mapped row
        state = {name: torch.from_numpy(np.ascontiguousarray(tf_to_torch(row[start:end].reshape(shape))))
                 for name, (_, start, end, shape) in zip(names, layout)}
        if not all(torch.isfinite(v).all() for v in state.values()):
            continue                                  # diverged runs hold NaN weights: skipped
        data = convert(state, args.chunk_size, y=[float(metrics[i][t]) for t in targets])
        data.source = f"row {i}"
        networks.append(data)
        runs.append(metrics[i].get(args.run_column, i))
    print(f"kept {len(networks)} of {len(keep)} networks (non-finite weights skipped)")
    return write_zoo(networks, args, groups=runs, source=os.path.abspath(args.zoo), targets=targets,
                     architecture=args.architecture, steps=args.steps)


main = make_main(DESCRIPTION, add_arguments, run)
