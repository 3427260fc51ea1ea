"""``sne-pyg encode --model FILE --data PATH --out FILE``: one embedding per network.

``PATH`` is a zoo folder, a folder of checkpoints or one checkpoint file; ``--out`` ends in
``.npz`` (arrays ``embeddings``, ``names``, and ``y`` when the networks have targets), ``.csv``
(a ``name`` column then one column per dimension) or ``.safetensors`` (``embeddings``; the names
in the header).
"""
from __future__ import annotations

import argparse
import csv
import json
import os

import numpy as np
from safetensors.torch import save_file

from ..argtypes import positive_int
from ..data.sources import load_networks
from ..nn.checkpoint import load_model
from ..train import embed
from .config import add_config_argument, add_subcommand
from .outputs import add_overwrite_argument, atomic_path, check_output_file

FORMATS = (".npz", ".csv", ".safetensors")


def add_parser(sub) -> argparse.ArgumentParser:
    parser = add_subcommand(sub, "encode", "write one embedding per network to a file", __doc__)
    parser.add_argument("--model", required=True, help="a trained model (model.safetensors)")
    parser.add_argument("--data", required=True, help="zoo folder, checkpoint folder or one checkpoint file")
    parser.add_argument("--out", required=True, help="output file: .npz, .csv or .safetensors")
    parser.add_argument("--split", default="all", choices=("all", "train", "val", "test"),
                        help="which split of a zoo folder")
    parser.add_argument("--chunk-size", type=positive_int, default=64, help="chunk size for converting checkpoints")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-progress", action="store_true")
    add_overwrite_argument(parser)
    add_config_argument(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    suffix = os.path.splitext(args.out)[1].lower()
    if suffix not in FORMATS:
        raise ValueError(f"--out must end in one of {FORMATS}, got {args.out!r}")
    check_output_file(args.out, args.overwrite)
    model, _ = load_model(args.model, args.device)
    networks, names = load_networks(args.data, args.split, args.chunk_size, progress=not args.no_progress)
    embeddings = embed(model, networks, args.batch_size, args.device)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    partial = atomic_path(args.out)          # written whole, then renamed: never a half-written output
    if suffix == ".npz":
        arrays = {"embeddings": embeddings.numpy(), "names": np.array(names)}
        if all(getattr(d, "y", None) is not None for d in networks):
            arrays["y"] = np.concatenate([d.y.numpy() for d in networks])
        np.savez(partial, **arrays)
    elif suffix == ".csv":
        with open(partial, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["name"] + [f"z{k}" for k in range(embeddings.size(1))])
            writer.writerows([name] + row for name, row in zip(names, embeddings.tolist()))
    else:
        save_file({"embeddings": embeddings.contiguous()}, partial, metadata={"names": json.dumps(names)})
    os.replace(partial, args.out)
    print(f"wrote {embeddings.size(0)} embeddings of size {embeddings.size(1)} to {args.out}")
    return 0
