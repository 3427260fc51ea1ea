"""Probing tables over classifier zoos: the properties a zoo records, every one probed alike.

A property is ``(attribute, column, task)``: a column of ``data.y`` or ``data.hparams`` (see
:data:`sne_pyg.zoos.labels.LABELS`), probed by ridge regression (R^2) or logistic
regression (accuracy) through :func:`sne_pyg.probe.linear_probe`. :func:`merge_seeds` summarises
the probes of several seeds of a learned method as ``{property: {metric: {mean, std, values}}}``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..probe import linear_probe
from ..zoos.labels import LABELS
from .seeds import mean_and_std

SPLITS = ("train", "val", "test")

# property -> (where it is stored, column, task): the zoo's labels (sne_pyg.zoos.labels), numeric ones by
# ridge regression, categorical ones by logistic regression
PROBED_LABELS = ("test_accuracy", "generalization_gap", "epoch", "log10_lr", "log10_l2", "dropout", "train_fraction",
                 "activation", "init", "optimizer")
PROPERTIES: dict[str, tuple[str, int, str]] = {
    name: (LABELS[name][0], LABELS[name][1], "regression" if LABELS[name][2] == "numeric" else "classification")
    for name in PROBED_LABELS}


def score_key(task: str) -> str:
    return "r2" if task == "regression" else "accuracy"


def properties_of(networks: Sequence, properties: dict = PROPERTIES) -> dict[str, np.ndarray]:
    """``{property: [N] values}`` of ``networks``."""
    return {name: np.array([float(getattr(d, where)[0, col]) for d in networks])
            for name, (where, col, _) in properties.items()}


def probe_all(embeddings: dict[str, np.ndarray], labels: dict[str, dict[str, np.ndarray]],
              properties: dict = PROPERTIES) -> dict[str, dict]:
    """:func:`~sne_pyg.probe.linear_probe` of one embedding (``{split: [N, d]}``) for every property;
    a property that does not vary in the training split (TETRIS-SEED's learning rate, say) is left out:
    there is nothing to predict, and R² of a constant is not defined."""
    out = {}
    for name, (_, _, task) in properties.items():
        if len(set(labels["train"][name].tolist())) < 2:
            continue
        out[name] = linear_probe(*[(embeddings[s], labels[s][name]) for s in SPLITS], task=task)
    return out


def summarise(values: list[float]) -> dict:
    """Mean and sample std of the finite ``values`` (NaN-free), with the values themselves."""
    finite = [v for v in values if v == v]
    mean, std = mean_and_std(finite) if finite else (float("nan"), 0.0)
    return {"mean": mean, "std": std, "values": values}


def merge_seeds(per_seed: list[dict]) -> dict:
    """``{property: {metric: summary}}`` over seeds of ``{"probes": probe_all(...), ...}`` results (a
    ``reconstruction_r2`` or ``reconstruction_r2_<split>`` entry every seed has is summarised too)."""
    out = {prop: {metric: summarise([run["probes"][prop][metric] for run in per_seed])
                  for metric in per_seed[0]["probes"][prop]}
           for prop in per_seed[0]["probes"]}
    for key in per_seed[0]:
        if key.startswith("reconstruction_r2") and all(key in run for run in per_seed):
            out[key] = summarise([run[key] for run in per_seed])
    return out
