"""PNG plots of runs (matplotlib, headless)."""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import Tensor  # noqa: E402


def save_figure(fig, path: str, **layout) -> None:
    """Lay out ``fig`` (``tight_layout(**layout)``), write it to ``path`` at 120 dpi and free it."""
    fig.tight_layout(**layout)
    fig.savefig(path, dpi=120)
    plt.close(fig)


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
    save_figure(fig, path)


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
    save_figure(fig, path)


def plot_learning_curves(histories: dict[str, list[list[dict]]], path: str, title: str = "") -> None:
    """Training loss and validation MSE per epoch, one line per (model, seed), a colour per model:
    ``histories[model][seed]`` is :attr:`~sne_pyg.train.TrainResult.history`."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for colour, (model, runs) in zip(plt.rcParams["axes.prop_cycle"].by_key()["color"], histories.items()):
        for seed, history in enumerate(runs):
            epochs = [h["epoch"] for h in history]
            label = model if seed == 0 else None
            left.plot(epochs, [h["train_loss"] for h in history], color=colour, alpha=0.8, label=label)
            right.plot(epochs, [h["val_mse"] for h in history], color=colour, alpha=0.8, label=label)
    for ax, name in ((left, "training loss (standardised targets)"), (right, "validation MSE")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_yscale("log")
        ax.legend()
    if title:
        fig.suptitle(title)
    save_figure(fig, path)


def plot_reconstruction_curves(curves: dict[str, list[dict[str, list[float]]]], references: dict[str, float],
                               path: str, title: str = "") -> None:
    """Reconstruction :math:`R^2` per epoch of each recipe: ``curves[recipe]`` is one ``{split: [R² per epoch]}``
    per seed (training split dashed, validation solid); ``references[name]``, e.g. PCA's per split, dotted."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for colour, (recipe, runs) in zip(plt.cm.tab10.colors, curves.items()):
        for i, run in enumerate(runs):
            for split, style in (("train", "--"), ("val", "-")):
                if split in run:
                    ax.plot(range(len(run[split])), run[split], style, color=colour, linewidth=1.3,
                            label=f"{recipe} ({split})" if i == 0 else None)
    for name, value in references.items():
        ax.axhline(value, color="grey", linestyle=":", linewidth=1)
        ax.annotate(name, (0, value), color="grey", fontsize=8, va="bottom")
    ax.set_xlabel("epoch")
    ax.set_ylabel("reconstruction R²")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="best")
    save_figure(fig, path)


