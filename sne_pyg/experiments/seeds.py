"""One model trained over several seeds and scored by Kendall's tau: the unit of every table."""
from __future__ import annotations

from collections.abc import Callable

import statistics

import numpy as np
from torch import nn

from ..nn import build_model
from .bootstrap import versus_best_other
from ..train.loop import (TargetScaler, TrainConfig, fit, metrics_of, predict, prepare_dataset, seed_everything,
                          targets_of)


def mean_and_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation of per-seed scores (std 0 for a single seed)."""
    values = list(values)
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def tau_over_seeds(name: str, train, val, tests: dict[str, list], seeds: int = 3, hidden: int = 32,
                   epochs: int = 30, batch_size: int = 32, lr: float = 1e-3, progress: bool = False,
                   on_trained: Callable[[int, nn.Module], None] | None = None,
                   model_options: dict | None = None) -> dict:
    """Train ``name`` on ``train`` (model selection on ``val``) once per seed and score Kendall's
    tau of its first output on each of ``tests``; returns ``{test: {"tau_mean", "tau_std", "taus",
    "predictions" (per seed, first output, test order), "targets"}}`` plus ``"params"``. ``on_trained(seed, model)`` is called with each trained model; ``model_options``
    go to :func:`~sne_pyg.nn.build_model`. A test set the model cannot read (its view raises
    ``ValueError``, e.g. NeuralGraph on attention layers, or the model itself does, e.g. a one-architecture
    model such as HyperRep or NFN on an unseen architecture) is reported as ``{"unsupported": reason}``."""
    scaler = TargetScaler(targets_of(train))
    taus: dict[str, list[float]] = {key: [] for key in tests}
    predictions: dict[str, list[list[float]]] = {key: [] for key in tests}
    targets: dict[str, list[float]] = {}
    params, prepared, unsupported = 0, None, {}
    for seed in range(seeds):
        seed_everything(seed)                # the initial weights depend on the seed alone
        model = build_model(name, hidden=hidden, out_dim=train[0].y.size(-1), **(model_options or {}))
        if prepared is None:                 # a model's view (e.g. NeuralGraph's graphs) does not depend on its weights
            prepared = (prepare_dataset(model, train), prepare_dataset(model, val), _test_views(model, tests))
        train_view, val_view, (test_views, unsupported) = prepared
        config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                             patience=max(epochs // 3, 3), progress=progress)
        fit(model, train_view, val_view, config, scaler)
        for key, view in test_views.items():
            if key in unsupported:
                continue
            try:
                out, true = predict(model, view, scaler=scaler)
            except ValueError as error:      # e.g. a one-architecture model (HyperRep, NFN) on another one
                unsupported[key] = str(error)
                continue
            taus[key].append(metrics_of(out, true)["tau"])
            predictions[key].append(out[:, 0].tolist())
            targets[key] = true[:, 0].tolist()
        if on_trained is not None:
            on_trained(seed, model)
        params = sum(p.numel() for p in model.parameters())
    # numpy keeps an undefined tau (a test set of one network) as NaN where statistics.stdev raises
    out = {key: {"tau_mean": float(np.mean(v)), "tau_std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, "taus": v,
                 "predictions": predictions[key], "targets": targets[key]}
           for key, v in taus.items() if key not in unsupported}
    out.update({key: {"unsupported": reason} for key, reason in unsupported.items()})
    out["params"] = params
    return out


def sne_versus_best(entries: dict[str, dict], resamples: int = 2000) -> dict | None:
    """SNE against the best other model of one table row (``{model: tau_over_seeds entry}``) by Kendall's tau,
    with the paired bootstrap of :mod:`~sne_pyg.experiments.bootstrap`; ``None`` without SNE or another model."""
    with_predictions = {m: e for m, e in entries.items() if "predictions" in e}
    if "sne" not in with_predictions or len(with_predictions) < 2:
        return None
    targets = np.asarray(with_predictions["sne"]["targets"])
    if targets.size < 3:                     # Kendall's tau needs pairs to rank
        return None
    return versus_best_other({m: np.asarray(e["predictions"]) for m, e in with_predictions.items()}, targets,
                             "sne", "tau", resamples=resamples)


def _test_views(model: nn.Module, tests: dict[str, list]) -> tuple[dict[str, list], dict[str, str]]:
    """The model's view of every test set it can read, and why it cannot read the others."""
    views, unsupported = {}, {}
    for key, part in tests.items():
        try:
            views[key] = prepare_dataset(model, part)
        except ValueError as error:
            unsupported[key] = str(error)
    return views, unsupported
