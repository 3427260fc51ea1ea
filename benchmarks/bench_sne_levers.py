"""Training cost of SNE's levers: networks/s of full training steps of each SNE variant on Arch1 CNNs.

    python benchmarks/bench_sne_levers.py [--quick] [--out DIR] [--hidden 32]

The levers of ``examples/sne_levers.py`` that change the model (heads, width, depth, chunk size) on one zoo of
Arch1 networks (Unterthiner's small CNN, 4,970 parameters; random weights: the cost does not depend on the
values), batches of 32 as in the accuracy experiments. The variants take turns in every repeat (a drift of the
machine hits all alike); the best pass is kept and each variant's speed is reported relative to SNE's default
from the same process.
"""
from __future__ import annotations

import torch
from torch_geometric.loader import DataLoader

from bench_training import _epoch            # one timed pass of training steps, as bench_training times them
from common import cli, interleaved_best, print_table, write_json
from sne_pyg import convert
from sne_pyg.nn import build_model
from sne_pyg.zoos.architectures import arch1

DEFAULT = "default"
# variant -> (model options, hidden multiplier, chunk size)
VARIANTS: dict[str, tuple[dict, int, int]] = {
    DEFAULT: ({}, 1, 64),
    "heads1": ({"heads": 1}, 1, 64),
    "hidden64": ({}, 2, 64),
    "depth1": ({"chunk_blocks": 1, "layer_blocks": 1, "network_blocks": 1}, 1, 64),
    "depth3": ({"chunk_blocks": 3, "layer_blocks": 3, "network_blocks": 3}, 1, 64),
    "chunk16": ({}, 1, 16),
}


def arch1_zoo(size: int, chunk_size: int) -> list:
    networks = []
    for seed in range(size):
        torch.manual_seed(seed)
        networks.append(convert(arch1(), chunk_size=chunk_size, y=torch.zeros(1, 1)))
    return networks


def run(quick: bool = False, out: str | None = None, hidden: int = 32) -> list[dict]:
    size, repeats = (8, 1) if quick else (96, 3)
    zoos = {c: arch1_zoo(size, c) for c in sorted({chunk for _, _, chunk in VARIANTS.values()})}
    epochs, params = {}, {}
    for name, (options, widen, chunk) in VARIANTS.items():
        torch.manual_seed(0)
        model = build_model("sne", hidden=hidden * widen, out_dim=1, **options).train()
        batches = list(DataLoader(zoos[chunk], batch_size=32))
        epochs[name] = _epoch(model, torch.optim.AdamW(model.parameters(), lr=1e-4), batches)
        params[name] = sum(p.numel() for p in model.parameters())
    seconds = interleaved_best(epochs, repeats)
    rows = [{"variant": name, "params": params[name], "networks": size, "train_networks_per_s": size / s,
             "speed_vs_default": seconds[DEFAULT] / s} for name, s in seconds.items()]
    write_json(out, "sne_levers.json", {"hidden": hidden, "batch_size": 32, "threads": torch.get_num_threads(),
                                        "rows": rows})
    print_table(["variant", "params", "training networks/s", "speed / default"],
                [[r["variant"], f"{r['params']:,}", f"{r['train_networks_per_s']:.1f}", f"{r['speed_vs_default']:.2f}"]
                 for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__, hidden=(int, 32, "hidden size of SNE's default (hidden64 doubles it)"))
