"""The probing table helpers: every varying property probed alike, seeds merged, NaN left out of means."""
import math

import numpy as np
import pytest

from sne_pyg.experiments.probing import merge_seeds, probe_all, summarise
from sne_pyg.probe import linear_probe

PROPS = {"acc": ("y", 0, "regression"), "lr": ("hparams", 0, "regression"), "act": ("hparams", 1, "classification")}


def _data(seed: int):
    rng = np.random.default_rng(seed)
    z = {s: rng.normal(size=(n, 3)) for s, n in (("train", 40), ("val", 20), ("test", 20))}
    labels = {s: {"acc": v @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=len(v)),
                  "lr": np.full(len(v), -3.0),                             # constant: TETRIS-SEED's learning rate
                  "act": (v[:, 0] > 0).astype(float)} for s, v in z.items()}
    return z, labels


def test_probe_all_equals_linear_probe_and_leaves_out_constant_properties():
    z, labels = _data(0)
    out = probe_all(z, labels, PROPS)
    assert set(out) == {"acc", "act"}                                # "lr" never varies: nothing to predict
    direct = linear_probe(*[(z[s], labels[s]["acc"]) for s in ("train", "val", "test")])
    assert out["acc"] == direct and out["acc"]["r2"] > 0.9
    direct = linear_probe(*[(z[s], labels[s]["act"]) for s in ("train", "val", "test")], task="classification")
    assert out["act"] == direct


def test_merge_seeds_summarises_each_metric_and_reconstruction():
    runs = [{"probes": {"acc": {"r2": r, "alpha": 1.0}}, "reconstruction_r2": 2 * r} for r in (0.2, 0.4, 0.9)]
    merged = merge_seeds(runs)
    assert merged["acc"]["r2"]["mean"] == pytest.approx(0.5)
    assert merged["acc"]["r2"]["std"] == pytest.approx(np.std([0.2, 0.4, 0.9], ddof=1))
    assert merged["acc"]["r2"]["values"] == [0.2, 0.4, 0.9]
    assert merged["reconstruction_r2"]["mean"] == pytest.approx(1.0)


def test_summarise_leaves_nan_out_of_the_mean_but_keeps_it_in_the_values():
    s = summarise([1.0, float("nan"), 3.0])
    assert s["mean"] == pytest.approx(2.0) and len(s["values"]) == 3 and math.isnan(s["values"][1])
    assert math.isnan(summarise([float("nan")])["mean"])
