"""convert() time vs one torch.cat of all parameters (the memory-bound reference), side by side.

    python benchmarks/bench_convert.py [--quick] [--out DIR]

Target (issue 6): convert <= 3x the cat time from 1k to 100M+ parameters. Two convert times:
"first" converts an architecture never seen (the layout is planned: per-layer Python), "zoo" is
every further network of that architecture (the plan is cached, see sne_pyg.data.convert_plan).

Batched (issue 19): ``convert_all`` of 10,000 state_dicts of about 1k and 5k parameters, one
architecture and a mix of four, against one flatten (``torch.cat``) of all their parameters and against
converting them one by one; the per-network stages that remain are timed on their own (reading the
state_dicts, the block fill) and the rest (building the NetworkData objects) is named as the difference.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from common import cli, interleaved_best, print_table, write_json
from sne_pyg import convert
from sne_pyg.data import convert_all
from sne_pyg.data.convert import PLANS
from sne_pyg.data.convert_plan import flatten, read_state


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


def small_architectures(scale: int) -> list[Callable[[int], nn.Module]]:
    """Four architectures of about ``scale`` thousand parameters (scale 1: 0.6k-1.0k; 5: 5.0k-5.7k)."""
    w = {1: 1, 5: 3}[scale]

    def seeded(build):
        def make(seed: int) -> nn.Module:
            torch.manual_seed(seed)
            return build()
        return make
    return [seeded(lambda: nn.Sequential(nn.Linear(16, 24 * w), nn.ReLU(), nn.Linear(24 * w, 16 * w), nn.ReLU(),
                                         nn.Linear(16 * w, 10))),
            seeded(lambda: nn.Sequential(nn.Conv2d(1, 8 * w, 3), nn.ReLU(), nn.Conv2d(8 * w, 8 * w, 3), nn.ReLU(),
                                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8 * w, 10))),
            seeded(lambda: nn.Sequential(nn.Linear(2, 32 * w), nn.Tanh(), nn.Linear(32 * w, 16 * w), nn.Tanh(),
                                         nn.Linear(16 * w, 1))),
            seeded(lambda: nn.Sequential(nn.Conv2d(3, 6 * w, 3), nn.BatchNorm2d(6 * w), nn.ReLU(),
                                         nn.Conv2d(6 * w, 8 * w, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                         nn.Linear(8 * w, 10 * w)))]


def measure_batch(name: str, states: list[dict], chunk_size: int, repeats: int) -> dict:
    """Batched conversion of ``states`` vs one flatten of all their parameters, side by side."""
    tensors = [t for state in states for t in state.values() if t.is_floating_point()]
    params = sum(t.numel() for t in tensors)
    convert_all(states[:64], chunk_size)           # plans (and gather indices) exist, as in a running zoo
    functions = {"cat": lambda: flatten(tensors),
                 "convert_all": lambda: convert_all(states, chunk_size),
                 "one_by_one": lambda: [convert(s, chunk_size) for s in states],
                 "read_state": lambda: [read_state(s, {}) for s in states]}
    best = interleaved_best(functions, repeats, 1)
    n = len(states)
    return {"zoo": name, "networks": n, "params_per_network": params / n, "cat_s": best["cat"],
            "convert_all_s": best["convert_all"], "ratio": best["convert_all"] / best["cat"],
            "one_by_one_s": best["one_by_one"], "speedup_over_one_by_one": best["one_by_one"] / best["convert_all"],
            "per_network_us": {"cat": 1e6 * best["cat"] / n, "convert_all": 1e6 * best["convert_all"] / n,
                               "read_state": 1e6 * best["read_state"] / n,
                               "fill_and_objects": 1e6 * (best["convert_all"] - best["read_state"]) / n}}


def batch_cases(quick: bool) -> dict[str, list[dict]]:
    n = 500 if quick else 10_000
    out = {}
    for scale in (1, 5):
        builds = small_architectures(scale)
        out[f"{scale}k, one architecture"] = [builds[0](i).state_dict() for i in range(n)]
        out[f"{scale}k, four architectures"] = [builds[i % 4](i).state_dict() for i in range(n)]
    return out


def run(quick: bool = False, out: str | None = None, chunk_size: int = 64) -> list[dict]:
    rows = [measure(name, build(), chunk_size) for name, build in cases(quick).items()]
    batched = [measure_batch(name, states, chunk_size, 3 if quick else 5)
               for name, states in batch_cases(quick).items()]
    write_json(out, "convert.json", {"chunk_size": chunk_size, "threads": torch.get_num_threads(), "rows": rows,
                                     "batched": batched})
    print_table(["network", "params", "torch.cat (ms)", "first (ms)", "first / cat", "zoo (ms)", "zoo / cat"],
                [[r["network"], f"{r['params']:,}", f"{1e3 * r['cat_s']:.3f}", f"{1e3 * r['convert_first_s']:.3f}",
                  f"{r['ratio_first']:.2f}", f"{1e3 * r['convert_s']:.3f}", f"{r['ratio']:.2f}"] for r in rows])
    print_table(["zoo", "networks", "params/net", "cat (ms)", "convert_all (ms)", "convert_all / cat",
                 "one by one / convert_all", "read_state us/net", "fill + objects us/net"],
                [[r["zoo"], f"{r['networks']:,}", f"{r['params_per_network']:,.0f}", f"{1e3 * r['cat_s']:.1f}",
                  f"{1e3 * r['convert_all_s']:.1f}", f"{r['ratio']:.2f}", f"{r['speedup_over_one_by_one']:.2f}",
                  f"{r['per_network_us']['read_state']:.1f}", f"{r['per_network_us']['fill_and_objects']:.1f}"]
                 for r in batched])
    return rows


if __name__ == "__main__":
    cli(run, __doc__)
