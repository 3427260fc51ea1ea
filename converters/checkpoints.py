"""Convert a folder of checkpoints with a CSV of labels into an sne_pyg zoo folder.

    python converters/checkpoints.py CHECKPOINTS/ --labels labels.csv --out zoo/ [--targets acc,gap]

``labels.csv`` has a ``file`` column (a path relative to CHECKPOINTS/) and one column per target.
Checkpoints are ``.pt``/``.pth``/``.bin`` (read with ``weights_only=True``) or ``.safetensors``.
The output folder holds ``train.pt``, ``val.pt``, ``test.pt``; read them with
``sne_pyg.data.ZooFolder(out, split)``.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys

from tqdm.auto import tqdm

from sne_pyg.data import convert, save_splits
from sne_pyg.data.checkpoints import load_state_dict


def read_labels(path: str, targets: list[str] | None) -> tuple[list[str], list[list[float]], list[str]]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or "file" not in reader.fieldnames:
            raise ValueError(f"{path}: needs a 'file' column, has {reader.fieldnames}")
        columns = targets or [c for c in reader.fieldnames if c != "file"]
        missing = [c for c in columns if c not in reader.fieldnames]
        if missing:
            raise ValueError(f"{path}: no column(s) {missing}; columns are {reader.fieldnames}")
        files, values = [], []
        for line, row in enumerate(reader, start=2):
            try:
                values.append([float(row[c]) for c in columns])
            except ValueError as error:
                raise ValueError(f"{path}, line {line}: a target is not a number ({error})") from None
            files.append(row["file"])
    return files, values, columns


def main(argv=None) -> dict[str, int]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("checkpoints", help="folder of .pt/.pth/.bin/.safetensors files")
    parser.add_argument("--labels", required=True, help="CSV with a 'file' column and target columns")
    parser.add_argument("--out", required=True, help="output zoo folder")
    parser.add_argument("--targets", default=None, help="comma-separated target columns (default: all)")
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--fractions", default="0.8,0.1,0.1", help="train,val,test fractions")
    parser.add_argument("--split-seed", type=int, default=0)
    args = parser.parse_args(argv)

    files, values, columns = read_labels(args.labels, args.targets.split(",") if args.targets else None)
    networks = []
    for name, y in tqdm(list(zip(files, values)), desc="converting checkpoints"):
        path = os.path.join(args.checkpoints, name)
        data = convert(load_state_dict(path), chunk_size=args.chunk_size, y=y)
        data.source = name
        networks.append(data)
    fractions = [float(x) for x in args.fractions.split(",")]
    sizes = save_splits(networks, args.out, fractions, args.split_seed,
                        settings=dict(source=os.path.abspath(args.checkpoints), targets=columns,
                                      chunk_size=args.chunk_size, fractions=fractions, split_seed=args.split_seed))
    print(f"wrote {sizes} networks with targets {columns} to {args.out}")
    return sizes


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
