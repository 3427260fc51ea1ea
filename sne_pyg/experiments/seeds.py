"""One model trained over several seeds and scored by Kendall's tau: the unit of every table."""
from __future__ import annotations

from collections.abc import Callable

import statistics

import numpy as np
from torch import nn

from ..nn import build_model
from .bootstrap import versus_best_other
from ..nn.registry import with_revision
from .cache import cached_all, checkpoint_path, result_path
from .regression import training_config
from ..train.loop import (TargetScaler, TrainConfig, fit, metrics_of, predict, prepare_dataset, seed_everything,
                          targets_of)


def mean_and_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation of per-seed scores (std 0 for a single seed)."""
    values = list(values)
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def tau_over_seeds(name: str, train, val, tests: dict[str, list], seeds: int = 3, hidden: int = 32,
                   epochs: int = 30, batch_size: int = 32, lr: float = 1e-3, progress: bool = False, *,
                   weight_decay: float = TrainConfig.weight_decay, augment: bool = False, li_weight: float = 0.0,
                   on_trained: Callable[[int, nn.Module], None] | None = None,
                   model_options: dict | None = None, cache: tuple[str, str, dict] | None = None) -> dict:
    """Train ``name`` on ``train`` (model selection on ``val``) once per seed and score Kendall's
    tau of its first output on each of ``tests``; returns ``{test: {"tau_mean", "tau_std", "taus",
    "predictions" (per seed, first output, test order), "targets"}}`` plus ``"params"``.

    ``weight_decay``, ``augment`` (a random derived permutation of every network in every batch) and
    ``li_weight`` (Logit Invariance) complete the recipe (the settings :mod:`~sne_pyg.experiments.tuning` tunes).
    ``on_trained(seed, model)`` is called with each model trained in this call; ``model_options`` go to
    :func:`~sne_pyg.nn.build_model`. A test set the model cannot read (its view raises ``ValueError``, e.g.
    NeuralGraph on attention layers, or the model itself does, e.g. a one-architecture model such as
    HyperRep or NFN on an unseen architecture) is reported as ``{"unsupported": reason}``.
    ``cache = (folder, key, settings)`` keeps each seed's result in ``folder/cache/<key>-seed<k>.json``
    (:func:`~sne_pyg.experiments.cache.cached_all`: reused only for equal ``settings``), so an interrupted
    table resumes from its finished (model, seed) runs, and the training of an unfinished one from its last
    epoch (``<key>-seed<k>.checkpoint.pt`` beside it, :mod:`sne_pyg.train.resume`); processes sharing the folder
    split the seeds between them (a seed another process is training is put off, not waited for).
    """
    scaler = TargetScaler(targets_of(train))
    views: list = []                          # a model's view (e.g. NeuralGraph's graphs) does not depend on its weights

    def one_seed(seed: int, checkpoint: str | None = None) -> dict:
        seed_everything(seed)                # the initial weights depend on the seed alone
        model = build_model(name, hidden=hidden, out_dim=train[0].y.size(-1), **(model_options or {}))
        if not views:
            views.append((prepare_dataset(model, train), prepare_dataset(model, val), _test_views(model, tests)))
        train_view, val_view, (test_views, cannot_read) = views[0]
        config = training_config(seed, epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                                 augment=augment, li_weight=li_weight, progress=progress, checkpoint=checkpoint)
        trained = fit(model, train_view, val_view, config, scaler)
        run = {"taus": {}, "predictions": {}, "targets": {}, "unsupported": dict(cannot_read),
               "params": sum(p.numel() for p in model.parameters()), "history": trained.history}
        for key, view in test_views.items():
            try:
                out, true = predict(model, view, scaler=scaler)
            except ValueError as error:      # e.g. a one-architecture model (HyperRep, NFN) on another one
                run["unsupported"][key] = str(error)
                continue
            run["taus"][key] = metrics_of(out, true)["tau"]
            run["predictions"][key] = out[:, 0].tolist()
            run["targets"][key] = true[:, 0].tolist()
        if on_trained is not None:
            on_trained(seed, model)
        return run

    if cache is None:
        runs = [one_seed(seed) for seed in range(seeds)]
    else:                                   # processes sharing the folder split the seeds (cached_all)
        folder, key, settings = cache
        settings = with_revision(name, settings)
        runs = cached_all(folder, [(f"{key}-seed{seed}",
                                    lambda seed=seed: one_seed(seed, checkpoint_path(folder, f"{key}-seed{seed}")),
                                    settings) for seed in range(seeds)])
        _check_same_zoo(runs, tests, [result_path(folder, f"{key}-seed{seed}") for seed in range(seeds)])
    unsupported = {key: reason for run in runs for key, reason in run["unsupported"].items()}
    # numpy keeps an undefined tau (a test set of one network) as NaN where statistics.stdev raises
    out = {}
    for key in tests:
        if key in unsupported:
            out[key] = {"unsupported": unsupported[key]}
            continue
        taus = [run["taus"][key] for run in runs]
        out[key] = {"tau_mean": float(np.mean(taus)), "tau_std": float(np.std(taus, ddof=1)) if len(taus) > 1 else 0.0,
                    "taus": taus, "predictions": [run["predictions"][key] for run in runs],
                    "targets": runs[-1]["targets"][key]}
    out["params"] = runs[-1]["params"] if runs else 0
    if runs and all("history" in run for run in runs):      # runs cached before histories were kept have none
        out["histories"] = [run["history"] for run in runs]
    return out


def _check_same_zoo(runs: list[dict], tests: dict[str, list], paths: list[str]) -> None:
    """A cached run must have been scored on these test networks: its stored targets equal theirs (a zoo
    regenerated on another machine can differ -- float rounding changes some classifiers' training -- and a run
    of the old zoo would otherwise be averaged and paired with runs of the new one). Raises ``ValueError``
    naming the file."""
    current_of = {key: targets_of(networks)[:, 0].tolist() for key, networks in tests.items()}
    for run, path in zip(runs, paths):
        for key, stored in run["targets"].items():
            current = current_of[key]
            if stored != current:
                differ = sum(a != b for a, b in zip(stored, current)) + abs(len(stored) - len(current))
                raise ValueError(f"{path}: made on another zoo: its {key!r} targets differ from this zoo's in "
                                 f"{differ} of {len(current)} networks; move it away or use another --out")


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


def tau_scores(entry: dict) -> dict:
    """A :func:`tau_over_seeds` entry as result files keep it: its taus without predictions and targets
    (small enough for the repository); an entry saying why a model could not be scored is kept whole."""
    return entry if "unsupported" in entry else {k: entry[k] for k in ("tau_mean", "tau_std", "taus")}


def defined_comparisons(comparisons: dict[str, dict | None]) -> dict[str, dict]:
    """The :func:`sne_versus_best` comparisons that could be made (rows without SNE or another model dropped)."""
    return {key: c for key, c in comparisons.items() if c is not None}


def _test_views(model: nn.Module, tests: dict[str, list]) -> tuple[dict[str, list], dict[str, str]]:
    """The model's view of every test set it can read, and why it cannot read the others."""
    views, unsupported = {}, {}
    for key, part in tests.items():
        try:
            views[key] = prepare_dataset(model, part)
        except ValueError as error:
            unsupported[key] = str(error)
    return views, unsupported
