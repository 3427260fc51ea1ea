import numpy as np
import pytest
from scipy.stats import kendalltau

from sne_pyg.experiments.levers import BASELINE, LEVERS, compare_to_baseline, parse_levers


def entry(predictions, targets):
    taus = [kendalltau(p, targets).statistic for p in predictions]
    return {"tau_mean": float(np.mean(taus)), "tau_std": float(np.std(taus)), "taus": taus, "params": 10,
            "predictions": [list(p) for p in predictions], "targets": list(targets)}


def test_parse_levers_puts_the_baseline_first_once_and_refuses_unknown_ones():
    assert parse_levers("heads1,hidden64,heads1,baseline") == [BASELINE, "heads1", "hidden64"]
    assert parse_levers("all") == list(LEVERS)
    with pytest.raises(ValueError, match="unknown lever"):
        parse_levers("heads1,wider")


def test_every_lever_is_a_valid_accuracy_prediction_option():
    from tests.builders import load_script
    parse = load_script("examples/accuracy_prediction.py").parse_args
    default = vars(parse([]))
    for name, words in LEVERS.items():
        changed = {k for k, v in vars(parse(words)).items() if v != default[k]}      # SystemExit on a bad option
        flags = {w.lstrip("-").replace("-", "_") for w in words[::2]}
        assert changed == {"model_options" if f == "model_option" else "train_options" if f == "train_option"
                           else f for f in flags}, name


def test_a_lever_that_ranks_perfectly_beats_a_noisy_baseline_paired():
    rng = np.random.default_rng(0)
    targets = rng.normal(size=60)
    noisy = [targets + rng.normal(scale=1.0, size=60) for _ in range(2)]
    rows = compare_to_baseline({BASELINE: entry(noisy, targets), "exact": entry([targets, targets], targets),
                                "same": entry(noisy, targets)}, resamples=500)
    assert rows["exact"]["tau_mean"] == pytest.approx(1.0)
    assert rows["exact"]["difference"] == pytest.approx(1.0 - rows[BASELINE]["tau_mean"])
    assert rows["exact"]["verdict"] == "better" and rows["exact"]["low"] > 0
    assert rows["same"]["difference"] == 0 and rows["same"]["verdict"] == "tie"   # identical predictions
    assert "verdict" not in rows[BASELINE]
    with pytest.raises(ValueError, match="other test networks"):
        compare_to_baseline({BASELINE: entry(noisy, targets), "moved": entry(noisy, targets[::-1])})
