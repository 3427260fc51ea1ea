"""One model trained over several seeds and scored by Kendall's tau: the unit of every table."""
from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from torch import nn

from ..nn import build_model
from .loop import TargetScaler, TrainConfig, evaluate, fit, prepare_dataset, seed_everything, targets_of


def tau_over_seeds(name: str, train, val, tests: dict[str, list], seeds: int = 3, hidden: int = 32,
                   epochs: int = 30, batch_size: int = 32, lr: float = 1e-3, progress: bool = False,
                   on_trained: Callable[[int, nn.Module], None] | None = None,
                   model_options: dict | None = None) -> dict:
    """Train ``name`` on ``train`` (model selection on ``val``) once per seed and score Kendall's
    tau of its first output on each of ``tests``; returns ``{test: {"tau_mean", "tau_std", "taus"}}``
    plus ``"params"``. ``on_trained(seed, model)`` is called with each trained model; ``model_options``
    go to :func:`~sne_pyg.nn.build_model`. A test set the model cannot read (its view raises
    ``ValueError``, e.g. NeuralGraph on attention layers) is reported as ``{"unsupported": reason}``."""
    scaler = TargetScaler(targets_of(train))
    taus: dict[str, list[float]] = {key: [] for key in tests}
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
            taus[key].append(evaluate(model, view, scaler=scaler)["tau"])
        if on_trained is not None:
            on_trained(seed, model)
        params = sum(p.numel() for p in model.parameters())
    # numpy keeps an undefined tau (a test set of one network) as NaN where statistics.stdev raises
    out = {key: {"tau_mean": float(np.mean(v)), "tau_std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, "taus": v}
           for key, v in taus.items() if key not in unsupported}
    out.update({key: {"unsupported": reason} for key, reason in unsupported.items()})
    out["params"] = params
    return out


def _test_views(model: nn.Module, tests: dict[str, list]) -> tuple[dict[str, list], dict[str, str]]:
    """The model's view of every test set it can read, and why it cannot read the others."""
    views, unsupported = {}, {}
    for key, part in tests.items():
        try:
            views[key] = prepare_dataset(model, part)
        except ValueError as error:
            unsupported[key] = str(error)
    return views, unsupported


def add_zoo_experiment_arguments(parser, *, models: str, out: str, size: int = 100, size_help: str = "per zoo",
                                 epochs: int = 15) -> None:
    """The options every zoo experiment (the examples) shares: target, models, seeds, zoo size and
    training length, cache folder, output folder, ``--quick`` and ``--no-progress``."""
    parser.add_argument("--target", type=int, default=0, help="0 test accuracy, 1 train accuracy, 2 gap")
    parser.add_argument("--models", default=models, type=_model_list, help="comma-separated registered models")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--size", type=int, default=size, help=f"training runs {size_help} (two checkpoints each)")
    parser.add_argument("--zoo-epochs", type=int, default=10, help="epochs each classifier trains")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--root", default="data_cache", help="where generated zoos are cached")
    parser.add_argument("--out", default=out)
    parser.add_argument("--quick", action="store_true", help="tiny zoos and training (CI)")
    parser.add_argument("--no-progress", action="store_true")


def _model_list(text: str) -> list[str]:
    from ..nn import parse_models
    try:
        return parse_models(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def name_list(choices, minimum: int = 1) -> Callable[[str], list[str]]:
    """An argparse ``type``: ``"a,b"`` -> ``["a", "b"]``, each one of ``choices``, at least ``minimum``."""
    def parse(text: str) -> list[str]:
        names = [n for n in text.split(",") if n]
        unknown = sorted(set(names) - set(choices))
        if unknown or len(names) < minimum:
            raise argparse.ArgumentTypeError(f"needs at least {minimum} of {sorted(choices)}, comma-separated; "
                                             f"got {names}" + (f" (unknown: {unknown})" if unknown else ""))
        return names
    return parse


def apply_quick(args, size: int) -> None:
    """``--quick``: ``size`` runs per zoo trained 2 epochs, models of hidden 8 trained 2 epochs."""
    if args.quick:
        args.size, args.zoo_epochs, args.epochs, args.hidden = size, 2, 2, 8
