import json
import statistics
from pathlib import Path

import pytest

from sne_pyg.data.dataset import select_target
from sne_pyg.data.sources import zoo_split
from sne_pyg.train import kendall_tau
from sne_pyg.experiments import tau_over_seeds
from sne_pyg.experiments.arguments import ZOO_CHECKPOINTS, ZOO_FRACTIONS
from sne_pyg.zoos.classifier_zoo import evenly_spaced_checkpoints
from sne_pyg.zoos.kinds import cached_zoo
from tests.builders import load_script


def test_quick_accuracy_prediction_reports_reproducible_taus(tmp_path, monkeypatch):
    example = load_script("examples/accuracy_prediction.py")
    root, out = tmp_path / "cache", tmp_path / "out"
    results = example.main(["--quick", "--models", "statnn,sne", "--root", str(root), "--out", str(out),
                            "--no-progress"])
    saved = json.loads((out / "results.json").read_text())
    assert saved == results and set(saved) == {"statnn", "sne"}
    for r in saved.values():
        assert len(r["taus"]) == 3 and all(-1 <= t <= 1 for t in r["taus"])
        assert r["tau_mean"] == pytest.approx(statistics.fmean(r["taus"]))
        assert r["tau_std"] == pytest.approx(statistics.stdev(r["taus"]))
    assert (out / "tau.png").stat().st_size > 0
    versus = json.loads((out / "sne_vs_best.json").read_text())["test"]
    assert versus["other"] == "statnn" and versus["metric"] == "tau"
    assert versus["difference"] == pytest.approx(saved["sne"]["tau_mean"] - saved["statnn"]["tau_mean"])
    summary = json.loads((out / "summary.json").read_text())             # the README's result file
    assert summary["results"] == saved and summary["sne_vs_best"] == versus
    assert summary["command"].startswith("python examples/accuracy_prediction.py --quick")
    assert summary["settings"]["zoo_checkpoints"] == ZOO_CHECKPOINTS and summary["wall_seconds"] > 0
    assert [len(h) for h in summary["histories"]["sne"]] == [2, 2, 2]      # 2 epochs per seed, kept for the curves
    assert (out / "curves.png").stat().st_size > 0
    # every (model, seed) run is cached with its settings: a rerun trains nothing and gives the same table
    cache = sorted(p.name for p in (out / "cache").iterdir())
    assert cache == sorted(f"{m}-seed{k}.json" for m in ("statnn", "sne") for k in range(3))
    stored = json.loads((out / "cache" / "sne-seed1.json").read_text())
    assert stored["settings"]["model"] == "sne" and stored["settings"]["target"] == 0
    assert stored["value"]["taus"]["test"] == pytest.approx(saved["sne"]["taus"][1])

    def no_training(*a, **k):
        raise AssertionError("a cached (model, seed) run was trained again")
    import sne_pyg.experiments.seeds as seeds_module
    monkeypatch.setattr(seeds_module, "fit", no_training)
    assert example.main(["--quick", "--models", "statnn,sne", "--root", str(root), "--out", str(out),
                         "--no-progress"]) == results
    monkeypatch.undo()
    # the cached zoo is reused, and a second, independent run reproduces the numbers
    folder = cached_zoo("arch1-digits", str(root), 24, 2, progress=False, checkpoints=ZOO_CHECKPOINTS,
                        fractions=ZOO_FRACTIONS)
    splits = {s: select_target(zoo_split(folder, s), 0) for s in ("train", "val", "test")}
    assert {s: len(p) for s, p in splits.items()} == summary["splits"]
    import hashlib                         # the summary names the zoo's bytes: the SHA-256 of each split file
    assert summary["zoo_sha256"] == {s: hashlib.sha256((Path(folder) / f"{s}.pt").read_bytes()).hexdigest()
                                     for s in ("train", "val", "test")}
    per_run = len(evenly_spaced_checkpoints(2, ZOO_CHECKPOINTS))          # quick: 2 epochs -> epochs 1 and 2
    runs = {s: {int(d.run) for d in part} for s, part in splits.items()}
    assert len(runs["test"]) * per_run == len(splits["test"]) and not runs["test"] & (runs["train"] | runs["val"])
    again = tau_over_seeds("statnn", splits["train"], splits["val"], {"test": splits["test"]}, 3, 8, 2)
    assert again["test"]["taus"] == pytest.approx(saved["statnn"]["taus"])
    # the targets are the zoo's test accuracies: ranking them by themselves gives tau 1
    y = [float(d.y) for d in splits["test"]]
    import torch
    assert kendall_tau(torch.tensor(y), torch.tensor(y)) == pytest.approx(1.0)


