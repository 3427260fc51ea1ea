"""Optuna tuning: equal trials, the best is the best trial, a stopped study resumes, the stored value reproduces."""
import math

import pytest

from sne_pyg import convert
from sne_pyg.experiments.tuning import SearchSpace, load_tuned, train_with, tune
from tests import builders

pytest.importorskip("optuna")


def counting_objective(calls):
    def objective(settings):
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


def test_another_search_space_in_the_same_folder_is_refused(tmp_path):
    tune("sne", None, None, trials=1, out=str(tmp_path), objective=lambda s: 1.0)
    with pytest.raises(ValueError, match="another search space"):
        tune("sne", None, None, trials=1, out=str(tmp_path), space=SearchSpace(hidden=(8,)), objective=lambda s: 1.0)
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
