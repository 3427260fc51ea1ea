import json

import numpy as np
import pytest

from sne_pyg.experiments.run_comparison import compare_settings, main


def summary(predictions: dict, targets) -> dict:
    return {"test_targets": list(targets), "test_predictions": {m: [list(s) for s in p] for m, p in predictions.items()}}


def test_each_model_is_compared_with_itself_under_the_other_setting_paired():
    rng = np.random.default_rng(0)
    targets = rng.uniform(0.5, 10, size=50)
    noisy = [targets + rng.normal(scale=1.0, size=50) for _ in range(2)]
    base = summary({"sne": noisy, "statnn": noisy + [targets], "only_base": noisy}, targets)
    other = summary({"sne": [targets + 0.01, targets - 0.01], "statnn": noisy}, targets)
    rows = compare_settings(base, other, resamples=500)
    assert set(rows) == {"sne", "statnn"}                                   # models of both files only
    assert rows["sne"]["other_mse"] == pytest.approx(1e-4)
    assert rows["sne"]["base_mse"] == pytest.approx(np.mean([np.mean((p - targets) ** 2) for p in noisy]))
    assert rows["sne"]["difference"] == pytest.approx(rows["sne"]["other_mse"] - rows["sne"]["base_mse"])
    assert rows["sne"]["verdict"] == "better" and rows["sne"]["high"] < 0
    assert rows["statnn"]["seeds"] == 2 and rows["statnn"]["difference"] == 0      # base's third seed left out
    assert rows["statnn"]["verdict"] == "tie"


def test_files_scored_on_other_networks_or_without_predictions_are_refused(tmp_path, capsys):
    targets = np.arange(5.0)
    base = summary({"sne": [targets]}, targets)
    with pytest.raises(ValueError, match="different test networks"):
        compare_settings(base, summary({"sne": [targets]}, targets + 1))
    (tmp_path / "a.json").write_text(json.dumps(base))
    (tmp_path / "b.json").write_text(json.dumps({"results": {}}))
    with pytest.raises(SystemExit, match="b.json: no test_targets or test_predictions"):
        main([str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    (tmp_path / "c.json").write_text(json.dumps(summary({"sne": [targets + 1]}, targets)))
    rows = main([str(tmp_path / "a.json"), str(tmp_path / "c.json"), "--out", str(tmp_path / "v.json"),
                 "--resamples", "200"])
    assert json.loads((tmp_path / "v.json").read_text())["models"] == rows
    assert rows["sne"]["difference"] == pytest.approx(1.0) and rows["sne"]["verdict"] == "worse"


def test_models_restricts_the_comparison_and_names_a_model_missing_from_a_file(tmp_path):
    targets = np.arange(6.0)
    base = summary({"sne": [targets + 1], "dwsnet": [targets + 2]}, targets)
    other = summary({"sne": [targets], "dwsnet": [targets + 2]}, targets)
    assert set(compare_settings(base, other, resamples=200, models=["sne"])) == {"sne"}
    (tmp_path / "a.json").write_text(json.dumps(base))
    (tmp_path / "b.json").write_text(json.dumps(other))
    with pytest.raises(SystemExit, match="neural_graph"):
        main([str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--models", "sne,neural_graph"])
