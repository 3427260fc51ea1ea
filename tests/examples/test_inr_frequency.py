import json
import os
import statistics

import pytest
from sne_pyg.nn import MODELS, build_model
from sne_pyg.train import materialize, prepare_dataset
from sne_pyg.zoos import SineINRZoo
from tests.builders import load_script, stop_at, stopped_and_resumed


def test_quick_table_1_results(tmp_path, quick_zoos):
    out, root = tmp_path / "out", quick_zoos
    example = load_script("examples/inr_frequency.py")
    example.main(["--quick", "--seeds", "2", "--out", str(out), "--root", str(root), "--no-progress"])
    results = json.loads((out / "results.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert set(results) == set(MODELS)
    train = SineINRZoo(str(root), "train", size=60, steps=200, recipe="peers", progress=False)
    for name, r in results.items():
        assert set(r) == {"params", "mse_mean", "mse_std", "seeds"}
        assert r["seeds"] == 2
        scores = summary["per_seed"][name]["mse"]
        assert abs(r["mse_mean"] - statistics.fmean(scores)) < 1e-12
        assert abs(r["mse_std"] - statistics.stdev(scores)) < 1e-12
        model = build_model(name, hidden=16, out_dim=1)
        materialize(model, prepare_dataset(model, train))
        assert r["params"] == sum(p.numel() for p in model.parameters())
    assert (out / "mse.png").read_bytes()[:4] == b"\x89PNG"
    # SNE against the best other model: that model has the lowest mean MSE, the difference is of the means
    versus = summary["sne_vs_best"]
    others = {name: r["mse_mean"] for name, r in results.items() if name != "sne"}
    assert versus["other"] == min(others, key=others.get)
    assert abs(versus["difference"] - (results["sne"]["mse_mean"] - others[versus["other"]])) < 1e-9
    assert versus["low"] <= versus["high"] and versus["verdict"] in ("tie", "better", "worse")
    assert (versus["verdict"] == "tie") == (versus["low"] <= 0 <= versus["high"])
    cached = json.loads((out / "cache" / "sne-seed0.json").read_text())["value"]
    assert len(cached["predictions"]) == summary["zoo"]["test"]
    assert len(cached["history"]) >= 1 and {"train_loss", "val_mse"} <= set(cached["history"][0])
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert set(summary["learning_curves"]) == {"sne", versus["other"]}      # SNE and the winner, every seed
    for name, seeds in summary["learning_curves"].items():
        for seed, curve in enumerate(seeds):
            kept = json.loads((out / "cache" / f"{name}-seed{seed}.json").read_text())["value"]["history"]
            assert [e["epoch"] for e in curve] == [e["epoch"] for e in kept]
            assert [e["val_mse"] for e in curve] == [round(e["val_mse"], 6) for e in kept]
    test = SineINRZoo(str(root), "test", size=60, steps=200, recipe="peers", progress=False)
    import hashlib                          # the summary names the zoo's bytes: each split file's SHA-256
    assert summary["zoo_sha256"] == {s: hashlib.sha256(open(os.path.join(test.processed_dir, f"{s}.pt"), "rb").read())
                                     .hexdigest() for s in ("train", "val", "test")}
    targets = [float(test[i].y[0, 0]) for i in range(len(test))]
    assert summary["test_targets"] == [round(t, 6) for t in targets]
    for name, per_seed in summary["test_predictions"].items():         # the kept predictions give the table
        scores = [statistics.fmean((p - t) ** 2 for p, t in zip(seed, targets)) for seed in per_seed]
        # the summary keeps 4 decimals and the predictions 6: equal to 1e-4, not digit for digit (a rounding
        # boundary would otherwise make the test depend on the thread count)
        assert scores == pytest.approx(summary["per_seed"][name]["mse"], abs=1e-4)
    assert summary["command"].startswith("python examples/inr_frequency.py --quick") and summary["wall_seconds"] > 0
    assert summary["commit"] and summary["machine"]


def test_input_norm_trains_on_standardised_inrs_and_keys_the_cache(tmp_path, monkeypatch, quick_zoos):
    import torch
    import sne_pyg.experiments.regression as regression
    out, root = tmp_path / "out", quick_zoos
    example = load_script("examples/inr_frequency.py")
    seen, fit = [], regression.fit_seeded
    monkeypatch.setattr(regression, "fit_seeded", lambda name, train, val, *a, **k: seen.append((train, val))
                        or fit(name, train, val, *a, **k))
    example.main(["--quick", "--models", "statnn", "--seeds", "1", "--input-norm", "entry", "--out", str(out),
                  "--root", str(root), "--no-progress"])
    (train, val), = seen
    raw = SineINRZoo(str(root), "train", size=60, steps=200, recipe="peers", progress=False)
    for key in raw[0].layout.params:
        before = torch.cat([raw[i].to_state_dict()[key].double().flatten() for i in range(len(raw))])
        after = torch.cat([d.to_state_dict()[key].double().flatten() for d in train])
        expected = before - before.mean()
        if before.std() > 1e-8:
            expected = expected / before.std(unbiased=False)
        assert torch.allclose(after, expected, atol=1e-4), key
    assert len(val) == 6 and json.loads((out / "cache" / "statnn-seed0.json").read_text())["settings"][
        "input_norm"] == "entry"


def test_a_model_option_reaches_the_model_and_keys_the_cache(tmp_path, quick_zoos):
    """``--model-option sne.element_positions=chunk`` builds SNE with positions (its parameter count grows by the
    position code's) and is stored with the result, so a rerun without the option refuses that result."""
    import pytest
    out, root = tmp_path / "out", quick_zoos
    example = load_script("examples/inr_frequency.py")
    words = ["--quick", "--models", "sne", "--seeds", "1", "--out", str(out), "--root", str(root), "--no-progress"]
    example.main(words + ["--model-option", "sne.element_positions=chunk"])
    stored = json.loads((out / "cache" / "sne-seed0.json").read_text())
    assert stored["settings"]["model_options"] == {"element_positions": "chunk"}
    plain, positioned = (build_model("sne", hidden=16, element_positions=p) for p in ("none", "chunk"))
    extra = sum(p.numel() for p in positioned.element_position.parameters())
    assert extra > 0 and stored["value"]["params"] == sum(p.numel() for p in plain.parameters()) + extra
    with pytest.raises(ValueError, match="sne-seed0"):
        example.main(words)


def test_stored_names_the_repositorys_tuned_settings_wherever_the_example_runs(tmp_path, monkeypatch):
    example = load_script("examples/inr_frequency.py")
    repository = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    monkeypatch.chdir(tmp_path)                                  # resolved against the repository, not the cwd
    stored = example.parse_args(["--tuned", "stored"]).tuned
    assert os.path.abspath(stored) == os.path.join(repository, "docs", "tuned", "inr_frequency")
    assert example.parse_args([]).tuned is None
    assert example.parse_args(["--tuned", "elsewhere"]).tuned == "elsewhere"


def test_a_run_stopped_mid_training_resumes_from_its_epoch_checkpoint(tmp_path, monkeypatch, quick_zoos):
    import sne_pyg.experiments.regression as regression
    example = load_script("examples/inr_frequency.py")
    flags = ["--quick", "--models", "statnn", "--seeds", "1", "--root", quick_zoos, "--no-progress"]
    whole, resumed = stopped_and_resumed(example.main, flags, tmp_path, monkeypatch, regression, "fit_seeded",
                                         {"on_epoch": stop_at(1)}, "statnn-seed0")
    assert resumed == whole
    out = tmp_path / "out"
    kept = [json.loads((folder / "cache" / "statnn-seed0.json").read_text())["value"] for folder in (out, tmp_path / "whole")]
    assert kept[0]["predictions"] == kept[1]["predictions"] and kept[0]["history"] == kept[1]["history"]
