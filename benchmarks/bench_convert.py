"""convert() time vs one torch.cat of all parameters (the memory-bound reference), side by side.

    python benchmarks/bench_convert.py [--quick] [--out DIR]

Target (issue 6): convert <= 3x the cat time from 1k to 100M+ parameters.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import nn

from common import cli, print_table, write_json
from sne_pyg import convert


def mlp(width: int, depth: int) -> nn.Module:
    layers = [nn.Linear(width, width) for _ in range(depth)]
    return nn.Sequential(*layers)


def cnn(channels: int, depth: int) -> nn.Module:
    layers = []
    for _ in range(depth):
        layers += [nn.Conv2d(channels, channels, 3), nn.BatchNorm2d(channels)]
    return nn.Sequential(*layers)


def transformer(d: int, layers: int) -> nn.Module:
    layer = nn.TransformerEncoderLayer(d, 8, 4 * d, batch_first=True)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


def cases(quick: bool) -> dict[str, Callable[[], nn.Module]]:
    """Builders, so that only the network being measured is in memory."""
    if quick:
        return {"mlp-1k": lambda: mlp(16, 4), "cnn-100k": lambda: cnn(32, 10),
                "transformer-800k": lambda: transformer(128, 4)}
    return {"mlp-1k": lambda: mlp(16, 4), "cnn-1M": lambda: cnn(64, 27), "transformer-12M": lambda: transformer(512, 4),
            "mlp-100M": lambda: mlp(4096, 6), "transformer-113M": lambda: transformer(1024, 9)}


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(name: str, model: nn.Module, chunk_size: int) -> dict:
    state = model.state_dict()
    tensors = [t for t in state.values() if t.is_floating_point()]
    params = sum(t.numel() for t in tensors)
    repeats = 5 if params < 10_000_000 else 2
    cat = best_of(lambda: torch.cat([t.reshape(-1) for t in tensors]), repeats)
    conv = best_of(lambda: convert(state, chunk_size=chunk_size), repeats)
    return {"network": name, "params": params, "cat_s": cat, "convert_s": conv, "ratio": conv / cat}


def run(quick: bool = False, out: str | None = None, chunk_size: int = 64) -> list[dict]:
    rows = [measure(name, build(), chunk_size) for name, build in cases(quick).items()]
    write_json(out, "convert.json", {"chunk_size": chunk_size, "threads": torch.get_num_threads(), "rows": rows})
    print_table(["network", "params", "torch.cat (ms)", "convert (ms)", "ratio"],
                [[r["network"], f"{r['params']:,}", f"{1e3 * r['cat_s']:.2f}", f"{1e3 * r['convert_s']:.2f}",
                  f"{r['ratio']:.2f}"] for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__)
