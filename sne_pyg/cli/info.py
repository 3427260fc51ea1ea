"""``sne-pyg info PATH``: a network's hierarchy (layers, types, parameter and chunk counts)."""
from __future__ import annotations

import argparse

from ..data import NetworkData, convert
from ..data.checkpoints import load_state_dict
from .config import add_subcommand
from ..argtypes import positive_int


def add_parser(sub) -> argparse.ArgumentParser:
    parser = add_subcommand(sub, "info", "print a checkpoint's layers, types, parameter and chunk counts", __doc__)
    parser.add_argument("path", help="a .pt/.pth/.bin state_dict or a .safetensors file")
    parser.add_argument("--chunk-size", type=positive_int, default=64, help="chunk size c of the conversion")
    return parser


def describe(data: NetworkData) -> str:
    """A table of the network's layers and a summary line."""
    rows = [("layer", "name", "type", "level", "shapes", "params", "chunks")]
    params = data.layer_numel.tolist()
    chunks = data.layer_num_chunks.tolist()
    for i, spec in enumerate(data.layout.layers):
        shapes = ", ".join("x".join(map(str, data.layout.params[p.key].shape)) or "scalar" for p in spec.pieces)
        rows.append((str(i), spec.name, spec.type.name, str(spec.level), shapes, f"{params[i]:,}", f"{chunks[i]:,}"))
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if k < 5 else c.rjust(w) for k, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    summary = (f"{data.num_layers} layers, {sum(params):,} parameters, {data.num_chunks:,} chunks of "
               f"{data.chunk_size} (padding {data.num_chunks * data.chunk_size - sum(params):,})")
    if data.layout.aliases:
        summary += f"; tied: {', '.join(f'{a} = {s}' for a, s in data.layout.aliases.items())}"
    if data.layout.skipped:
        summary += "; skipped: " + ", ".join(f"{k} ({v.reason})" for k, v in data.layout.skipped.items())
    return "\n".join(lines + ["", summary])


def run(args: argparse.Namespace) -> int:
    print(describe(convert(load_state_dict(args.path), chunk_size=args.chunk_size)))
    return 0
