r"""Paired bootstrap intervals for the difference between two models scored on the same test networks.

Model A has predictions ``[S_a, N]`` (one row per training seed) and model B ``[S_b, N]`` for the same
``N`` test networks with targets ``y [N]``. One resample draws ``N`` network indices with replacement,
*shared by both models* (the pairing: a hard network is hard for both), and, for each model on its own,
``S`` seed indices with replacement; its statistic is

.. math::
    \Delta^* = \frac{1}{S_a}\sum_{s \in \mathrm{seeds}^*_a} m(\hat y^A_s[I^*], y[I^*])
             - \frac{1}{S_b}\sum_{s \in \mathrm{seeds}^*_b} m(\hat y^B_s[I^*], y[I^*]),

and the interval is the percentile interval of :math:`\Delta^*`. An interval containing 0 is a tie.
``m`` is the MSE or Kendall's tau-b (both vectorised over resamples through draw counts), or any
``score(pred, true) -> float``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import kendalltau

Score = Callable[[np.ndarray, np.ndarray], float]
LOWER_IS_BETTER = {"mse": True, "tau": False}


@dataclass(frozen=True)
class Draws:
    """Indices of ``resamples`` bootstrap resamples: ``networks [B, N]``, ``seeds_a [B, S_a]``, ``seeds_b [B, S_b]``."""
    networks: np.ndarray
    seeds_a: np.ndarray
    seeds_b: np.ndarray

    @classmethod
    def sample(cls, rng: np.random.Generator, num_networks: int, seeds_a: int, seeds_b: int,
               resamples: int) -> "Draws":
        return cls(rng.integers(0, num_networks, (resamples, num_networks)),
                   rng.integers(0, seeds_a, (resamples, seeds_a)), rng.integers(0, seeds_b, (resamples, seeds_b)))


@dataclass(frozen=True)
class Comparison:
    """``difference`` = score(A) - score(B) on all data, its ``level`` percentile interval and the verdict:
    ``"tie"`` when the interval contains 0, else ``"better"`` / ``"worse"`` for A; ``"undefined"`` when the score
    is undefined on the data or on some resamples (Kendall's tau of constant targets: NaN)."""
    difference: float
    low: float
    high: float
    level: float
    resamples: int
    verdict: str

    def to_dict(self) -> dict:
        return asdict(self)


def mean_score(predictions: np.ndarray, targets: np.ndarray, metric: str | Score) -> float:
    """The score averaged over seeds, ``predictions [S, N]``."""
    score = _score_function(metric)
    return float(np.mean([score(row, targets) for row in predictions]))


def resampled_differences(pred_a: np.ndarray, pred_b: np.ndarray, targets: np.ndarray, draws: Draws,
                          metric: str | Score = "mse") -> np.ndarray:
    """:math:`\\Delta^*` for every resample of ``draws`` (``[B]``)."""
    pred_a, pred_b, targets = _check(pred_a, pred_b, targets)
    if metric == "mse":                       # mean over drawn seeds and networks = weights from draw counts
        net_weights = _counts(draws.networks, targets.size) / targets.size               # [B, N]
        return (_mse_term(pred_a, targets, draws.seeds_a, net_weights)
                - _mse_term(pred_b, targets, draws.seeds_b, net_weights))
    if metric == "tau":                       # Kendall's tau-b of every (resample, seed) from draw counts
        counts = _counts(draws.networks, targets.size).astype(float)                     # [B, N]
        return (_tau_term(pred_a, targets, draws.seeds_a, counts)
                - _tau_term(pred_b, targets, draws.seeds_b, counts))
    score = _score_function(metric)
    out = np.empty(len(draws.networks))
    for b, networks in enumerate(draws.networks):
        y = targets[networks]
        out[b] = (np.mean([score(pred_a[s, networks], y) for s in draws.seeds_a[b]])
                  - np.mean([score(pred_b[s, networks], y) for s in draws.seeds_b[b]]))
    return out


def paired_bootstrap(pred_a: np.ndarray, pred_b: np.ndarray, targets: np.ndarray, metric: str | Score = "mse",
                     lower_is_better: bool | None = None, resamples: int = 10_000, level: float = 0.95,
                     seed: int = 0) -> Comparison:
    """Score(A) - score(B) with its paired bootstrap interval (see the module docstring)."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    if lower_is_better is None:
        if not isinstance(metric, str) or metric not in LOWER_IS_BETTER:
            raise ValueError("say whether lower is better (lower_is_better=) for a score function")
        lower_is_better = LOWER_IS_BETTER[metric]
    pred_a, pred_b, targets = _check(pred_a, pred_b, targets)
    draws = Draws.sample(np.random.default_rng(seed), targets.size, len(pred_a), len(pred_b), resamples)
    differences = resampled_differences(pred_a, pred_b, targets, draws, metric)
    low, high = np.quantile(differences, [(1 - level) / 2, (1 + level) / 2])
    difference = mean_score(pred_a, targets, metric) - mean_score(pred_b, targets, metric)
    if not np.isfinite([difference, low, high]).all():      # e.g. Kendall's tau of constant targets
        verdict = "undefined"
    elif low <= 0 <= high:
        verdict = "tie"
    else:
        verdict = "better" if (high < 0) == lower_is_better else "worse"
    return Comparison(difference, float(low), float(high), level, resamples, verdict)


def versus_best_other(predictions: Mapping[str, np.ndarray], targets: np.ndarray, model: str = "sne",
                      metric: str = "mse", **options) -> dict:
    """``model`` against the best other model (by mean score over seeds) on the same test networks:
    ``{"model", "other", "difference", "low", "high", "verdict", ...}``; see :func:`paired_bootstrap`."""
    if model not in predictions:
        raise ValueError(f"no predictions of {model!r} (have {sorted(predictions)})")
    others = {name: mean_score(p, targets, metric) for name, p in predictions.items() if name != model}
    if not others:
        raise ValueError(f"no other model to compare {model!r} with")
    pick = min if LOWER_IS_BETTER[metric] else max
    best = pick(others, key=others.get)
    comparison = paired_bootstrap(predictions[model], predictions[best], targets, metric, **options)
    return {"model": model, "other": best, "metric": metric, **comparison.to_dict()}


# ---- helpers ------------------------------------------------------------------------
def _score_function(metric: str | Score) -> Score:
    if callable(metric):
        return metric
    if metric == "mse":
        return lambda pred, true: float(np.mean((pred - true) ** 2))
    if metric == "tau":
        return lambda pred, true: float(kendalltau(pred, true).statistic)
    raise ValueError(f"metric must be 'mse', 'tau' or a function, got {metric!r}")


def _check(pred_a, pred_b, targets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pred_a, pred_b = np.atleast_2d(np.asarray(pred_a, float)), np.atleast_2d(np.asarray(pred_b, float))
    targets = np.asarray(targets, float).reshape(-1)
    for name, pred in (("A", pred_a), ("B", pred_b)):
        if pred.ndim != 2 or pred.shape[1] != targets.size:
            raise ValueError(f"predictions of {name} must be [seeds, {targets.size}] for {targets.size} targets, "
                             f"got {list(pred.shape)}")
    return pred_a, pred_b, targets


def _counts(index: np.ndarray, size: int) -> np.ndarray:
    """``[B, size]``: how often each value occurs in each row of ``index [B, k]``."""
    rows = np.repeat(np.arange(len(index)), index.shape[1])
    return np.bincount(rows * size + index.reshape(-1), minlength=len(index) * size).reshape(len(index), size)


def _pairs(counts: np.ndarray, same: np.ndarray) -> np.ndarray:
    r"""``[B]``: pairs of the multiset of each row of ``counts`` (copies of network ``i``: ``c_i``) that
    ``same [N, N]`` marks, self-pairs excluded: :math:`\tfrac12 (c^\top M c - \sum_i c_i M_{ii})`."""
    return 0.5 * (((counts @ same) * counts).sum(1) - counts @ np.diagonal(same))


def _tau_term(pred: np.ndarray, targets: np.ndarray, seeds: np.ndarray, counts: np.ndarray) -> np.ndarray:
    r"""The mean over drawn seeds of Kendall's tau-b on each resample, without materialising it:
    with :math:`s^x_{ij} = \mathrm{sign}(x_i - x_j)` over the ``N`` distinct networks,
    :math:`C - D = \tfrac12 c^\top (s^x \circ s^y) c`, ties :math:`n_x = \tfrac12 (c^\top T^x c - n)` and
    :math:`\tau_b = (C - D) / \sqrt{(n_0 - n_x)(n_0 - n_y)}`, :math:`n_0 = n(n-1)/2` (scipy's tau-b;
    NaN where a resample holds one value only)."""
    n = counts.sum(1)
    all_pairs = n * (n - 1) / 2
    sign_y = np.sign(targets[:, None] - targets[None, :])
    tied_y = _pairs(counts, (sign_y == 0).astype(float))
    taus = np.empty((len(counts), len(pred)))                                            # [B, S]
    with np.errstate(invalid="ignore", divide="ignore"):
        for s, row in enumerate(pred):
            sign_x = np.sign(row[:, None] - row[None, :])
            concordance = _pairs(counts, sign_x * sign_y)
            tied_x = _pairs(counts, (sign_x == 0).astype(float))
            taus[:, s] = concordance / np.sqrt((all_pairs - tied_x) * (all_pairs - tied_y))
    seed_weights = _counts(seeds, len(pred)) / seeds.shape[1]                            # [B, S]
    return (seed_weights * taus).sum(1)


def _mse_term(pred: np.ndarray, targets: np.ndarray, seeds: np.ndarray, net_weights: np.ndarray) -> np.ndarray:
    errors = (pred - targets) ** 2                                                       # [S, N]
    seed_weights = _counts(seeds, len(pred)) / seeds.shape[1]                            # [B, S]
    return np.einsum("bs,sn,bn->b", seed_weights, errors, net_weights)
