import json

import numpy as np
import pytest

import sne_pyg.experiments.seeds as seeds_module
from sne_pyg.experiments.bootstrap import paired_bootstrap
from sne_pyg.nn import build_model
from tests.builders import load_script


def test_quick_lever_study_is_paired_cached_and_resumable(tmp_path, monkeypatch):
    example = load_script("examples/sne_levers.py")
    out, root = tmp_path / "out", tmp_path / "cache"
    argv = ["--quick", "--no-progress", "--levers", "depth1,lr3e-3", "--seeds", "1", "--root", str(root),
            "--out", str(out)]
    summary = example.main(argv)
    assert json.loads((out / "levers.json").read_text()) == json.loads(json.dumps(summary))
    levers = summary["levers"]
    assert list(levers) == ["baseline", "depth1", "lr3e-3"] and (out / "levers.png").stat().st_size > 0
    assert levers["depth1"]["params"] == sum(p.numel() for p in build_model(
        "sne", hidden=8, chunk_blocks=1, layer_blocks=1, network_blocks=1).parameters()) < levers["baseline"]["params"]
    runs = {name: json.loads((out / name / "results.json").read_text())["sne"] for name in levers}
    for name in ("depth1", "lr3e-3"):                   # the difference and interval recomputed from the predictions
        row = levers[name]
        assert row["difference"] == pytest.approx(row["tau_mean"] - levers["baseline"]["tau_mean"])
        assert row["predictions"] == runs[name]["predictions"] and summary["targets"] == runs[name]["targets"]
        again = paired_bootstrap(np.asarray(row["predictions"]), np.asarray(levers["baseline"]["predictions"]),
                                 np.asarray(summary["targets"]), "tau", resamples=2000)
        assert (row["low"], row["high"], row["verdict"]) == pytest.approx((again.low, again.high, again.verdict))
    assert runs["lr3e-3"]["taus"] != runs["baseline"]["taus"]          # the training option reached the run
    for name in levers:                                  # each lever's training fit, read from its own run's curves
        history = json.loads((out / name / "summary.json").read_text())["histories"]["sne"][0]
        assert levers[name]["final_train_loss"] == [history[-1]["train_loss"]]
        assert levers[name]["best_epoch"] == [min(history, key=lambda h: h["val_mse"])["epoch"]]

    def no_training(*a, **k):
        raise AssertionError("a cached (lever, seed) run was trained again")
    monkeypatch.setattr(seeds_module, "fit", no_training)
    assert example.main(argv)["levers"] == summary["levers"]


def test_the_runner_owns_models_and_out(capsys):
    example = load_script("examples/sne_levers.py")
    with pytest.raises(SystemExit):
        example.parse_args(["--models", "sne,statnn"])
    assert "--models is set by the runner" in capsys.readouterr().err
