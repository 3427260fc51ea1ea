"""SNE's levers on a classifier zoo: each change to SNE's default recipe against that recipe, paired.

A lever is a list of extra command-line words for ``examples/accuracy_prediction.py`` (a width, a model option,
a chunk size, a training option); :data:`LEVERS` holds the ones the papers and peers use. Every lever of a study
trains on the same zoo, so lever and baseline predict the same test networks, and :func:`compare_to_baseline`
scores the difference of Kendall's tau with the paired bootstrap of :mod:`~sne_pyg.experiments.bootstrap`
(networks and seeds resampled; an interval containing 0 is a tie).
"""
from __future__ import annotations

import numpy as np

from .bootstrap import paired_bootstrap

BASELINE = "baseline"

LEVERS: dict[str, list[str]] = {
    BASELINE: [],
    "hidden64": ["--hidden", "64"],                                     # width of every set function
    "heads1": ["--model-option", "sne.heads=1"],                        # one 32-dim head instead of four 8-dim ones
    "depth1": ["--model-option", "sne.chunk_blocks=1", "--model-option", "sne.layer_blocks=1",
               "--model-option", "sne.network_blocks=1"],
    "depth3": ["--model-option", "sne.chunk_blocks=3", "--model-option", "sne.layer_blocks=3",
               "--model-option", "sne.network_blocks=3"],
    "chunk16": ["--chunk-size", "16"],
    "mean_pooling": ["--model-option", "sne.set_function=mean"],        # Table 6's mean-pooling ablation
    "positions": ["--model-option", "sne.element_positions=chunk"],     # each element's place in its chunk
    "context": ["--model-option", "sne.neuron_context=true"],           # each element's neuron statistics
    "epochs30": ["--epochs", "30"],                                     # schedule
    "lr3e-4": ["--train-option", "lr=3e-4"],
    "lr3e-3": ["--train-option", "lr=3e-3"],
    "augment": ["--train-option", "augment=true"],                      # a derived permutation per network per batch
    "li0.1": ["--train-option", "li_weight=0.1"],                       # Logit Invariance
    "standardise": ["--input-norm", "entry"],                           # every entry z-scored (training statistics)
}


def parse_levers(text: str) -> list[str]:
    """``"hidden64,heads1"`` -> the levers, each one of :data:`LEVERS` (``"all"``: every lever); the baseline
    always comes first."""
    names = list(LEVERS) if text == "all" else [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in LEVERS]
    if unknown:
        raise ValueError(f"unknown lever(s) {unknown}; known: {', '.join(LEVERS)}")
    return [BASELINE] + [n for n in dict.fromkeys(names) if n != BASELINE]


def compare_to_baseline(results: dict[str, dict], resamples: int = 2000) -> dict[str, dict]:
    """``{lever: {"tau_mean", "taus", "params", "difference", "low", "high", "verdict"}}`` of every lever
    against :data:`BASELINE` (``results``: ``{lever: accuracy_prediction's SNE entry}``, with ``predictions
    [S, N]`` and ``targets [N]``). Lever and baseline must have predicted the same test networks."""
    base = results[BASELINE]
    targets = np.asarray(base["targets"])
    out = {}
    for name, entry in results.items():
        row = {key: entry[key] for key in ("tau_mean", "tau_std", "taus", "params")}
        if name != BASELINE:
            if not np.array_equal(np.asarray(entry["targets"]), targets):
                raise ValueError(f"lever {name!r} was scored on other test networks than the baseline")
            row.update(paired_bootstrap(np.asarray(entry["predictions"]), np.asarray(base["predictions"]), targets,
                                        "tau", resamples=resamples).to_dict())
        out[name] = row
    return out
