"""Scaling curve: SNE and NeuralGraph encode time and peak memory as the parameter count grows.

    python benchmarks/bench_scaling.py [--quick] [--out DIR]

Square MLPs of 3 layers (3 w^2 + 3 w parameters) from ~3k to ~100M parameters, each converted and
encoded once (no_grad, hidden 16) in a fresh process; memory is the task's peak above the process
after imports (conversion, view and encoding): SNE as in ``bench_large`` (ISAB layer level,
chunk budget 16,384), NeuralGraph on its neuron graph under a memory cap; NeuralGraph stops at the
first size that does not fit. The slope of log(time) and log(peak - baseline memory) against
log(parameters) over the sizes >= 10^5 parameters is reported (1 = linear); ``scaling.png`` is the
log-log plot.
"""
from __future__ import annotations


import numpy as np
import torch

from bench_large import encode_task, neural_graph_task
from common import cli, print_table, write_json
from isolated import run_isolated


def slope(xs: list[float], ys: list[float], from_x: float = 1e5) -> float | None:
    """Least-squares slope of log(y) on log(x) over the points with x >= from_x (None if < 2)."""
    points = [(x, y) for x, y in zip(xs, ys) if x >= from_x and y > 0]
    if len(points) < 2:
        return None
    lx, ly = np.log([p[0] for p in points]), np.log([p[1] for p in points])
    return float(np.polyfit(lx, ly, 1)[0])


def run(quick: bool = False, out: str | None = None, cap_gb: float = 16.0) -> dict:
    widths = (32, 100, 316) if quick else (32, 100, 316, 1000, 3162, 5774)
    cap = 4.0 if quick else cap_gb
    rows, graph_fits = [], True
    for width in widths:
        r = run_isolated(encode_task, name="mlp", size=width, budget=16384)
        rows.append(dict(r, model="sne", width=width, peak_above_baseline_gb=r.get("task_peak_gb", r["peak_above_baseline_gb"])))
        if graph_fits:
            r = run_isolated(neural_graph_task, cap_gb=cap, timeout_s=1800, name="mlp", size=width)
            rows.append(dict(r, model="neural_graph", width=width))
            graph_fits = r["ok"]
    slopes = {}
    for model in ("sne", "neural_graph"):
        done = [r for r in rows if r["model"] == model and r["ok"]]
        slopes[model] = {"time": slope([r["params"] for r in done], [r["encode_s"] for r in done], 1e5 if not quick else 1e3),
                         "memory": slope([r["params"] for r in done], [r["peak_above_baseline_gb"] for r in done],
                                         1e5 if not quick else 1e3)}
    write_json(out, "scaling.json", {"threads": torch.get_num_threads(), "hidden": 16, "memory_cap_gb": cap,
                                     "rows": rows, "slopes": slopes})
    if out:
        plot(rows, slopes, f"{out}/scaling.png")
    print_table(["model", "width", "params", "encode s", "peak - baseline GB", "status"],
                [[r["model"], str(r["width"]), f"{r['params']:,}" if "params" in r else "-",
                  f"{r['encode_s']:.2f}" if "encode_s" in r else "-", f"{r['peak_above_baseline_gb']:.3f}",
                  "ok" if r["ok"] else r["error"][:60]] for r in rows])
    for model, s in slopes.items():
        print(f"{model}: log-log slope of time {s['time'] if s['time'] is None else round(s['time'], 2)}, "
              f"of memory {s['memory'] if s['memory'] is None else round(s['memory'], 2)}")
    return {"rows": rows, "slopes": slopes}


def plot(rows: list[dict], slopes: dict, path: str) -> None:
    from sne_pyg.plots import plt, save_figure
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in ((axes[0], "encode_s", "encode time (s)"), (axes[1], "peak_above_baseline_gb", "peak memory above baseline (GB)")):
        for model in ("sne", "neural_graph"):
            done = [r for r in rows if r["model"] == model and r["ok"]]
            s = slopes[model]["time" if key == "encode_s" else "memory"]
            ax.loglog([r["params"] for r in done], [r[key] for r in done], "o-",
                      label=f"{model} (slope {s:.2f})" if s is not None else model)
        ax.set_xlabel("parameters")
        ax.set_ylabel(label)
        ax.legend()
        ax.grid(True, which="both", alpha=0.3)
    save_figure(fig, path)


if __name__ == "__main__":
    cli(run, __doc__, cap_gb=(float, 16.0, "memory cap of the NeuralGraph attempts"))
