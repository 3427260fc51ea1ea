"""Per-model tuning with Optuna on the validation split only, the same search space and trials for every model.

Each trial trains one model (:func:`~sne_pyg.train.fit`, one fixed seed) with settings drawn by a seeded
TPE sampler and scores the best validation MSE it reached; the test split is never read. With ``prune``
(the default) a trial reports its validation MSE after every epoch and Optuna's median pruner stops it when,
after ``warmup`` epochs, it is worse than the median of earlier trials at that epoch (none is stopped before
``startup`` trials have finished); a stopped trial counts against the budget like a finished one, so every
model gets the same number of trials. Trials are kept in
an SQLite study per model (``OUT/<model>.db``, one file each, so models can be tuned by separate processes
into one folder at once), so an interrupted tuning resumes where it stopped and a larger ``trials`` runs
only the missing ones: a trial that failed first, with its settings, then new draws (the resumed sampler is
seeded with ``seed`` plus the trials so far, so it does not redraw the first trials). A trial fails by raising, or
by its process being killed: a running trial records a heartbeat every ``heartbeat`` seconds, and one whose
heartbeat is older than twice that is marked failed when the study resumes (Optuna's heartbeat storage), so a
resume soon after a kill waits out that grace period first. A trial's training keeps an epoch checkpoint
(:func:`trial_checkpoint`), so a stopped or killed trial rerun with its settings resumes mid-training; a pruned
or crashed trial's is removed. :func:`tune` writes ``OUT/<model>.json``
(``{"model", "best", "best_val_mse", "trials": [...]}``), which :func:`load_tuned` reads back.

Optuna is a well-kept library for exactly this (TPE sampling, persistent studies); it is the ``tune``
extra (``pip install sne_pyg[tune]``).
"""
from __future__ import annotations

import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from ..json_files import settings_digest, write_json
from ..train.loop import TargetScaler, targets_of
from ..train.resume import finish_training
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
               progress: bool = False, model_options: dict | None = None,
               on_epoch: Callable[[int, float], None] | None = None, checkpoint: str | None = None):
    """``(model, validation MSE)`` of ``name`` trained with ``settings`` (keys of :class:`SearchSpace`);
    ``checkpoint``: its epoch checkpoint file (:mod:`sne_pyg.train.resume`)."""
    model, result = fit_seeded(name, train, val, TargetScaler(targets_of(train)), seed, batch_size=batch_size,
                               progress=progress, model_options=model_options, on_epoch=on_epoch,
                               checkpoint=checkpoint, **settings)
    return model, result.best_val


def trial_checkpoint(out: str, name: str, settings: dict, seed: int, batch_size: int,
                     model_options: dict | None = None) -> str:
    """The epoch checkpoint of ``name``'s trial with ``settings`` (``OUT/checkpoints/<name>-<digest>.pt``): a
    killed trial, rerun with its settings, resumes there."""
    key = {"settings": settings, "seed": seed, "batch_size": batch_size}
    if model_options:                   # only when given: the default model's checkpoints keep their names
        key["model_options"] = model_options
    digest = settings_digest(key, length=16)
    return os.path.join(out, "checkpoints", f"{name}-{digest}.pt")


