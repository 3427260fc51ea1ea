"""Optuna tuning: equal trials, the best is the best trial, a stopped study resumes, the stored value reproduces."""
import math

import pytest

from sne_pyg import convert
from sne_pyg.experiments.tuning import SearchSpace, best_so_far, load_tuned, train_with, tune
from tests import builders

pytest.importorskip("optuna")


def counting_objective(calls):
    def objective(settings, report):
        calls.append(settings)
        return (math.log10(settings["lr"]) + 3) ** 2 + settings["hidden"] / 100 + 0.5 * settings["augment"]
    return objective


def test_trials_resume_and_the_best_is_the_lowest(tmp_path):
    calls = []
    space = SearchSpace()
    first = tune("sne", None, None, trials=6, out=str(tmp_path), objective=counting_objective(calls))
    assert len(calls) == 6 and len(first["trials"]) == 6
    values = [t["val_mse"] for t in first["trials"]]
    assert first["best_val_mse"] == min(values)
    assert first["best"] == first["trials"][values.index(min(values))]["settings"]
    for s in calls:
        assert space.lr[0] <= s["lr"] <= space.lr[1] and space.weight_decay[0] <= s["weight_decay"] <= space.weight_decay[1]
        assert s["hidden"] in space.hidden and s["epochs"] in space.epochs and s["li_weight"] in space.li_weight
    again = tune("sne", None, None, trials=6, out=str(tmp_path), objective=counting_objective(calls))
    assert len(calls) == 6 and again["trials"] == first["trials"]           # nothing re-run
    more = tune("sne", None, None, trials=9, out=str(tmp_path), objective=counting_objective(calls))
    assert len(calls) == 9 and more["trials"][:6] == first["trials"]         # only the missing three
    assert load_tuned(str(tmp_path / "sne.json")) == more["best"]
    other = tune("dwsnet", None, None, trials=6, out=str(tmp_path), objective=counting_objective(calls))
    assert len(other["trials"]) == 6                                        # a study per model, same budget
    import optuna
    for name in ("sne", "dwsnet"):                 # one SQLite file per model: separate processes never share one
        assert optuna.get_all_study_names(f"sqlite:///{tmp_path / f'{name}.db'}") == [name]


def test_another_search_space_in_the_same_folder_is_refused(tmp_path):
    tune("sne", None, None, trials=1, out=str(tmp_path), objective=lambda s, report: 1.0)
    with pytest.raises(ValueError, match="another search space"):
        tune("sne", None, None, trials=1, out=str(tmp_path), space=SearchSpace(hidden=(8,)), objective=lambda s, report: 1.0)
    with pytest.raises(ValueError, match="cannot read tuned settings from .*missing.json"):
        load_tuned(str(tmp_path / "missing.json"))
    with pytest.raises(ValueError, match="trials"):
        tune("sne", None, None, trials=0, out=str(tmp_path))


def test_the_stored_validation_score_is_reproduced_by_its_settings(tmp_path):
    zoo = [convert(builders.mlp(seed=i), chunk_size=8, y=[float(builders.mlp(seed=i)[0].weight.detach().abs().mean())])
           for i in range(12)]
    train, val = zoo[:8], zoo[8:]
    space = SearchSpace(hidden=(8,), epochs=(2,), li_weight=(0.0,))
    result = tune("deepsets", train, val, trials=2, out=str(tmp_path), space=space)
    _, score = train_with("deepsets", result["best"], train, val)
    assert score == result["best_val_mse"]
    assert len({t["val_mse"] for t in result["trials"]}) == 2               # the trials' settings mattered


def test_the_median_pruner_stops_worse_trials_and_they_count_against_the_budget(tmp_path):
    """Each trial's validation curve is flat at a value set by its learning rate; after the startup trials a trial
    worse than their median at the warm-up epoch is stopped there, and the trials stay 12 for every model."""
    epochs_run = []

    def curve(settings, report):
        value = (math.log10(settings["lr"]) + 3) ** 2
        for epoch in range(20):
            report(epoch, value)             # raises optuna.TrialPruned when the pruner says so
            epochs_run.append(epoch)
        return value
    result = tune("sne", None, None, trials=12, out=str(tmp_path), objective=curve, startup=4, warmup=5)
    assert len(result["trials"]) == 12 and 0 < result["pruned"] < 12
    pruned = [t for t in result["trials"] if t["pruned_at_epoch"] is not None]
    finished = [t for t in result["trials"] if t["pruned_at_epoch"] is None]
    assert len(pruned) == result["pruned"] and all(t["val_mse"] is None and t["pruned_at_epoch"] == 5 for t in pruned)
    assert all(t["number"] >= 4 for t in pruned)                       # never before the startup trials
    assert all(t["stopped_val_mse"] == (math.log10(t["settings"]["lr"]) + 3) ** 2 for t in pruned)
    assert all(t["stopped_val_mse"] is None and t["seconds"] >= 0 for t in finished)
    assert len(epochs_run) == 20 * len(finished) + 5 * len(pruned)     # a pruned trial really stopped
    assert result["best_val_mse"] == min(t["val_mse"] for t in finished)
    values = sorted((math.log10(t["settings"]["lr"]) + 3) ** 2 for t in result["trials"])
    assert result["best_val_mse"] == values[0]                         # the best trial is never pruned
    unpruned = tune("dwsnet", None, None, trials=12, out=str(tmp_path), objective=curve, prune=False)
    assert unpruned["pruned"] == 0 and len(unpruned["trials"]) == 12


