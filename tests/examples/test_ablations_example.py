import json

import numpy as np
import pytest

from sne_pyg.experiments.bootstrap import paired_bootstrap
from sne_pyg.zoos import SineINRZoo
from tests.builders import load_script


def test_quick_ablations_write_every_study_and_resume(tmp_path, monkeypatch, quick_zoos):
    out, root = tmp_path / "out", quick_zoos
    example = load_script("examples/ablations.py")
    args = ["--quick", "--seeds", "2", "--out", str(out), "--root", str(root), "--no-progress"]
    results = example.main(args)
    written = json.loads((out / "results.json").read_text())
    assert written["command"].startswith("python examples/ablations.py --quick") and written["wall_seconds"] > 0
    stored = written["results"]
    assert set(stored) == {"table6", "table7", "data_efficiency"}
    assert set(stored["table6"]) == set(example.TABLE6) and set(stored["table7"]) == {"16", "64"}
    assert {(r["model"], r["fraction"]) for r in stored["data_efficiency"].values()} == {
        (m, f) for m in ("sne", "dwsnet", "neural_graph") for f in (0.25, 1.0)}
    for rows in stored.values():
        for r in rows.values():
            assert len(r["mse"]) == 2 and abs(r["mse_mean"] - sum(r["mse"]) / 2) < 1e-12
    # Table 6's full model is Table 7's chunk 64 and Figure 3's SNE at 100%: one run, read three times;
    # the 25% subsets train on 12 of 48 INRs
    full = stored["table6"]["sne"]["mse"]
    assert stored["table7"]["64"]["mse"] == full and stored["data_efficiency"]["sne@1.0"]["mse"] == full
    assert stored["table7"]["16"]["mse"] != full
    cache = {p.name for p in (out / "cache").iterdir()}
    assert not any(name.startswith(("table7-chunk64", "data-sne-1.0")) for name in cache)
    assert len(cache) == 2 * (len(example.TABLE6) + 1 + 5)       # per seed: Table 6, chunk 16, five subsets
    assert stored["data_efficiency"]["sne@0.25"]["train_networks"] == 12
    # every cached run keeps its test predictions: its MSE recomputed from them and the zoo's test targets
    zoo = SineINRZoo.splits(str(root), size=60, chunk_size=64, steps=200, recipe="peers", progress=False)
    targets = np.array([float(d.y[0, 0]) for d in zoo["test"]])
    kept = {p.stem: json.loads(p.read_text())["value"] for p in (out / "cache").iterdir()}
    for run in kept.values():
        assert np.mean((np.array(run["predictions"]) - targets) ** 2) == pytest.approx(run["mse"], rel=1e-5)
    # each variant against the full model, recomputed with paired_bootstrap from the cached predictions
    variant = list(example.TABLE6)[-1]
    preds = {name: np.array([kept[f"{name}-seed{k}"]["predictions"] for k in (0, 1)])
             for name in ("table6-sne", f"table6-{example._slug(variant)}")}
    expected = paired_bootstrap(preds[f"table6-{example._slug(variant)}"], preds["table6-sne"], targets, "mse",
                                resamples=500).to_dict()
    assert stored["table6"][variant]["versus"] == {"other": "sne", **expected}
    assert stored["table6"][variant]["versus"]["difference"] == pytest.approx(
        stored["table6"][variant]["mse_mean"] - stored["table6"]["sne"]["mse_mean"], rel=1e-5)
    assert "versus" not in stored["table6"]["sne"] and "versus" not in stored["table7"]["64"]
    assert stored["table7"]["16"]["versus"]["other"] == "chunk 64"
    for fraction in ("0.25", "1.0"):                               # SNE against the better of DWSNet / NeuralGraph
        versus = stored["data_efficiency"][f"sne@{fraction}"]["versus"]
        others = {m: stored["data_efficiency"][f"{m}@{fraction}"]["mse_mean"] for m in ("dwsnet", "neural_graph")}
        assert versus["other"] == min(others, key=others.get)
        assert versus["low"] <= versus["difference"] <= versus["high"]
        assert versus["verdict"] == ("tie" if versus["low"] <= 0 <= versus["high"] else
                                     "better" if versus["high"] < 0 else "worse")
    for name in ("chunk_size.png", "data_efficiency.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"

    def no_training(*a, **k):
        raise AssertionError("a cached result was trained again")
    monkeypatch.setattr(example, "train_and_test", no_training)
    assert example.main(args) == results


def test_chunk_size_and_fraction_lists_are_parsed_and_bad_ones_refused(capsys):
    example = load_script("examples/ablations.py")
    args = example.parse_args(["--chunk-sizes", "8,512", "--fractions", "0.05,1"])
    assert args.chunk_sizes == [8, 512] and args.fractions == [0.05, 1.0]
    defaults = example.parse_args([])
    assert defaults.chunk_sizes == list(example.CHUNK_SIZES) and defaults.fractions == list(example.FRACTIONS)
    for flag, bad in (("--chunk-sizes", "8,8"), ("--chunk-sizes", "0,64"), ("--fractions", "0,0.5"),
                      ("--fractions", "1.5")):
        with pytest.raises(SystemExit):
            example.parse_args([flag, bad])
        assert flag in capsys.readouterr().err
