"""PNG plots of runs (matplotlib, headless)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from torch import Tensor  # noqa: E402


def plot_predictions(true: Tensor, pred: Tensor, path: str, title: str = "", label: str = "target") -> None:
    """Scatter of predicted vs true values with the identity line."""
    t, p = true.flatten().tolist(), pred.flatten().tolist()
    low, high = min(t + p), max(t + p)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=1, label="ideal")
    ax.scatter(t, p, s=14, alpha=0.7)
    ax.set_xlabel(f"true {label}")
    ax.set_ylabel(f"predicted {label}")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_training_curve(history: list[dict], path: str) -> None:
    """Training loss and validation MSE (regression) or loss (classification) per epoch."""
    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, [h["train_loss"] for h in history], color="tab:blue")
    ax.set_xlabel("epoch")
    ax.set_ylabel("train loss (standardised targets)", color="tab:blue")
    ax.set_yscale("log")
    ax2 = ax.twinx()
    key = "val_mse" if "val_mse" in history[0] else "val_loss"
    ax2.plot(epochs, [h[key] for h in history], color="tab:orange")
    ax2.set_ylabel("validation " + ("MSE" if key == "val_mse" else "loss"), color="tab:orange")
    ax2.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
