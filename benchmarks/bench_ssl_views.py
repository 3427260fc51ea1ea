"""Two augmented views per network for self-supervised training: per-network transforms vs one batched pass.

    python benchmarks/bench_ssl_views.py [--quick] [--out DIR]

A self-supervised step needs two views of every network of its batch (hidden-neuron permutation, one
erased block, optional noise) and the clean batch. The per-network path composes the transforms of
``sne_pyg.ssl`` on each network and collates three batches (what ``fit_ssl`` did before); the batched
path (``sne_pyg.ssl.views.PairedViews``, what it does now) collates once and draws every view with one
gather, one masked fill and one add. Both draw from the same seeds; ``identical`` checks that the views
are equal bit for bit. Networks: freshly initialised TETRIS FFNs (100 parameters), the Arch1 CNN, and a
mixed batch of MLPs, CNNs and transformers (permutation specs derived from the modules), 64 per batch;
the two paths take turns (best of ``repeats``).
"""
from __future__ import annotations

import torch
from torch_geometric.data import Batch
from torch_geometric.transforms import Compose

from common import cli, interleaved_best, print_table, write_json
from sne_pyg import convert
from sne_pyg.ssl import GaussianNoise, PermuteNeurons, RandomErasing, specs_by_architecture
from sne_pyg.ssl.views import PairedViews
from sne_pyg.zoos.architectures import build_classifier

BATCHES = {"tetris_ffn": ["tetris_ffn"], "arch1": ["arch1"], "mixed": ["mlp", "arch1", "transformer"]}


def networks(names: list[str], count: int):
    """``count`` freshly initialised networks cycling through ``names`` and the specs their layouts lack."""
    torch.manual_seed(0)
    modules = [build_classifier(names[i % len(names)]) for i in range(count)]
    specs = specs_by_architecture(modules[:len(names)])
    return [convert(m, 64) for m in modules], specs


def per_network(nets, seeds, specs, noise: float):
    a, b = [], []
    for data, seed in zip(nets, seeds):
        steps = [PermuteNeurons(specs, seed=seed), RandomErasing(0.5, seed=seed + 1)]
        augment = Compose(steps + ([GaussianNoise(noise, seed=seed + 2)] if noise > 0 else []))
        a.append(augment(data))
        b.append(augment(data))
    return Batch.from_data_list(a), Batch.from_data_list(b), Batch.from_data_list(list(nets))


def run(quick: bool = False, out: str | None = None, repeats: int = 5) -> list[dict]:
    count, repeats = (8, 1) if quick else (64, repeats)
    rows = []
    for name, names in (list(BATCHES.items())[::2] if quick else BATCHES.items()):
        nets, specs = networks(names, count)
        seeds = list(range(1000, 1000 + count))
        for noise in (0.0, 0.05):
            batched = PairedViews(True, 0.5, noise, specs)
            old, new = per_network(nets, seeds, specs, noise), batched(nets, seeds)
            identical = all(torch.equal(x.chunks, y.chunks) for x, y in zip(old, new))
            best = interleaved_best({"per network": lambda: per_network(nets, seeds, specs, noise),
                                     "batched": lambda: batched(nets, seeds)}, repeats)
            rows.append({"batch": name, "networks": count, "noise": noise, "per_network_s": best["per network"],
                         "batched_s": best["batched"], "speedup": best["per network"] / best["batched"],
                         "identical": identical})
    write_json(out, "ssl_views.json", {"rows": rows, "threads": torch.get_num_threads()})
    print_table(["batch", "networks", "noise", "per network (ms)", "batched (ms)", "speed-up", "identical"],
                [[r["batch"], str(r["networks"]), f"{r['noise']:g}", f"{1e3 * r['per_network_s']:.1f}",
                  f"{1e3 * r['batched_s']:.1f}", f"{r['speedup']:.1f}x", str(r["identical"])] for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__, repeats=(int, 5, "timing rounds (best of)"))
