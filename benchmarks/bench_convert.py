"""convert() time vs one torch.cat of all parameters (the memory-bound reference), side by side.

    python benchmarks/bench_convert.py [--quick] [--out DIR]

Target (issue 6): convert <= 3x the cat time from 1k to 100M+ parameters. Two convert times:
"first" converts an architecture never seen (the layout is planned: per-layer Python), "zoo" is
every further network of that architecture (the plan is cached, see sne_pyg.data.convert_plan).
"""
from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import nn

from common import cli, print_table, write_json
from sne_pyg import convert
from sne_pyg.data.convert import PLANS


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


def interleaved_best(functions: dict[str, Callable[[], object]], repeats: int, inner: int) -> dict[str, float]:
    """Best time per call of each function, the functions taking turns so that drifts hit all alike."""
    best = {name: float("inf") for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / inner)
    return best


def measure(name: str, model: nn.Module, chunk_size: int) -> dict:
    state = model.state_dict()
    tensors = [t for t in state.values() if t.is_floating_point()]
    params = sum(t.numel() for t in tensors)

    def first() -> None:
        PLANS.clear()
        convert(state, chunk_size=chunk_size)

    def zoo() -> None:   # every further network of a seen architecture: the plan is cached
        convert(state, chunk_size=chunk_size)

    def cat() -> None:
        torch.cat([t.reshape(-1) for t in tensors])
    repeats, inner = (11, max(1, 100_000 // params)) if params < 10_000_000 else (3, 1)
    best = interleaved_best({"cat": cat, "first": first}, repeats, inner)
    zoo()
    zoo()   # the second network of an architecture builds the cached gather index
    second = interleaved_best({"cat": cat, "zoo": zoo}, repeats, inner)
    best.update(zoo=second["zoo"], cat=min(best["cat"], second["cat"]))
    return {"network": name, "params": params, "cat_s": best["cat"], "convert_first_s": best["first"],
            "ratio_first": best["first"] / best["cat"], "convert_s": best["zoo"], "ratio": best["zoo"] / best["cat"]}


def run(quick: bool = False, out: str | None = None, chunk_size: int = 64) -> list[dict]:
    rows = [measure(name, build(), chunk_size) for name, build in cases(quick).items()]
    write_json(out, "convert.json", {"chunk_size": chunk_size, "threads": torch.get_num_threads(), "rows": rows})
    print_table(["network", "params", "torch.cat (ms)", "first (ms)", "first / cat", "zoo (ms)", "zoo / cat"],
                [[r["network"], f"{r['params']:,}", f"{1e3 * r['cat_s']:.3f}", f"{1e3 * r['convert_first_s']:.3f}",
                  f"{r['ratio_first']:.2f}", f"{1e3 * r['convert_s']:.3f}", f"{r['ratio']:.2f}"] for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__)
