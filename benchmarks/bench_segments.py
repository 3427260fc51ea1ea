"""Segment set functions: torch-scatter vs native backend, and ours vs PyG's padding SetTransformer.

    python benchmarks/bench_segments.py [--quick] [--out DIR]

Sets of skewed (log-normal) sizes, as the layers of a mixed zoo have. (1) ``SegmentSetTransformer``
(2 SAB blocks + PMA) under both segment backends, forward and forward + backward. (2) The same
architecture in PyG's ``SetTransformerAggregation``, which pads every set to the largest one
(``to_dense_batch``), against ours on identical inputs. Best of ``repeats``; ratios from one run.
"""
from __future__ import annotations

import time

import torch
from torch_geometric.nn.aggr import SetTransformerAggregation

from common import cli, print_table, write_json
from sne_pyg.nn.aggr import SegmentSetTransformer
from sne_pyg.segment import HAS_TORCH_SCATTER, ptr_from_sizes, use_backend


def skewed_sizes(num_sets: int, largest: int, generator: torch.Generator) -> torch.Tensor:
    sizes = torch.exp(torch.randn(num_sets, generator=generator) * 1.0 + 2.0).round().long().clamp(1, largest)
    sizes[0] = largest
    return sizes


def best_time(fn, repeats: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(quick: bool = False, out: str | None = None, hidden: int = 64) -> list[dict]:
    num_sets, largest, repeats = (200, 64, 2) if quick else (2000, 256, 3)
    generator = torch.Generator().manual_seed(0)
    sizes = skewed_sizes(num_sets, largest, generator)
    ptr = ptr_from_sizes(sizes)
    index = torch.repeat_interleave(torch.arange(num_sets), sizes)
    x = torch.randn(int(sizes.sum()), hidden, generator=generator)
    torch.manual_seed(0)
    ours = SegmentSetTransformer(hidden, heads=4, num_blocks=2)
    pyg = SetTransformerAggregation(hidden, num_seed_points=1, num_encoder_blocks=2, num_decoder_blocks=0, heads=4)

    def forward(module, **kw):
        with torch.no_grad():
            module(x, **kw)

    def forward_backward(module, **kw):
        leaf = x.clone().requires_grad_()
        module(leaf, **kw).sum().backward()

    rows = []
    backends = ["native"] + (["torch_scatter"] if HAS_TORCH_SCATTER else [])
    for mode, fn in (("forward", forward), ("forward+backward", forward_backward)):
        times = {}
        for backend in backends:
            with use_backend(backend):
                times[f"ours ({backend})"] = best_time(lambda: fn(ours, index=index, ptr=ptr), repeats)
        times["PyG SetTransformerAggregation"] = best_time(lambda: fn(pyg, index=index, dim_size=num_sets), repeats)
        reference = times[f"ours ({backends[-1]})"]
        for name, seconds in times.items():
            rows.append({"mode": mode, "implementation": name, "seconds": seconds, "relative_to_ours": seconds / reference})
    write_json(out, "segments.json", {"sets": num_sets, "elements": int(sizes.sum()), "largest_set": largest,
                                      "mean_set": float(sizes.float().mean()), "hidden": hidden, "rows": rows})
    print(f"{num_sets} sets, {int(sizes.sum())} elements, mean size {float(sizes.float().mean()):.1f}, largest {largest}")
    print_table(["mode", "implementation", "ms", f"time / ours ({backends[-1]})"],
                [[r["mode"], r["implementation"], f"{1e3 * r['seconds']:.1f}", f"{r['relative_to_ours']:.2f}"]
                 for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__)