def test_model_options_and_chunk_size_reach_the_model_and_the_cache(tmp_path, monkeypatch):
    from sne_pyg.nn import build_model
    import sne_pyg.experiments.seeds as seeds_module
    example = load_script("examples/accuracy_prediction.py")
    root, out = tmp_path / "cache", tmp_path / "out"
    argv = ["--quick", "--models", "sne,statnn", "--seeds", "1", "--root", str(root), "--out", str(out),
            "--no-progress", "--chunk-size", "16", "--model-option", "sne.chunk_blocks=1",
            "--train-option", "lr=0.002", "--train-option", "augment=true", "--train-option", "lr=0.004"]
    configs, fit = [], seeds_module.fit
    monkeypatch.setattr(seeds_module, "fit", lambda model, train, val, config, scaler: configs.append(config)
                        or fit(model, train, val, config, scaler))
    results = example.main(argv)
    assert [(c.lr, c.augment, c.weight_decay) for c in configs] == [(0.004, True, 1e-5)] * 2   # the later lr wins
    lean = build_model("sne", hidden=8, chunk_blocks=1)
    assert results["sne"]["params"] == sum(p.numel() for p in lean.parameters()) \
        != sum(p.numel() for p in build_model("sne", hidden=8).parameters())
    zoos = [p.name for p in root.iterdir() if p.name.startswith("arch1-digits")]
    assert len(zoos) == 1 and "-c16-" in zoos[0]                 # converted with 16 scalars per chunk
    sne = json.loads((out / "cache" / "sne-seed0.json").read_text())["settings"]
    statnn = json.loads((out / "cache" / "statnn-seed0.json").read_text())["settings"]
    assert sne["model_options"] == {"chunk_blocks": 1} and sne["chunk_size"] == statnn["chunk_size"] == 16
    assert sne["train_options"] == statnn["train_options"] == {"lr": 0.004, "augment": True}
    assert "model_options" not in statnn                       # a model's cache key holds its own options only
    summary = json.loads((out / "summary.json").read_text())
    assert summary["settings"]["model_options"] == {"sne": {"chunk_blocks": 1}}


def test_input_norm_standardises_every_split_with_training_statistics(tmp_path, monkeypatch):
    import torch
    import sne_pyg.experiments.seeds as seeds_module
    example = load_script("examples/accuracy_prediction.py")
    root, out = tmp_path / "cache", tmp_path / "out"
    seen, fit = [], seeds_module.fit
    monkeypatch.setattr(seeds_module, "fit", lambda model, train, val, config, scaler: seen.append((train, val))
                        or fit(model, train, val, config, scaler))
    example.main(["--quick", "--models", "statnn", "--seeds", "1", "--root", str(root), "--out", str(out),
                  "--no-progress", "--input-norm", "entry"])
    (train, val), = seen
    raw = cached_zoo("arch1-digits", str(root), 24, 2, progress=False, checkpoints=ZOO_CHECKPOINTS,
                     fractions=ZOO_FRACTIONS)
    raw_train = zoo_split(raw, "train")
    for key in ("0.weight", "0.bias", "9.weight"):
        before = torch.cat([d.to_state_dict()[key].double().flatten() for d in raw_train])
        after = torch.cat([d.to_state_dict()[key].double().flatten() for d in train])
        assert abs(float(after.mean())) < 1e-5 and abs(float(after.std(unbiased=False)) - 1) < 1e-4
        assert torch.allclose(after, (before - before.mean()) / before.std(unbiased=False), atol=1e-4)
    raw_val = torch.cat([d.to_state_dict()["0.weight"].double().flatten() for d in zoo_split(raw, "val")])
    val_w = torch.cat([d.to_state_dict()["0.weight"].double().flatten() for d in val])
    first = torch.cat([d.to_state_dict()["0.weight"].double().flatten() for d in raw_train])
    assert torch.allclose(val_w, (raw_val - first.mean()) / first.std(unbiased=False), atol=1e-4)  # train statistics
    settings = json.loads((out / "cache" / "statnn-seed0.json").read_text())["settings"]
    assert settings["input_norm"] == "entry"
