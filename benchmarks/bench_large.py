"""Large networks on one CPU box: SNE's peak memory under a chunk budget, and where NeuralGraph stops fitting.

    python benchmarks/bench_large.py [--quick] [--out DIR]

GPT-2 small (124M parameters) and ResNet-50 (25.6M), built locally with random weights
(``large_models.py``), are converted and encoded by ``SNE(hidden=16, layer_block="isab",
chunk_batch_size=budget)`` for several budgets, each in a fresh process (peak RSS is a per-process
high-water mark). ``chunk_batch_size`` is the chunk budget: the chunk-level encoder streams that many
chunks at a time, and the layer level reduces the ``[chunks, hidden]`` vectors with segment
operations, so peak memory is the converted network plus a budget-sized working set. NeuralGraph
(hidden 16) is tried on the same networks under a memory cap: it cannot read attention layers
(GPT-2), and ResNet-50's neuron graph either fits or fails the cap -- reported, not crashed.
"""
from __future__ import annotations

import argparse
import gc
import time

import torch

import large_models
from common import print_table, write_json
from isolated import current_rss_gb, run_isolated

BUILDERS = {"gpt2": large_models.gpt2, "resnet50": large_models.resnet50, "mlp": large_models.square_mlp}


def build(name: str, size: float):
    return BUILDERS[name](size) if name != "mlp" else large_models.square_mlp(int(size))


def encode_task(name: str, size: float, budget: int, hidden: int = 16, chunk_size: int = 64) -> dict:
    """Build, convert, drop the module, encode once under no_grad: sizes, times, RSS after conversion."""
    from sne_pyg import SNE, convert
    model = build(name, size)
    params = large_models.parameter_count(model)
    start = time.perf_counter()
    data = convert(model, chunk_size)
    convert_s = time.perf_counter() - start
    del model
    gc.collect()
    rss_converted = current_rss_gb()
    torch.manual_seed(0)
    encoder = SNE(hidden=hidden, out_dim=None, layer_block="isab", chunk_batch_size=budget).eval()
    start = time.perf_counter()
    with torch.no_grad():
        embedding = encoder(data)
    return {"params": params, "chunks": int(data.chunks.size(0)), "layers": int(data.layer_type.numel()),
            "convert_s": convert_s, "encode_s": time.perf_counter() - start, "rss_after_convert_gb": rss_converted,
            "finite": bool(torch.isfinite(embedding).all())}


def neural_graph_task(name: str, size: float, hidden: int = 16, chunk_size: int = 64) -> dict:
    """Build the neuron graph (with residual edges) and run NeuralGraph once under no_grad."""
    from sne_pyg import convert
    from sne_pyg.data.neural_graph import largest_kernel
    from sne_pyg.nn import build_model
    model = build(name, size)
    params = large_models.parameter_count(model)
    data = convert(model, chunk_size, dataflow=name == "resnet50")
    del model
    gc.collect()
    torch.manual_seed(0)
    network = build_model("neural_graph", hidden=hidden, out_dim=None, max_kernel=largest_kernel([data])).eval()
    start = time.perf_counter()
    graph = network.prepare(data)
    view_s = time.perf_counter() - start
    start = time.perf_counter()
    with torch.no_grad():
        network(graph)
    return {"params": params, "edges": int(graph.ng_edge_index.size(1)), "nodes": int(graph.ng_x.size(0)),
            "view_s": view_s, "encode_s": time.perf_counter() - start}


def run(quick: bool = False, out: str | None = None, cap_gb: float = 16.0) -> list[dict]:
    networks = [("gpt2", 0.05), ("resnet50", 0.125)] if quick else [("gpt2", 1.0), ("resnet50", 1.0)]
    budgets = (64, 1024) if quick else (1024, 16384, 131072)
    cap = 4.0 if quick else cap_gb
    rows = []
    for name, size in networks:
        for budget in budgets:
            r = run_isolated(encode_task, name=name, size=size, budget=budget)
            rows.append(dict(r, network=name, model="sne", budget=budget))
        r = run_isolated(neural_graph_task, cap_gb=cap, timeout_s=1800, name=name, size=size)
        rows.append(dict(r, network=name, model="neural_graph", budget=None, cap_gb=cap))
    write_json(out, "large.json", {"threads": torch.get_num_threads(), "hidden": 16, "memory_cap_gb": cap,
                                   "rows": rows})
    for r in rows:
        if "rss_after_convert_gb" in r:
            r["encoder_working_set_gb"] = r["peak_rss_gb"] - r["rss_after_convert_gb"]
    print_table(["network", "model", "params", "chunk budget", "convert s", "encode s", "RSS converted GB",
                 "peak RSS GB", "peak - converted GB", "status"],
                [[r["network"], r["model"], f"{r['params']:,}" if "params" in r else "-", str(r["budget"] or "-"),
                  f"{r['convert_s']:.2f}" if "convert_s" in r else "-",
                  f"{r['encode_s']:.1f}" if "encode_s" in r else "-",
                  f"{r['rss_after_convert_gb']:.2f}" if "rss_after_convert_gb" in r else "-",
                  f"{r['peak_rss_gb']:.2f}",
                  f"{r['encoder_working_set_gb']:.2f}" if "encoder_working_set_gb" in r else "-",
                  "ok" if r["ok"] else r["error"][:70]] for r in rows])
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=None)
    parser.add_argument("--cap-gb", type=float, default=16.0, help="memory cap of the NeuralGraph attempts")
    args = parser.parse_args()
    run(args.quick, args.out, args.cap_gb)
