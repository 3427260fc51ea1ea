import json

from sne_pyg.experiments.tuning import load_tuned
from tests.builders import load_script


def test_quick_tuning_feeds_table_1(tmp_path, quick_zoos):
    out, root, table = tmp_path / "tuned", quick_zoos, tmp_path / "table"
    tuner = load_script("examples/tune.py")
    results = tuner.main(["--quick", "--models", "deepsets,statnn", "--out", str(out), "--root", str(root),
                          "--no-progress"])
    for name in ("deepsets", "statnn"):
        stored = json.loads((out / f"{name}.json").read_text())
        assert len(stored["trials"]) == 2 and stored["best"] == results[name]["best"]
        assert stored["best"]["hidden"] in (12, 16) and stored["best"]["epochs"] == 2
    summary = json.loads((out / "summary.json").read_text())
    assert summary["command"].startswith("python examples/tune.py --quick") and summary["trials"] == 2
    assert summary["best"]["statnn"]["val_mse"] == results["statnn"]["best_val_mse"]
    assert (out / "tuning.png").read_bytes()[:4] == b"\x89PNG"
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
                                           "val_mse": later["flat_mlp"]["best_val_mse"],
                                           "pruned": later["flat_mlp"]["pruned"]}
    assert sorted(p.name for p in out.glob("*.db")) == ["deepsets.db", "flat_mlp.db", "statnn.db"]


def test_quick_tuning_on_a_classifier_zoo_feeds_the_accuracy_table(tmp_path, quick_zoos):
    out, table = tmp_path / "tuned", tmp_path / "table"
    tuner = load_script("examples/tune.py")
    results = tuner.main(["--quick", "--zoo", "arch1-digits", "--models", "statnn", "--out", str(out), "--root",
                          quick_zoos, "--no-progress"])
    best = load_tuned(str(out / "statnn.json"))
    assert best == results["statnn"]["best"] and best["epochs"] == 2 and best["hidden"] != 8   # 8: the quick width
    summary = json.loads((out / "summary.json").read_text())
    assert summary["zoo"] == "arch1-digits" and summary["target"] == 0
    example = load_script("examples/accuracy_prediction.py")
    scored = example.main(["--quick", "--models", "statnn,flat_mlp", "--tuned", str(out), "--out", str(table),
                           "--root", quick_zoos, "--no-progress", "--seeds", "1"])
    summary = json.loads((table / "summary.json").read_text())
    assert summary["tuned"] == {"statnn": best}                 # flat_mlp has no tuned file: the default recipe
    assert json.loads((table / "cache" / "statnn-seed0.json").read_text())["settings"]["tuned"] == best
    from sne_pyg.nn import build_model
    from sne_pyg.train import materialize, prepare_dataset
    from sne_pyg.data.sources import zoo_split
    import glob
    folder = glob.glob(f"{quick_zoos}/arch1-digits-n24-s2-*-k4-f0.6,0.1,0.3")
    assert len(folder) == 1                                        # tuning and the table read the same zoo
    model = build_model("statnn", hidden=best["hidden"], out_dim=1)
    train = zoo_split(folder[0], "train")
    materialize(model, prepare_dataset(model, train))
    assert scored["statnn"]["params"] == sum(p.numel() for p in model.parameters())   # the tuned width was used
    assert summary["histories"]["statnn"][0][-1]["epoch"] <= best["epochs"]


def test_choice_flags_narrow_the_search_space_and_bad_lists_are_refused(capsys):
    tuner = load_script("examples/tune.py")
    args = tuner.parse_args(["--epochs-choices", "15,30", "--hidden-choices", "32"])
    assert args.space.epochs == (15, 30) and args.space.hidden == (32,)
    assert args.space.lr == tuner.SearchSpace().lr                       # the other fields keep their defaults
    assert tuner.parse_args([]).space == tuner.SearchSpace()
    for bad in ("15,x", "0,30", "15,15"):
        try:
            tuner.parse_args(["--epochs-choices", bad])
        except SystemExit:
            assert "--epochs-choices" in capsys.readouterr().err
        else:
            raise AssertionError(f"--epochs-choices {bad} was accepted")


def test_summary_records_the_search_space(tmp_path, quick_zoos):
    out, root = tmp_path / "tuned", quick_zoos
    tuner = load_script("examples/tune.py")
    tuner.main(["--quick", "--models", "flat_mlp", "--out", str(out), "--root", str(root), "--no-progress"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["space"]["epochs"] == [2] and summary["space"]["hidden"] == [12, 16]
    stored = json.loads((out / "flat_mlp.json").read_text())
    assert summary["space"] == stored["space"] and summary["best"]["flat_mlp"]["pruned"] == stored["pruned"]


def test_a_model_option_is_tuned_with_and_table_1_refuses_its_settings_without_it(tmp_path, quick_zoos):
    import pytest
    out, root = tmp_path / "tuned", quick_zoos
    tuner = load_script("examples/tune.py")
    tuner.main(["--quick", "--models", "sne", "--model-option", "sne.neuron_context=true", "--out", str(out),
                "--root", str(root), "--no-progress"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["best"]["sne"]["model_options"] == {"neuron_context": True}
    assert json.loads((out / "sne.json").read_text())["model_options"] == {"neuron_context": True}
    example = load_script("examples/inr_frequency.py")
    with pytest.raises(SystemExit, match=r"sne.json: tuned with model options \{'neuron_context': True\}"):
        example.main(["--quick", "--models", "sne", "--tuned", str(out), "--out", str(tmp_path / "table"),
                      "--root", str(root), "--no-progress"])
