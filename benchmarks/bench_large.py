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

import gc
import time

import torch

import large_models
from common import cli, print_table, write_json
from isolated import current_rss_gb, peak_rss_gb, reset_peak_rss, run_isolated

# size: the width scale of GPT-2 / ResNet-50, the width of the square MLP
BUILDERS = {"gpt2": large_models.gpt2, "resnet50": large_models.resnet50,
            "mlp": lambda width: large_models.square_mlp(int(width))}


def build(name: str, size: float):
    return BUILDERS[name](size)


def encode_task(name: str, size: float, budget: int, hidden: int = 16, chunk_size: int = 64) -> dict:
    """Build, convert, drop the module, encode once under no_grad. Memory: the high-water mark of the
    conversion (above the process after imports), the RSS holding the converted network, and the
    encoding's working set above it (the high-water mark is reset once the network is converted)."""
    from sne_pyg import SNE, convert
    start_rss = current_rss_gb()
    model = build(name, size)
    params = large_models.parameter_count(model)
    start = time.perf_counter()
    data = convert(model, chunk_size)
    convert_s = time.perf_counter() - start
    convert_peak = peak_rss_gb() - start_rss
    del model
    gc.collect()
    rss_converted = reset_peak_rss()
    torch.manual_seed(0)
    encoder = SNE(hidden=hidden, out_dim=None, layer_block="isab", chunk_batch_size=budget).eval()
    start = time.perf_counter()
    with torch.no_grad():
        embedding = encoder(data)
    working = peak_rss_gb() - rss_converted
    return {"params": params, "chunks": int(data.chunks.size(0)), "layers": int(data.layer_type.numel()),
            "convert_s": convert_s, "encode_s": time.perf_counter() - start, "convert_peak_gb": convert_peak,
            "rss_after_convert_gb": rss_converted, "encode_working_set_gb": working,
            "task_peak_gb": max(convert_peak, rss_converted + working - start_rss),
            "finite": bool(torch.isfinite(embedding).all())}


def neural_graph_task(name: str, size: float, hidden: int = 16, chunk_size: int = 64) -> dict:
    """Build the neuron graph (with residual edges) and run NeuralGraph once under no_grad."""
    from sne_pyg import convert
    from sne_pyg.data.neural_graph import largest_kernel
    from sne_pyg.symmetry import derive_dataflow
    from sne_pyg.nn import build_model
    model = build(name, size)
    params = large_models.parameter_count(model)
    data = convert(model, chunk_size, dataflow=derive_dataflow(model) if name == "resnet50" else None)
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
    def gb(row, key):
        return f"{row[key]:.2f}" if key in row else "-"
    print_table(["network", "model", "params", "chunk budget", "convert s", "encode s", "convert peak GB",
                 "RSS converted GB", "encode working set GB", "task peak GB", "status"],
                [[r["network"], r["model"], f"{r['params']:,}" if "params" in r else "-", str(r["budget"] or "-"),
                  gb(r, "convert_s"), gb(r, "encode_s"), gb(r, "convert_peak_gb"), gb(r, "rss_after_convert_gb"),
                  gb(r, "encode_working_set_gb"),
                  f"{r.get('task_peak_gb', r['peak_above_baseline_gb']):.2f}",
                  "ok" if r["ok"] else r["error"][:70]] for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__, cap_gb=(float, 16.0, "memory cap of the NeuralGraph attempts"))