def tune(name: str, train, val, trials: int, out: str, space: SearchSpace = SearchSpace(), seed: int = 0,
         batch_size: int = 32, progress: bool = False,
         objective: Callable[[dict, Callable[[int, float], None]], float] | None = None,
         prune: bool = True, startup: int = 4, warmup: int = 10, heartbeat: int = 30,
         model_options: dict | None = None) -> dict:
    """Tune ``name`` for ``trials`` trials, finished or pruned (resuming a stored study); returns what is written
    to ``OUT/<name>.json``. ``objective(settings, report) -> validation MSE`` replaces the default training
    (tests); it calls ``report(epoch, validation MSE)`` where the pruner may stop it. ``model_options`` go to
    the model's constructor in every trial (e.g. ``{"neuron_context": True}``); they are stored with the study
    (a study of other options is refused) and in ``OUT/<name>.json``."""
    import optuna                              # the ``tune`` extra: imported only when tuning

    if trials < 1:
        raise ValueError(f"trials must be >= 1, got {trials}")
    os.makedirs(out, exist_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=startup, n_warmup_steps=warmup) if prune \
        else optuna.pruners.NopPruner()
    database = study_path(out, name)
    study = optuna.create_study(study_name=name, storage=_storage(database, heartbeat),
                                load_if_exists=True, direction="minimize",
                                sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)
    if study.trials:      # resumed: a fresh sampler seed, or the seeded sampler redraws the first trials' settings
        study.sampler = optuna.samplers.TPESampler(seed=seed + len(study.trials))
    stored = _space_of(study)
    if stored is not None and stored != space_json(space):
        raise ValueError(f"{database} holds a study of {name!r} over another search space "
                         f"({stored}); use another --out")
    study.set_user_attr("space", space_json(space))
    options = dict(model_options or {})
    if study.trials and study.user_attrs.get("model_options", {}) != options:
        raise ValueError(f"{database} holds a study of {name!r} with model options "
                         f"{study.user_attrs.get('model_options', {})}, not {options}; use another --out")
    if options:
        study.set_user_attr("model_options", options)

    def train_trial(settings: dict, report: Callable[[int, float], None]) -> float:
        checkpoint = trial_checkpoint(out, name, settings, seed, batch_size, options)
        try:
            return train_with(name, settings, train, val, seed, batch_size, progress, model_options=options or None,
                              on_epoch=report, checkpoint=checkpoint)[1]
        except Exception:       # pruned or crashed: not resumed (only a stopped or killed trial's checkpoint is)
            finish_training(checkpoint)
            raise
    score = objective or train_trial

    def run_trial(trial) -> float:
        def report(epoch: int, value: float) -> None:
            trial.report(value, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"epoch {epoch}: validation MSE {value:.4g} above the median")
        return score(space.suggest(trial), report)

    counted = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    done = [t for t in study.trials if t.state in counted]
    if len(done) < trials:
        _fail_killed_trials(study, heartbeat)
        for params in _failed_not_retried(study):     # a trial that crashed is rerun first, with its settings
            study.enqueue_trial(params)
        study.optimize(run_trial, n_trials=trials - len(done), show_progress_bar=progress)
    done = [t for t in study.trials if t.state in counted][:trials]
    finished = [t for t in done if t.state == optuna.trial.TrialState.COMPLETE]
    if not finished:
        raise ValueError(f"every trial of {name!r} was pruned; run more trials or tune with prune=False")
    best = min(finished, key=lambda t: t.value)
    result = {"model": name, "best": best.params, "best_val_mse": best.value, "seed": seed,
              "space": space_json(space), "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in done),
              "trials": [_trial_record(t, t.state == optuna.trial.TrialState.PRUNED) for t in done]}
    if options:
        result["model_options"] = options
    write_json(os.path.join(out, f"{name}.json"), result)
    return result


def _trial_record(trial, pruned: bool) -> dict:
    """One trial of ``OUT/<model>.json``: its settings, best validation MSE (``None`` when pruned), the epoch a
    pruned trial was stopped at and its validation MSE there, and its seconds of training."""
    return {"number": trial.number, "settings": trial.params, "val_mse": None if pruned else trial.value,
            "pruned_at_epoch": trial.last_step if pruned else None,
            "stopped_val_mse": trial.intermediate_values.get(trial.last_step) if pruned else None,
            "seconds": trial.duration.total_seconds() if trial.duration is not None else None}


def best_so_far(trials: list[dict]) -> list[float | None]:
    """The lowest validation MSE of the finished trials up to each trial (in trial order; ``None`` until one has
    finished): the curve a tuning budget buys."""
    curve, best = [], None
    for trial in sorted(trials, key=lambda t: t["number"]):
        if trial["val_mse"] is not None and (best is None or trial["val_mse"] < best):
            best = trial["val_mse"]
        curve.append(best)
    return curve


