"""Per-model tuning with Optuna on the validation split only, the same search space and trials for every model.

Each trial trains one model (:func:`~sne_pyg.train.fit`, one fixed seed) with settings drawn by a seeded
TPE sampler and scores the best validation MSE it reached; the test split is never read. Trials are kept in
an SQLite study per model (``OUT/tuning.db``), so an interrupted tuning resumes where it stopped and a
larger ``trials`` runs only the missing ones. :func:`tune` writes ``OUT/<model>.json``
(``{"model", "best", "best_val_mse", "trials": [...]}``), which :func:`load_tuned` reads back.

Optuna is a well-kept library for exactly this (TPE sampling, persistent studies); it is the ``tune``
extra (``pip install sne_pyg[tune]``).
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ..train.loop import TargetScaler, targets_of
from .regression import fit_seeded


@dataclass(frozen=True)
class SearchSpace:
    """What a trial may choose: log-uniform ``lr`` and ``weight_decay`` ranges, and choices of width,
    epochs, permutation augmentation and Logit Invariance weight."""
    lr: tuple[float, float] = (1e-4, 3e-3)
    weight_decay: tuple[float, float] = (1e-7, 1e-2)
    hidden: tuple[int, ...] = (16, 32, 64)
    epochs: tuple[int, ...] = (30, 60, 90)
    augment: tuple[bool, ...] = (False, True)
    li_weight: tuple[float, ...] = (0.0, 0.1, 1.0)

    def suggest(self, trial) -> dict:
        return {"lr": trial.suggest_float("lr", *self.lr, log=True),
                "weight_decay": trial.suggest_float("weight_decay", *self.weight_decay, log=True),
                "hidden": trial.suggest_categorical("hidden", list(self.hidden)),
                "epochs": trial.suggest_categorical("epochs", list(self.epochs)),
                "augment": trial.suggest_categorical("augment", list(self.augment)),
                "li_weight": trial.suggest_categorical("li_weight", list(self.li_weight))}


def train_with(name: str, settings: dict, train, val, seed: int = 0, batch_size: int = 32,
               progress: bool = False, model_options: dict | None = None):
    """``(model, validation MSE)`` of ``name`` trained with ``settings`` (keys of :class:`SearchSpace`)."""
    model, result = fit_seeded(name, train, val, TargetScaler(targets_of(train)), seed, batch_size=batch_size,
                               progress=progress, model_options=model_options, **settings)
    return model, result.best_val


def tune(name: str, train, val, trials: int, out: str, space: SearchSpace = SearchSpace(), seed: int = 0,
         batch_size: int = 32, progress: bool = False,
         objective: Callable[[dict], float] | None = None) -> dict:
    """Tune ``name`` for ``trials`` completed trials (resuming a stored study); returns what is written to
    ``OUT/<name>.json``. ``objective(settings) -> validation MSE`` replaces the default training (tests)."""
    import optuna                              # the ``tune`` extra: imported only when tuning

    if trials < 1:
        raise ValueError(f"trials must be >= 1, got {trials}")
    os.makedirs(out, exist_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=name, storage=f"sqlite:///{os.path.join(out, 'tuning.db')}",
                                load_if_exists=True, direction="minimize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    stored = _space_of(study)
    if stored is not None and stored != _as_json(space):
        raise ValueError(f"{os.path.join(out, 'tuning.db')} holds a study of {name!r} over another search space "
                         f"({stored}); use another --out")
    study.set_user_attr("space", _as_json(space))
    score = objective or (lambda s: train_with(name, s, train, val, seed, batch_size, progress)[1])
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if len(done) < trials:
        study.optimize(lambda trial: score(space.suggest(trial)), n_trials=trials - len(done),
                       show_progress_bar=progress)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE][:trials]
    best = min(done, key=lambda t: t.value)
    result = {"model": name, "best": best.params, "best_val_mse": best.value, "seed": seed,
              "space": _as_json(space), "trials": [{"number": t.number, "settings": t.params, "val_mse": t.value}
                                                   for t in done]}
    path = os.path.join(out, f"{name}.json")
    with open(f"{path}.partial", "w") as f:
        json.dump(result, f, indent=1)
    os.replace(f"{path}.partial", path)
    return result


def load_tuned(path: str) -> dict:
    """The best settings stored by :func:`tune` (``{"lr", "weight_decay", "hidden", "epochs", ...}``)."""
    try:
        with open(path) as f:
            stored = json.load(f)
        return dict(stored["best"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"cannot read tuned settings from {path}: {error}") from None


def _as_json(space: SearchSpace) -> dict:
    return {k: list(v) for k, v in asdict(space).items()}


def _space_of(study) -> dict | None:
    return study.user_attrs.get("space")
