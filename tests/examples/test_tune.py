import json

from sne_pyg.experiments.tuning import load_tuned
from tests.builders import load_script


def test_quick_tuning_feeds_table_1(tmp_path):
    out, root, table = tmp_path / "tuned", tmp_path / "zoo", tmp_path / "table"
    tuner = load_script("examples/tune.py")
    results = tuner.main(["--quick", "--models", "deepsets,statnn", "--out", str(out), "--root", str(root),
                          "--no-progress"])
    for name in ("deepsets", "statnn"):
        stored = json.loads((out / f"{name}.json").read_text())
        assert len(stored["trials"]) == 2 and stored["best"] == results[name]["best"]
        assert stored["best"]["hidden"] in (8, 16) and stored["best"]["epochs"] == 2
    summary = json.loads((out / "summary.json").read_text())
    assert summary["command"].startswith("python examples/tune.py --quick") and summary["trials"] == 2
    assert summary["best"]["statnn"]["val_mse"] == results["statnn"]["best_val_mse"]
    example = load_script("examples/inr_frequency.py")
    example.main(["--quick", "--models", "deepsets,statnn,flat_mlp", "--tuned", str(out), "--out", str(table),
                  "--root", str(root), "--no-progress", "--seeds", "2"])
    summary = json.loads((table / "summary.json").read_text())
    assert summary["tuned"] == {name: load_tuned(str(out / f"{name}.json")) for name in ("deepsets", "statnn")}
    cached = json.loads((table / "cache" / "deepsets-seed0.json").read_text())
    assert cached["settings"]["tuned"] == summary["tuned"]["deepsets"]
    assert "tuned" not in json.loads((table / "cache" / "flat_mlp-seed0.json").read_text())["settings"]
    later = tuner.main(["--quick", "--models", "flat_mlp", "--out", str(out), "--root", str(root), "--no-progress"])
    summary = json.loads((out / "summary.json").read_text())      # a later run into OUT keeps the earlier models
    assert sorted(summary["best"]) == ["deepsets", "flat_mlp", "statnn"]
    assert summary["best"]["deepsets"]["val_mse"] == results["deepsets"]["best_val_mse"]
    assert summary["best"]["flat_mlp"] == {"settings": later["flat_mlp"]["best"], "trials": 2,
                                           "val_mse": later["flat_mlp"]["best_val_mse"]}
    assert sorted(p.name for p in out.glob("*.db")) == ["deepsets.db", "flat_mlp.db", "statnn.db"]
