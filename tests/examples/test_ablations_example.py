import json

from tests.builders import load_script


def test_quick_ablations_write_every_study_and_resume(tmp_path, monkeypatch):
    out, root = tmp_path / "out", tmp_path / "zoo"
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
    for name in ("chunk_size.png", "data_efficiency.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"

    def no_training(*a, **k):
        raise AssertionError("a cached result was trained again")
    monkeypatch.setattr(example, "train_and_test", no_training)
    assert example.main(args) == results