def test_training_reports_every_epochs_validation_score_and_a_raise_stops_it(tmp_path):
    zoo = [convert(builders.mlp(seed=i), chunk_size=8, y=[float(i)]) for i in range(10)]
    seen = []
    settings = {"lr": 1e-3, "weight_decay": 0.0, "hidden": 8, "epochs": 4, "augment": False, "li_weight": 0.0}
    _, best = train_with("deepsets", settings, zoo[:6], zoo[6:], on_epoch=lambda e, v: seen.append((e, v)))
    assert [e for e, _ in seen] == [0, 1, 2, 3] and best == min(v for _, v in seen)

    class Stop(Exception):
        pass

    def stop_at_one(epoch, value):
        if epoch == 1:
            raise Stop
    with pytest.raises(Stop):
        train_with("deepsets", settings, zoo[:6], zoo[6:], on_epoch=stop_at_one)


def test_a_resumed_study_draws_new_settings_and_retries_a_failed_trial_first(tmp_path):
    calls = []
    tune("sne", None, None, trials=2, out=str(tmp_path), objective=counting_objective(calls))
    tune("sne", None, None, trials=4, out=str(tmp_path), objective=counting_objective(calls))
    assert len(calls) == 4 and calls[2] not in calls[:2] and calls[3] not in calls[:2]   # not the first draws again

    def crash_on_third(settings, report):
        if len(calls) == 4:
            calls.append(settings)
            raise RuntimeError("killed")
        return counting_objective(calls)(settings, report)
    with pytest.raises(RuntimeError, match="killed"):
        tune("sne", None, None, trials=6, out=str(tmp_path), objective=crash_on_third)
    failed = calls[4]
    result = tune("sne", None, None, trials=6, out=str(tmp_path), objective=counting_objective(calls))
    assert calls[5] == failed and len(calls) == 7                # the crashed settings first, then one new draw
    assert [t["settings"] for t in result["trials"]][4] == failed and len(result["trials"]) == 6
    again = tune("sne", None, None, trials=6, out=str(tmp_path), objective=counting_objective(calls))
    assert len(calls) == 7 and again["trials"] == result["trials"]   # retried once: nothing left to run


def test_a_trial_whose_process_was_killed_is_rerun_with_its_settings(tmp_path):
    """SIGKILL leaves a trial RUNNING (no exception is raised); its stale heartbeat marks it failed on resume."""
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    import optuna
    hang = ("import time\nfrom sne_pyg.experiments.tuning import tune\n"
            f"tune('sne', None, None, trials=3, out={str(tmp_path)!r}, heartbeat=1,\n"
            "     objective=lambda settings, report: time.sleep(600))\n")
    process = subprocess.Popen([sys.executable, "-c", hang])
    database = os.path.join(tmp_path, "sne.db")
    try:
        for _ in range(600):                   # until its first trial has drawn every setting and is beating
            time.sleep(0.1)
            if os.path.exists(database):
                with sqlite3.connect(database) as db:
                    tables = {row[0] for row in db.execute("select name from sqlite_master")}
                    if {"trial_heartbeats", "trial_params"} <= tables and \
                            db.execute("select count(*) from trial_heartbeats").fetchone()[0] and \
                            db.execute("select count(*) from trial_params").fetchone()[0] == 6:
                        break
        else:
            raise AssertionError("the tuning process never started a trial")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    killed = optuna.load_study(study_name="sne", storage=f"sqlite:///{database}").trials
    assert [t.state for t in killed] == [optuna.trial.TrialState.RUNNING] and len(killed[0].params) == 6
    calls = []
    result = tune("sne", None, None, trials=3, out=str(tmp_path), objective=counting_objective(calls), heartbeat=1)
    assert calls[0] == killed[0].params and len(calls) == 3      # the killed trial's settings first
    states = [t.state for t in optuna.load_study(study_name="sne", storage=f"sqlite:///{database}").trials]
    assert states[0] == optuna.trial.TrialState.FAIL and len(result["trials"]) == 3