def study_path(out: str, name: str) -> str:
    """The SQLite file of ``name``'s study in ``out``."""
    return os.path.join(out, f"{name}.db")


def tuned_settings(folder: str | None, names: list[str],
                   model_options: dict[str, dict] | None = None) -> dict[str, dict]:
    """``{model: settings}`` for the models of ``names`` with a ``<model>.json`` in ``folder`` (the ``--out`` of
    ``examples/tune.py``); none without a folder. A missing folder raises ``SystemExit`` naming it, and so does
    a file tuned with model options other than the run's ``model_options`` (``{model: {key: value}}``); a file
    tuned on the model's defaults may be used with any options (its settings, not retuned)."""
    if folder is None:
        return {}
    if not os.path.isdir(folder):
        raise SystemExit(f"--tuned {folder}: no such folder")
    found = {}
    for name in names:
        path = os.path.join(folder, f"{name}.json")
        if not os.path.exists(path):
            continue
        settings, tuned_with = _read_tuned(path)
        run_with = (model_options or {}).get(name, {})
        if tuned_with and tuned_with != run_with:
            raise SystemExit(f"{path}: tuned with model options {tuned_with}, but this run gives {name} "
                             f"{run_with or 'none'}; pass the same --model-option {name}.KEY=VALUE")
        found[name] = settings
    return found


def load_tuned(path: str) -> dict:
    """The best settings stored by :func:`tune` (``{"lr", "weight_decay", "hidden", "epochs", ...}``)."""
    return _read_tuned(path)[0]


def _read_tuned(path: str) -> tuple[dict, dict]:
    """``(best settings, model options)`` of a file :func:`tune` wrote; ``ValueError`` naming it otherwise."""
    try:
        with open(path) as f:
            stored = json.load(f)
        return dict(stored["best"]), dict(stored.get("model_options", {}))
    except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as error:
        raise ValueError(f"cannot read tuned settings from {path}: {error}") from None


def _storage(database: str, heartbeat: int):
    """SQLite storage whose running trials record a heartbeat every ``heartbeat`` seconds (grace: twice that)."""
    import optuna
    if heartbeat < 1:
        raise ValueError(f"heartbeat must be >= 1 second, got {heartbeat}")
    with _heartbeat_is_experimental():
        return optuna.storages.RDBStorage(f"sqlite:///{database}", heartbeat_interval=heartbeat,
                                          grace_period=2 * heartbeat)


def _fail_killed_trials(study, heartbeat: int) -> None:
    """Mark failed every running trial whose process was killed (so it is rerun); a running trial's heartbeat may
    be up to ``2 * heartbeat`` seconds old before it counts as killed, so this waits until that is decidable."""
    import optuna
    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    if not running:
        return
    print(f"{study.study_name}: {len(running)} trial(s) left running by an earlier process; waiting "
          f"{2 * heartbeat + 1} s to tell a killed one from a live one", file=sys.stderr)
    time.sleep(2 * heartbeat + 1)              # a live trial has beaten since; a killed one is now stale
    with _heartbeat_is_experimental():
        optuna.storages.fail_stale_trials(study)


@contextmanager
def _heartbeat_is_experimental():
    """Silence Optuna's ExperimentalWarning: its heartbeat storage is marked experimental."""
    import optuna
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        yield


def _failed_not_retried(study) -> list[dict]:
    """Settings of every failed trial (an exception, e.g. a crash) that no later trial has run again."""
    import optuna
    trials = study.get_trials(deepcopy=False)
    return [t.params for t in trials if t.state == optuna.trial.TrialState.FAIL and t.params
            and not any(later.number > t.number and later.params == t.params for later in trials)]


def space_json(space: SearchSpace) -> dict:
    """The search space as stored with a study and in the summaries: ``{field: [choices or bounds]}``."""
    return {k: list(v) for k, v in asdict(space).items()}


def _space_of(study) -> dict | None:
    return study.user_attrs.get("space")
