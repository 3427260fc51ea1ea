"""Paired bootstrap: the vectorised MSE path against explicit resampling, known answers and coverage."""
import numpy as np
import pytest
from scipy.stats import kendalltau

from sne_pyg.experiments.bootstrap import Draws, paired_bootstrap, resampled_differences, versus_best_other


def explicit_difference(pred_a, pred_b, y, networks, seeds_a, seeds_b, score):
    """One resample computed the slow, obvious way: gather rows, score each drawn seed, average."""
    a = [score(pred_a[s][networks], y[networks]) for s in seeds_a]
    b = [score(pred_b[s][networks], y[networks]) for s in seeds_b]
    return sum(a) / len(a) - sum(b) / len(b)


def mse(pred, true):
    return float(((pred - true) ** 2).mean())


@pytest.fixture
def predictions():
    rng = np.random.default_rng(0)
    y = rng.normal(size=40)
    return y + rng.normal(size=(3, 40)), y + 1.3 * rng.normal(size=(2, 40)), y


@pytest.mark.parametrize("metric", ["mse", "tau"])
def test_every_resample_equals_explicit_resampling(predictions, metric):
    pred_a, pred_b, y = predictions
    draws = Draws.sample(np.random.default_rng(1), y.size, 3, 2, 50)
    fast = resampled_differences(pred_a, pred_b, y, draws, metric)
    score = mse if metric == "mse" else (lambda p, t: kendalltau(p, t).statistic)
    slow = [explicit_difference(pred_a, pred_b, y, n, sa, sb, score)
            for n, sa, sb in zip(draws.networks, draws.seeds_a, draws.seeds_b)]
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12)


def test_tau_with_ties_equals_scipy_on_every_resample():
    """Rounded predictions and targets tie often (and duplicated networks always): tau-b's corrections."""
    rng = np.random.default_rng(3)
    y = np.round(rng.normal(size=25), 1)
    pred_a, pred_b = np.round(y + rng.normal(size=(3, 25)), 0), np.round(y + rng.normal(size=(2, 25)), 1)
    draws = Draws.sample(np.random.default_rng(4), y.size, 3, 2, 80)
    fast = resampled_differences(pred_a, pred_b, y, draws, "tau")
    slow = [explicit_difference(pred_a, pred_b, y, n, sa, sb, lambda p, t: kendalltau(p, t).statistic)
            for n, sa, sb in zip(draws.networks, draws.seeds_a, draws.seeds_b)]
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12)
    constant = resampled_differences(np.zeros((1, 25)), pred_b, y, draws, "tau")     # tau of a constant: NaN
    assert np.isnan(constant).all()


def test_networks_are_paired_across_models():
    """B = A + 1 on every network: with shared network draws every resample differs by exactly the same."""
    rng = np.random.default_rng(2)
    y = rng.normal(size=30)
    pred_a = y + rng.normal(size=(1, 30))
    result = paired_bootstrap(pred_a + 0.0, pred_a + 0.0, y, "mse", resamples=200)
    assert result.low == result.high == result.difference == 0.0 and result.verdict == "tie"
    # a constant squared-error gap of 0.25 on every network (errors 0.5 vs 0): no spread at all
    result = paired_bootstrap(y[None] + 0.5, y[None] + 0.0, y, "mse", resamples=200)
    assert result.low == pytest.approx(0.25) and result.high == pytest.approx(0.25)
    assert result.verdict == "worse"                                          # A has the higher MSE


def test_verdicts_follow_the_direction_of_the_metric(predictions):
    pred_a, pred_b, y = predictions
    better = paired_bootstrap(y[None] + 0.01 * pred_a, pred_b, y, "mse", resamples=500)
    assert better.high < 0 and better.verdict == "better"
    tau_better = paired_bootstrap(y[None] + 0.01 * pred_a, pred_b, y, "tau", resamples=200)
    assert tau_better.low > 0 and tau_better.verdict == "better"              # higher tau is better


def test_an_undefined_score_gives_an_undefined_verdict_not_a_winner(predictions):
    """Kendall's tau of constant targets is NaN on every resample; a tiny test set with one distinct pair is NaN on
    the resamples that draw only tied targets. Neither is a win for anyone (NaN compares false with 0)."""
    pred_a, pred_b, y = predictions
    constant = paired_bootstrap(pred_a, pred_b, np.ones_like(y), "tau", resamples=200)
    assert np.isnan(constant.difference) and constant.verdict == "undefined"
    tiny = np.array([0.0, 0.0, 1.0])
    some = paired_bootstrap(np.array([[0.1, 0.2, 0.9]]), np.array([[0.3, 0.2, 0.1]]), tiny, "tau", resamples=200)
    assert np.isfinite(some.difference) and np.isnan(some.low) and some.verdict == "undefined"


def test_interval_covers_the_true_difference_at_its_level():
    """Errors N(0, 1) vs N(0, 1.5): the MSE gap is -0.5 in expectation; 95% intervals cover it ~95% of the time."""
    rng = np.random.default_rng(3)
    covered = 0
    trials = 200
    for trial in range(trials):
        y = rng.normal(size=100)
        pred_a = y + rng.normal(size=(3, 100))
        pred_b = y + np.sqrt(1.5) * rng.normal(size=(3, 100))
        result = paired_bootstrap(pred_a, pred_b, y, "mse", resamples=1000, seed=trial)
        covered += result.low <= -0.5 <= result.high
    assert 0.88 <= covered / trials <= 0.99


def test_best_other_model_is_chosen_by_mean_score(predictions):
    pred_a, pred_b, y = predictions
    worst = y + 3.0 * np.random.default_rng(4).normal(size=(3, 40))
    out = versus_best_other({"sne": pred_a, "dwsnet": pred_b, "flat_mlp": worst}, y, "sne", resamples=300)
    assert out["other"] == "dwsnet"
    out = versus_best_other({"sne": pred_b, "dwsnet": pred_a, "flat_mlp": worst}, y, "sne", "tau", resamples=100)
    assert out["other"] == "dwsnet"


def test_bad_input_is_refused_with_the_shapes(predictions):
    pred_a, pred_b, y = predictions
    with pytest.raises(ValueError, match=r"\[seeds, 40\]"):
        paired_bootstrap(pred_a[:, :39], pred_b, y)
    with pytest.raises(ValueError, match="level"):
        paired_bootstrap(pred_a, pred_b, y, level=1.5)
    with pytest.raises(ValueError, match="lower_is_better"):
        paired_bootstrap(pred_a, pred_b, y, metric=mse)
    with pytest.raises(ValueError, match="no predictions of 'sne'"):
        versus_best_other({"dwsnet": pred_b}, y)