def project_2d(embeddings: Tensor, method: str = "pca", seed: int = 0) -> Tensor:
    """``[N, d]`` -> ``[N, 2]``: principal components, or scikit-learn's t-SNE (``method="tsne"``)."""
    x = embeddings.double()
    x = x - x.mean(0)
    if method == "pca" or x.size(0) < 5:
        _, _, v = torch.linalg.svd(x, full_matrices=False)
        out = x @ v[:2].T
        return torch.cat([out, out.new_zeros(out.size(0), 2 - out.size(1))], 1) if out.size(1) < 2 else out
    if method != "tsne":
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
    from sklearn.manifold import TSNE   # here: importing it costs 4.0 s, which every CLI start would pay
    perplexity = float(min(30, max(2, (x.size(0) - 1) // 3)))
    return torch.from_numpy(TSNE(2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(x.numpy()))


def _scatter(ax, fig, points: Tensor, colour, colour_label: str) -> None:
    """Points coloured by a number (colour bar) or a category (legend)."""
    categorical = colour is not None and len(colour) and isinstance(colour[0], str)
    if categorical:
        for name in sorted(set(colour)):
            keep = [i for i, c in enumerate(colour) if c == name]
            ax.scatter(points[keep, 0], points[keep, 1], s=12, alpha=0.8, label=name)
        ax.legend(fontsize=8, title=colour_label or None, markerscale=1.5)
    else:
        values = None if colour is None else [float(c) for c in colour]
        sc = ax.scatter(points[:, 0], points[:, 1], c=values, s=12, alpha=0.8, cmap="viridis")
        if values is not None:
            fig.colorbar(sc, ax=ax, label=colour_label)


def plot_embeddings(embeddings: Tensor, path: str, colour=None, colour_label: str = "", method: str = "pca",
                    title: str = "") -> None:
    """2-D projection of one embedding per network, coloured by a number (colour bar) or a category (legend)."""
    plot_embedding_panels(embeddings, path, {colour_label: colour}, method, title)


def plot_embedding_panels(embeddings: Tensor, path: str, colourings: dict[str, list | None], method: str = "pca",
                          title: str = "") -> Tensor:
    """One 2-D projection of the embeddings, drawn once per colouring (``{label: colours}``) side by side;
    returns the projected points."""
    points = project_2d(embeddings, method)
    fig, axes = plt.subplots(1, len(colourings), figsize=(6 * len(colourings), 5), squeeze=False)
    for ax, (label, colour) in zip(axes[0], colourings.items()):
        _scatter(ax, fig, points, colour, label)
        ax.set_xlabel(f"{method.upper()} 1")
        ax.set_ylabel(f"{method.upper()} 2")
        ax.set_title(f"{title} ({label})" if title and len(colourings) > 1 and label else title, fontsize=9)
    save_figure(fig, path)
    return points


def plot_transfer_matrix(cells: dict[tuple[str, str], dict[str, float]], models: Sequence[str], path: str,
                         title: str = "") -> None:
    """One heat map per model of ``cells[(source, target)][model]`` (a mean tau), rows = source, columns = target."""
    pairs = list(cells)
    sources = list(dict.fromkeys(s for s, _ in pairs))
    targets = list(dict.fromkeys(t for _, t in pairs))
    fig, axes = plt.subplots(1, len(models), figsize=(1.2 + 0.9 * len(targets) * len(models), 1.4 + 0.7 * len(sources)),
                             squeeze=False)
    for ax, model in zip(axes[0], models):
        grid = np.full((len(sources), len(targets)), np.nan)
        for (s, t), entry in cells.items():
            if model in entry:
                grid[sources.index(s), targets.index(t)] = entry[model]
        ax.imshow(grid, vmin=-1, vmax=1, cmap="RdBu")
        for (i, j), value in np.ndenumerate(grid):
            if not np.isnan(value):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
        ax.set_xticks(range(len(targets)), targets, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(sources)), sources, fontsize=8)
        ax.set_title(model, fontsize=9)
        ax.set_xlabel("test zoo", fontsize=8)
    axes[0][0].set_ylabel("train zoo", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    save_figure(fig, path)


def plot_tuning_history(studies: dict[str, dict], path: str, title: str = "") -> None:
    """Validation MSE of every trial of each model's tuning (``studies[model]`` is ``OUT/<model>.json`` of
    ``examples/tune.py``): finished trials as dots, pruned ones as crosses at the value they were stopped at,
    and the best so far as a step line, a colour per model."""
    from .experiments.tuning import best_so_far
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for colour, (model, study) in zip(plt.rcParams["axes.prop_cycle"].by_key()["color"], studies.items()):
        trials = sorted(study["trials"], key=lambda t: t["number"])
        finished = [t for t in trials if t["val_mse"] is not None]
        stopped = [t for t in trials if t["val_mse"] is None and t.get("stopped_val_mse") is not None]
        ax.scatter([t["number"] for t in finished], [t["val_mse"] for t in finished], color=colour, s=18)
        ax.scatter([t["number"] for t in stopped], [t["stopped_val_mse"] for t in stopped], color=colour,
                   marker="x", s=24)
        best = best_so_far(trials)
        numbers = [t["number"] for t, b in zip(trials, best) if b is not None]
        ax.step(numbers, [b for b in best if b is not None], where="post", color=colour,
                label=f"{model} (best {study['best_val_mse']:.3g})")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial (x: stopped by the pruner, at its last validation MSE)")
    ax.set_ylabel("validation MSE")
    ax.set_yscale("log")
    ax.legend()
    if title:
        fig.suptitle(title)
    save_figure(fig, path)
