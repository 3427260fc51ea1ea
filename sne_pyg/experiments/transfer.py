r"""Transfer tables: train on one zoo, score Kendall's tau on others (the paper's Tables 2, 4, 8, 9).

``results["<source>-><target>"][model] = {"tau_mean", "tau_std", "taus", "params"}``, every
entry over the same seeds. :func:`format_transfer_table` prints them with one column per model
and the averages (all pairs, and transfer pairs only, i.e. source != target); :func:`plot_transfer_matrix`
draws one source x target heat map per model.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ..data.dataset import SPLITS
from .experiment import tau_over_seeds

SEPARATOR = "->"


def pair_key(source: str, target: str) -> str:
    return f"{source}{SEPARATOR}{target}"


def split_key(key: str) -> tuple[str, str]:
    source, target = key.split(SEPARATOR)
    return source, target


def transfer_results(models: Sequence[str], sources: dict[str, tuple[list, list]],
                     tests_for: Callable[[str], dict[str, list]], seeds: int = 3, hidden: int = 32,
                     epochs: int = 30, progress: bool = False, model_options: dict[str, dict] | None = None
                     ) -> tuple[dict[str, dict[str, dict]], dict[str, dict[str, str]]]:
    """Every model trained on every source (``sources[name] = (train, val)``), over ``seeds`` seeds,
    scored on ``tests_for(source)`` (``{target name: networks}``); ``model_options[model]`` go to
    its constructor. Returns ``(results, unsupported)``: a pair a model cannot read (e.g. NeuralGraph
    on attention layers) is left out of ``results[pair]`` and its reason is ``unsupported[pair][model]``."""
    results: dict[str, dict[str, dict]] = {}
    unsupported: dict[str, dict[str, str]] = {}
    for source, (train, val) in sources.items():
        tests = tests_for(source)
        for model in models:
            scored = tau_over_seeds(model, train, val, tests, seeds, hidden, epochs, progress=progress,
                                    model_options=(model_options or {}).get(model))
            for target in tests:
                key = pair_key(source, target)
                entry = results.setdefault(key, {})
                if "unsupported" in scored[target]:
                    unsupported.setdefault(key, {})[model] = scored[target]["unsupported"]
                else:
                    entry[model] = dict(scored[target], params=scored["params"])
    return results, unsupported


def model_options_for(models: Sequence[str], zoos: dict[str, dict[str, list]]) -> dict[str, dict]:
    """Constructor settings that depend on every zoo of the table: NeuralGraph pads kernels to the
    widest one it will read (``max_kernel``), so one model reads all zoos."""
    from ..data.neural_graph import largest_kernel
    if "neural_graph" not in models:
        return {}
    networks = [net for splits in zoos.values() for part in splits.values() for net in part]
    return {"neural_graph": {"max_kernel": max(9, largest_kernel(networks))}}


def average_tau(results: dict[str, dict[str, dict]], model: str, transfer_only: bool = False) -> float:
    """Mean of ``tau_mean`` over the pairs (``transfer_only``: pairs whose source and target differ)."""
    values = [entry[model]["tau_mean"] for key, entry in results.items()
              if model in entry and not (transfer_only and len(set(split_key(key))) == 1)]
    finite = [v for v in values if not math.isnan(v)]   # an undefined tau (a one-network test set) is left out
    return float(np.mean(finite)) if finite else math.nan


def format_transfer_table(results: dict[str, dict[str, dict]], models: Sequence[str], title: str = "") -> str:
    """Rows ``source->target``, one ``tau mean +- std`` column per model, then the two averages."""
    width = 18
    lines = [title] if title else []
    lines.append(f"{'pair':<24}" + "".join(f"{m:>{width}}" for m in models))
    for key, entry in results.items():
        cells = (f"{entry[m]['tau_mean']:.3f} +- {entry[m]['tau_std']:.3f}" if m in entry else "n/a" for m in models)
        lines.append(f"{key:<24}" + "".join(f"{c:>{width}}" for c in cells))
    for label, transfer_only in (("average", False), ("average (transfer)", True)):
        lines.append(f"{label:<24}" + "".join(f"{average_tau(results, m, transfer_only):>{width}.3f}" for m in models))
    return "\n".join(lines)


def plot_transfer_matrix(results: dict[str, dict[str, dict]], models: Sequence[str], path: str,
                         title: str = "") -> None:
    """One heat map of mean tau per model, rows = source, columns = target."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = [split_key(k) for k in results]
    sources = list(dict.fromkeys(s for s, _ in pairs))
    targets = list(dict.fromkeys(t for _, t in pairs))
    fig, axes = plt.subplots(1, len(models), figsize=(1.2 + 0.9 * len(targets) * len(models), 1.4 + 0.7 * len(sources)),
                             squeeze=False)
    for ax, model in zip(axes[0], models):
        grid = np.full((len(sources), len(targets)), np.nan)
        for key, entry in results.items():
            s, t = split_key(key)
            if model in entry:
                grid[sources.index(s), targets.index(t)] = entry[model]["tau_mean"]
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
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_transfer_report(results: dict[str, dict[str, dict]], models: Sequence[str], out: str, title: str,
                          unsupported: dict[str, dict[str, str]] | None = None) -> None:
    """``out/results.json``, ``out/average.json`` (both averages per model), ``out/transfer.png`` and,
    when some pairs could not be read, ``out/unsupported.json``; prints the table."""
    import json
    import os

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    averages = {m: {"average": average_tau(results, m), "average_transfer": average_tau(results, m, True)}
                for m in models}
    with open(os.path.join(out, "average.json"), "w") as f:
        json.dump(averages, f, indent=2)
    plot_transfer_matrix(results, models, os.path.join(out, "transfer.png"), title)
    print("\n" + format_transfer_table(results, models, title))
    if unsupported:
        with open(os.path.join(out, "unsupported.json"), "w") as f:
            json.dump(unsupported, f, indent=2)
        for key, reasons in unsupported.items():
            for model, reason in reasons.items():
                print(f"n/a: {model} on {key}: {reason}")


def held_out_tests(zoos: dict[str, dict[str, list]], source: str, targets: Sequence[str]) -> dict[str, list]:
    """The test sets of a model trained on ``source``: its own zoo's test split, and every network of
    each other target zoo (none of them was seen in training)."""
    return {target: zoos[target]["test"] if target == source else [n for split in SPLITS for n in zoos[target][split]]
            for target in targets}


def transfer_experiment(args, zoos: dict[str, dict[str, list]], sources: Sequence[str], targets: Sequence[str],
                        title: str) -> dict[str, dict[str, dict]]:
    """What the cross-dataset and cross-architecture examples run: every model of ``args.models`` (a list)
    trained on each of ``sources`` (its zoo's train/val splits) and scored on :func:`held_out_tests` of
    ``targets``, with the report written to ``args.out``."""
    models = args.models

    def tests_for(source: str) -> dict[str, list]:
        return held_out_tests(zoos, source, targets)
    results, unsupported = transfer_results(models, {s: (zoos[s]["train"], zoos[s]["val"]) for s in sources},
                                            tests_for, args.seeds, args.hidden, args.epochs,
                                            progress=not args.no_progress, model_options=model_options_for(models, zoos))
    title += f", target {args.target}, Kendall tau over {args.seeds} seeds ({args.size} runs x 2 checkpoints per zoo)"
    write_transfer_report(results, models, args.out, title, unsupported)
    return results