def test_a_stopped_trial_is_rerun_from_its_epoch_checkpoint_and_scores_as_an_uninterrupted_one(tmp_path, monkeypatch):
    """The default training of a trial is stopped at epoch 2 (as a kill or Ctrl-C would); the resumed study reruns
    the trial with its settings from the checkpoint and scores exactly what an uninterrupted study's trial does."""
    import os

    import sne_pyg.experiments.tuning as tuning
    zoo = [convert(builders.mlp(seed=i), chunk_size=8, y=[float(builders.mlp(seed=i)[0].weight.detach().abs().mean())])
           for i in range(12)]
    train, val = zoo[:8], zoo[8:]
    space = SearchSpace(hidden=(8,), epochs=(5,), li_weight=(0.0,))
    whole = tune("statnn", train, val, trials=1, out=str(tmp_path / "whole"), space=space, prune=False, heartbeat=1)
    original = tuning.fit_seeded

    def stopped(*a, on_epoch, **k):
        def report_then_stop(epoch: int, value: float) -> None:
            on_epoch(epoch, value)
            builders.stop_at(2)(epoch, value)
        return original(*a, on_epoch=report_then_stop, **k)
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch.setattr(tuning, "fit_seeded", stopped)
        with pytest.raises(KeyboardInterrupt):
            tune("statnn", train, val, trials=1, out=str(out), space=space, prune=False, heartbeat=1)
    kept = os.listdir(out / "checkpoints")
    assert kept == [os.path.basename(tuning.trial_checkpoint(str(out), "statnn", whole["best"], 0, 32))]
    resumed = tune("statnn", train, val, trials=1, out=str(out), space=space, prune=False, heartbeat=1)
    assert resumed["best"] == whole["best"] and resumed["best_val_mse"] == whole["best_val_mse"]
    assert os.listdir(out / "checkpoints") == []                              # removed once the trial finished


def test_a_crashed_trial_leaves_no_checkpoint(tmp_path, monkeypatch):
    """A trial that raises (a crash, or Optuna's TrialPruned: both Exceptions) is not resumed mid-way: a rerun with
    its settings trains from the start (code may have been fixed), so its checkpoint is removed."""
    import os

    import sne_pyg.experiments.tuning as tuning
    zoo = [convert(builders.mlp(seed=i), chunk_size=8, y=[float(i)]) for i in range(10)]
    space = SearchSpace(hidden=(8,), epochs=(4,), li_weight=(0.0,))
    original = tuning.fit_seeded

    def crashing(*a, on_epoch, **k):
        def crash(epoch: int, value: float) -> None:
            if epoch == 1:
                raise RuntimeError("a bug in the model")
        return original(*a, on_epoch=crash, **k)
    monkeypatch.setattr(tuning, "fit_seeded", crashing)
    with pytest.raises(RuntimeError, match="a bug in the model"):
        tune("statnn", zoo[:6], zoo[6:], trials=1, out=str(tmp_path), space=space, prune=False, heartbeat=1)
    assert os.listdir(tmp_path / "checkpoints") == []


def test_best_so_far_is_the_running_minimum_of_finished_trials_in_trial_order():
    trials = [{"number": 3, "val_mse": 0.5}, {"number": 0, "val_mse": None}, {"number": 1, "val_mse": 0.9},
              {"number": 2, "val_mse": None}, {"number": 4, "val_mse": 0.7}, {"number": 5, "val_mse": 0.2}]
    assert best_so_far(trials) == [None, 0.9, 0.9, 0.5, 0.5, 0.2]
    assert best_so_far([]) == []


def test_model_options_reach_every_trial_are_stored_and_must_match_where_the_settings_are_used(tmp_path):
    from sne_pyg.experiments.tuning import tuned_settings
    zoo = [convert(builders.mlp(seed=i), chunk_size=8, y=[float(builders.mlp(seed=i)[0].weight.detach().abs().mean())])
           for i in range(12)]
    train, val = zoo[:8], zoo[8:]
    space = SearchSpace(hidden=(8,), epochs=(2,), li_weight=(0.0,), augment=(False,))
    context = {"neuron_context": True}
    result = tune("sne", train, val, trials=1, out=str(tmp_path / "ctx"), space=space, model_options=context)
    assert result["model_options"] == context
    # the trial's score is the model with the option, not the default model
    assert train_with("sne", result["best"], train, val, model_options=context)[1] == result["best_val_mse"]
    assert train_with("sne", result["best"], train, val)[1] != result["best_val_mse"]
    with pytest.raises(ValueError, match=r"sne.db holds a study of 'sne' with model options \{'neuron_context': True\}"):
        tune("sne", train, val, trials=1, out=str(tmp_path / "ctx"), space=space)
    folder = str(tmp_path / "ctx")
    assert tuned_settings(folder, ["sne"], {"sne": context}) == {"sne": result["best"]}
    with pytest.raises(SystemExit, match=r"sne.json: tuned with model options \{'neuron_context': True\}, but this run"):
        tuned_settings(folder, ["sne"])
    plain = tune("sne", train, val, trials=1, out=str(tmp_path / "plain"), space=space)
    assert "model_options" not in plain            # settings tuned on the defaults may serve any options
    assert tuned_settings(str(tmp_path / "plain"), ["sne"], {"sne": context}) == {"sne": plain["best"]}
