"""A folder of checkpoints with a CSV of labels -> an sne_pyg zoo folder.

``labels.csv`` has a ``file`` column (a path relative to the checkpoint folder) and one column
per target. Checkpoints are ``.pt``/``.pth``/``.bin`` (read with ``weights_only=True``) or
``.safetensors``. Read the result with ``sne_pyg.data.ZooFolder(out, split)``.
"""
from __future__ import annotations

import argparse
import csv
import math
import os

from tqdm.auto import tqdm

from ..data import convert_all
from ..data.checkpoints import load_state_dict
from .common import add_output_arguments, make_main, write_zoo

DESCRIPTION = "Convert a folder of .pt/.safetensors checkpoints with a CSV of labels into a zoo folder."


def read_labels(path: str, targets: list[str] | None) -> tuple[list[str], list[list[float]], list[str]]:
    """``(files, targets per file, target columns)`` of a labels CSV; a UTF-8 byte-order mark is accepted.

    Refused, naming the line: a short row, a target that is not a finite number (NaN, Inf, text), and a
    file listed twice (two labels for one network).
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or "file" not in reader.fieldnames:
            raise ValueError(f"{path}: needs a 'file' column, has {reader.fieldnames}")
        columns = targets or [c for c in reader.fieldnames if c != "file"]
        missing = [c for c in columns if c not in reader.fieldnames]
        if missing:
            raise ValueError(f"{path}: no column(s) {missing}; columns are {reader.fieldnames}")
        files, values, first_line = [], [], {}
        for row in reader:
            line = reader.line_num
            short = [c for c in ["file"] + columns if row.get(c) in (None, "")]
            if short:
                raise ValueError(f"{path}, line {line}: no value for {short} (the row has "
                                 f"{len([v for v in row.values() if v not in (None, '')])} of {len(reader.fieldnames)} fields)")
            try:
                numbers = [float(row[c]) for c in columns]
            except ValueError as error:
                raise ValueError(f"{path}, line {line}: a target is not a number ({error})") from None
            bad = [c for c, v in zip(columns, numbers) if not math.isfinite(v)]
            if bad:
                raise ValueError(f"{path}, line {line}: target(s) {bad} are not finite ({[row[c] for c in bad]})")
            if row["file"] in first_line:
                raise ValueError(f"{path}, line {line}: {row['file']!r} is listed again (first on line "
                                 f"{first_line[row['file']]})")
            first_line[row["file"]] = line
            values.append(numbers)
            files.append(row["file"])
    return files, values, columns


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoints", help="folder of .pt/.pth/.bin/.safetensors files")
    parser.add_argument("--labels", required=True, help="CSV with a 'file' column and target columns")
    parser.add_argument("--targets", default=None, help="comma-separated target columns (default: all)")
    add_output_arguments(parser)


def run(args: argparse.Namespace) -> dict[str, int]:
    files, values, columns = read_labels(args.labels, args.targets.split(",") if args.targets else None)
    states = (load_state_dict(os.path.join(args.checkpoints, name))
              for name in tqdm(files, desc="converting checkpoints"))
    networks = convert_all(states, args.chunk_size, ys=values, names=files)
    for name, data in zip(files, networks):
        data.source = name
    return write_zoo(networks, args, source=os.path.abspath(args.checkpoints), targets=columns)


main = make_main(DESCRIPTION, add_arguments, run)
