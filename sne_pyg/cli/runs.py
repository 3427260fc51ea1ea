"""What ``train`` and ``evaluate`` share: metrics, plots and the text report."""
from __future__ import annotations

import os

import torch
from torch import nn

from ..data import NetworkData
from ..plots import plot_embeddings, plot_predictions
from ..train import TargetScaler, embed, metrics_of, predict, prepare_dataset
from ..train.distributed import unwrap
from ..json_files import write_json


def assess(model: nn.Module, networks: list[NetworkData], task: str, scaler: TargetScaler | None, out: str,
           name: str, device: str = "cpu") -> dict[str, float]:
    """Metrics on ``networks``; a regression also writes ``pred_vs_true.png`` to ``out``."""
    pred, true = predict(model, prepare_dataset(unwrap(model), networks), scaler, device=device)
    metrics = metrics_of(pred, true, task)
    if task == "regression":
        plot_predictions(true[:, 0], pred[:, 0], os.path.join(out, "pred_vs_true.png"),
                         title=f"{name}: MSE {metrics['mse']:.4g}, Kendall tau {metrics['tau']:.3f}")
    return metrics


def plot_zoo_embeddings(model: nn.Module, networks: list[NetworkData], task: str, path: str, method: str = "pca",
                        device: str = "cpu") -> None:
    """``embeddings.png``: every network's embedding in 2-D, coloured by its (first) target."""
    y = torch.cat([d.y for d in networks])
    colour = y[:, 0].tolist() if task == "regression" else [str(int(v)) for v in y.view(-1).tolist()]
    plot_embeddings(embed(model, networks, device=device), path, colour, "target", method,
                    title=f"{type(unwrap(model)).__name__} embeddings of {len(networks)} networks")


def write_report(out: str, results: dict) -> str:
    """``results.json`` and a short human-readable ``report.txt``; returns the report text."""
    write_json(os.path.join(out, "results.json"), results, indent=2)
    lines = [f"{results['command']} {results['model']} on {results['data']} ({results['task']})"]
    for split, metrics in results.get("metrics", {}).items():
        lines.append(f"  {split:<6} " + "  ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
    for key in ("baseline_mse", "best_epoch", "epochs_run", "world_size", "seconds"):
        if key in results:
            lines.append(f"  {key.replace('_', ' ')}: {results[key]}")
    lines.append(f"  files: {', '.join(sorted(f for f in os.listdir(out) if not f.startswith('.')))}")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "report.txt"), "w") as f:
        f.write(text)
    return text
