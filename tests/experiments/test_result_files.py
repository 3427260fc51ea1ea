"""The result files behind README claims agree with themselves: kept predictions give the table's numbers."""
import json
import os

import numpy as np
import pytest

from sne_pyg.experiments.bootstrap import versus_best_other

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_table1_numbers_follow_from_the_kept_predictions():
    with open(os.path.join(ROOT, "docs", "results", "inr_frequency.json")) as f:
        result = json.load(f)
    targets = np.array(result["test_targets"])
    predictions = {m: np.array(p) for m, p in result["test_predictions"].items()}
    assert set(predictions) == set(result["results"]) and len(targets) == result["zoo"]["test"]
    for model, row in result["results"].items():
        per_seed = ((predictions[model] - targets) ** 2).mean(1)          # predictions rounded to 1e-6
        np.testing.assert_allclose(per_seed, result["per_seed"][model]["mse"], rtol=1e-4, atol=1e-6)
        assert row["mse_mean"] == pytest.approx(per_seed.mean(), rel=1e-4)
    versus = result["sne_vs_best"]
    again = versus_best_other(predictions, targets, "sne", "mse", resamples=versus["resamples"])
    assert again["other"] == versus["other"] and again["verdict"] == versus["verdict"]
    for key in ("difference", "low", "high"):
        assert again[key] == pytest.approx(versus[key], abs=1e-4)
