"""README tables come from the result files: the README agrees with them, and a changed file is caught."""
import json
import os

import pytest

from sne_pyg.experiments.readme_tables import (main, regenerate, render_ablation, render_data_efficiency, render_mse,
                                              render_fit, render_levers, render_probe, render_versus, render_tuning, render_reconstruction, render_table6, render_table7,
                                              render_tau)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_readme_agrees_with_the_result_files():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    assert text.count("<!-- table ") >= 3
    new, changed = regenerate(text, ROOT)
    assert changed == [], f"README blocks out of date: {changed}; run python -m sne_pyg.experiments.readme_tables"
    assert new == text


MSE_RESULT = {"results": {"b": {"params": 1234, "mse_mean": 0.5, "mse_std": 0.25, "seeds": 3},
                          "sne": {"params": 99, "mse_mean": 0.125, "mse_std": 0.0625, "seeds": 3}},
              "mean_baseline_mse": 6.0,
              "sne_vs_best": {"other": "b", "difference": -0.375, "low": -0.5, "high": -0.25, "level": 0.95,
                              "resamples": 1000, "verdict": "better"}}


def test_mse_table_is_sorted_with_the_best_in_bold_and_the_comparison():
    assert render_mse(MSE_RESULT).splitlines() == [
        "| model | #params | test MSE (mean ± std, 3 seeds) |", "| --- | --- | --- |",
        "| sne | 99 | **0.1250 ± 0.0625** |", "| b | 1,234 | 0.5000 ± 0.2500 |",
        "| predict the train mean | – | 6.0000 |", "",
        "SNE − b (the best other model): -0.3750 test MSE, paired bootstrap 95% interval [-0.5000, -0.2500] over "
        "test networks and seeds (1,000 resamples): **SNE better**."]


def test_tau_and_probe_tables():
    tau = {"results": {"x": {"params": 10, "tau_mean": 0.1, "tau_std": 0.01, "taus": [0.1, 0.1]},
                       "y": {"params": 20, "tau_mean": 0.3, "tau_std": 0.02, "taus": [0.3, 0.3]}}}
    assert render_tau(tau).splitlines()[2:] == ["| y | 20 | 0.300 ± 0.020 |", "| x | 10 | 0.100 ± 0.010 |"]
    versus = {"other": "y", "difference": -0.2, "low": -0.35, "high": -0.05, "level": 0.95, "verdict": "worse"}
    lines = render_tau(dict(tau, sne_vs_best=versus, splits={"train": 600, "val": 100, "test": 300})).splitlines()
    assert lines[2:4] == ["| y | 20 | **0.300 ± 0.020** |", "| x | 10 | 0.100 ± 0.010 |"]     # the best in bold
    one_seed = {"results": {"x": {"params": 10, "tau_mean": 0.1, "tau_std": 0.0, "taus": [0.1]}}}
    assert render_tau(one_seed).splitlines()[2] == "| x | 10 | 0.100 |"
    assert lines[5] == ("SNE − y (the best other model): -0.200 Kendall tau, paired bootstrap 95% interval "
                        "[-0.350, -0.050] over the 300 test networks and seeds: **SNE worse**.")
    probe = {"methods": {"W": {"acc": {"r2": {"mean": 0.5, "std": 0.0, "values": [0.5]}},
                               "act": {"accuracy": {"mean": 0.75, "std": 0.0, "values": [0.75]}}},
                         "rep": {"acc": {"r2": {"mean": 0.25, "std": 0.1, "values": [0.2, 0.3]}},
                                 "act": {"accuracy": {"mean": 1.0, "std": 0.0, "values": [1.0, 1.0]}}}}}
    assert render_probe(probe).splitlines() == ["| method | acc (R²) | act (acc) |", "| --- | --- | --- |",
                                                "| W | 0.500 | 0.750 |", "| rep | 0.250 ± 0.100 | 1.000 ± 0.000 |"]


def _summary(*values):
    mean = sum(values) / len(values)
    return {"mean": mean, "std": 0.5, "values": list(values)}


def test_ablation_table_averages_r2_and_accuracy_apart():
    setting = lambda shift: {"test_accuracy": {"r2": _summary(0.5 + shift, 0.7 + shift)},
                             "epoch": {"r2": _summary(-0.5, -0.3)},
                             "activation": {"accuracy": _summary(0.75, 0.25)},
                             "reconstruction_r2": _summary(0.9, 0.8)}
    result = {"loss_ablation": {"ED": setting(0.0), "Ec": setting(0.1)}, "augmentation_ablation": {"P": setting(0.2)}}
    lines = render_ablation(result).splitlines()
    assert lines[0] == ("| loss | test_accuracy R² | mean R² (2 properties) | mean accuracy (1 properties) | "
                        "reconstruction R² (2 seeds) |")
    # ED: test_accuracy 0.6, epoch -0.4 -> mean R² 0.1; accuracy 0.5 (never mixed with R²)
    assert lines[2] == "| ED | 0.600 ± 0.500 | 0.100 | 0.500 | 0.850 ± 0.500 |"
    assert lines[3] == "| Ec | 0.700 ± 0.500 | 0.150 | 0.500 | 0.850 ± 0.500 |"
    assert lines[4] == "" and lines[5].startswith("| augmentations |") and lines[7].startswith("| P | 0.800 ")
    one_seed = {"loss_ablation": {"ED": {"test_accuracy": {"r2": _summary(0.25)}, "reconstruction_r2": _summary(0.5)}}}
    assert render_ablation(one_seed).splitlines()[2] == "| ED | 0.250 | 0.250 | nan | 0.500 |"
    with pytest.raises(KeyError):
        render_ablation({"methods": {}})


def test_a_changed_file_fails_the_check_and_regenerating_fixes_it(tmp_path, capsys):
    (tmp_path / "r.json").write_text(json.dumps(MSE_RESULT))
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n<!-- table mse r.json -->\n{render_mse(MSE_RESULT)}\n<!-- /table -->\nend\n")
    assert main(["--readme", str(readme), "--root", str(tmp_path), "--check"]) == 0
    changed = dict(MSE_RESULT, mean_baseline_mse=7.0)
    (tmp_path / "r.json").write_text(json.dumps(changed))
    assert main(["--readme", str(readme), "--root", str(tmp_path), "--check"]) == 1
    assert "block 'mse r.json' disagrees" in capsys.readouterr().err
    assert main(["--readme", str(readme), "--root", str(tmp_path)]) == 0
    text = readme.read_text()
    assert "| predict the train mean | – | 7.0000 |" in text and text.startswith("intro\n") and text.endswith("end\n")
    assert main(["--readme", str(readme), "--root", str(tmp_path), "--check"]) == 0


def test_bad_blocks_name_the_file_or_kind(tmp_path):
    with pytest.raises(ValueError, match="missing.json"):
        regenerate("<!-- table mse missing.json -->\n<!-- /table -->", str(tmp_path))
    with pytest.raises(ValueError, match="unknown table kind"):
        regenerate("<!-- table pie x.json -->\n<!-- /table -->", str(tmp_path))
    (tmp_path / "x.json").write_text(json.dumps({"results": {}}))
    with pytest.raises(ValueError, match=r"x.json lacks 'methods'"):
        regenerate("<!-- table probe x.json -->\n<!-- /table -->", str(tmp_path))


def test_reconstruction_table_has_a_row_per_recipe_and_a_column_per_split():
    result = {"reconstruction": {"ED": {"train": _summary(0.9, 0.7), "val": _summary(0.1, 0.3), "test": _summary(-0.1, 0.1),
                                        "best_epoch": _summary(12.0, 14.0), "seconds": _summary(3.0, 4.0)},
                                 "PCA (32 components)": {"train": _summary(0.5), "val": _summary(0.2), "test": _summary(0.25)}}}
    assert render_reconstruction(result).splitlines() == [
        "| recipe | train R² | val R² | test R² | best epoch |", "| --- | --- | --- | --- | --- |",
        "| ED | 0.800 ± 0.500 | 0.200 ± 0.500 | 0.000 ± 0.500 | 13 |",
        "| PCA (32 components) | 0.500 | 0.200 | 0.250 | – |"]


def test_data_efficiency_table_pivots_models_into_columns_and_bolds_each_rows_best():
    def row(model, fraction, n, *mse):
        mean = sum(mse) / len(mse)
        return {"model": model, "fraction": fraction, "train_networks": n, "mse": list(mse), "mse_mean": mean,
                "mse_std": 0.25}
    rows = [row("sne", 0.5, 24, 0.8), row("dwsnet", 0.5, 24, 2.0), row("sne", 1.0, 48, 0.4), row("dwsnet", 1.0, 48, 0.3)]
    table = render_data_efficiency({"results": {"data_efficiency": {f"{r['model']}@{r['fraction']}": r for r in rows}}})
    assert table.splitlines() == ["| training INRs | sne test MSE | dwsnet test MSE |", "| --- | --- | --- |",
                                  "| 24 | **0.8000** | 2.0000 |", "| 48 | 0.4000 | **0.3000** |", "",
                                  "(1 seed; mean ± std where there is more than one)"]
    two = [row("sne", 1.0, 48, 0.4, 0.6)]
    assert render_data_efficiency({"results": {"data_efficiency": {"sne@1.0": two[0]}}}).splitlines()[2] == \
        "| 48 | **0.5000 ± 0.2500** |"


def test_table6_keeps_the_files_order_and_measures_each_variant_against_the_full_model():
    rows = {"sne": {"mse": [0.4, 0.5], "mse_mean": 0.45, "mse_std": 0.0707, "params": 84289},
            "mean pooling": {"mse": [0.5, 0.6], "mse_mean": 0.55, "mse_std": 0.0707, "params": 6721}}
    assert render_table6({"results": {"table6": rows}}).splitlines() == [
        "| variant | #params | test MSE (2 seeds) | vs full SNE |", "| --- | --- | --- | --- |",
        "| sne | 84,289 | 0.4500 ± 0.0707 | – |", "| mean pooling | 6,721 | 0.5500 ± 0.0707 | +0.1000 |"]


def test_ablation_tables_show_the_paired_interval_where_the_file_has_one():
    versus = {"other": "sne", "difference": 0.1, "low": 0.02, "high": 0.18, "level": 0.95, "resamples": 500,
              "verdict": "worse"}
    rows = {"sne": {"mse": [0.4, 0.5], "mse_mean": 0.45, "mse_std": 0.0707, "params": 84289},
            "mean pooling": {"mse": [0.5, 0.6], "mse_mean": 0.55, "mse_std": 0.0707, "params": 6721, "versus": versus},
            "no level": {"mse": [0.4, 0.6], "mse_mean": 0.5, "mse_std": 0.1414, "params": 84289,
                         "versus": dict(versus, difference=0.05, low=-0.01, verdict="tie")}}
    assert render_table6({"results": {"table6": rows}}).splitlines()[3:] == [
        "| mean pooling | 6,721 | 0.5500 ± 0.0707 | +0.1000 [+0.0200, +0.1800], worse |",
        "| no level | 84,289 | 0.5000 ± 0.1414 | +0.0500 [-0.0100, +0.1800], tie |"]
    cells = {"sne@1.0": {"model": "sne", "fraction": 1.0, "train_networks": 48, "mse": [0.4], "mse_mean": 0.4,
                         "mse_std": 0.0, "versus": dict(versus, other="dwsnet", difference=0.1)},
             "dwsnet@1.0": {"model": "dwsnet", "fraction": 1.0, "train_networks": 48, "mse": [0.3], "mse_mean": 0.3,
                            "mse_std": 0.0}}
    assert render_data_efficiency({"results": {"data_efficiency": cells}}).splitlines()[:3] == [
        "| training INRs | sne test MSE | dwsnet test MSE | SNE − best other (95% interval) |",
        "| --- | --- | --- | --- |", "| 48 | 0.4000 | **0.3000** | +0.1000 [+0.0200, +0.1800], worse vs dwsnet |"]


def test_table7_sorts_chunk_sizes_numerically_and_compares_each_with_the_default():
    versus = {"other": "chunk 64", "difference": -0.02, "low": -0.05, "high": 0.01, "level": 0.95,
              "resamples": 500, "verdict": "tie"}
    rows = {"8": {"mse": [0.5], "mse_mean": 0.5, "mse_std": 0.0, "params": 84289, "versus": dict(versus, difference=0.1,
                                                                                                 low=0.05, high=0.15,
                                                                                                 verdict="worse")},
            "64": {"mse": [0.4], "mse_mean": 0.4, "mse_std": 0.0, "params": 84289},
            "16": {"mse": [0.38], "mse_mean": 0.38, "mse_std": 0.0, "params": 84289, "versus": versus}}
    assert render_table7({"results": {"table7": rows}}).splitlines() == [
        "| chunk size | #params | test MSE (1 seed) | vs the default chunk size (95% interval) |",
        "| --- | --- | --- | --- |",
        "| 8 | 84,289 | 0.5000 | +0.1000 [+0.0500, +0.1500], worse vs chunk 64 |",
        "| 16 | 84,289 | 0.3800 | -0.0200 [-0.0500, +0.0100], tie vs chunk 64 |",
        "| 64 | 84,289 | 0.4000 | – |"]


def test_transfer_table_bolds_each_rows_best_marks_unreadable_pairs_and_ends_with_the_averages():
    from sne_pyg.experiments.readme_tables import render_transfer
    entry = lambda taus: {"tau_mean": sum(taus) / len(taus), "tau_std": 0.1, "taus": taus}
    summary = {"models": ["sne", "neural_graph"],
               "results": {"a->a": {"sne": entry([0.2, 0.4]), "neural_graph": entry([0.5, 0.5])},
                           "a->b": {"sne": entry([0.6, 0.6])}},
               "averages": {"sne": {"average": 0.45, "average_transfer": 0.6},
                            "neural_graph": {"average": 0.5, "average_transfer": None}},
               "sne_vs_best": {"a->a": {"other": "neural_graph", "difference": -0.2, "low": -0.4, "high": 0.05,
                                        "verdict": "tie"}}}
    assert render_transfer(summary).splitlines() == [
        "| train -> test | sne | neural_graph | SNE − best other [95% interval] |",
        "| --- | --- | --- | --- |",
        "| a->a | 0.300 ± 0.100 | **0.500 ± 0.100** | -0.2000 [-0.4000, +0.0500], tie vs neural_graph |",
        "| a->b | **0.600 ± 0.100** | n/a | – |",
        "| **average** | 0.450 | 0.500 | |",
        "| **average, transfer pairs** | 0.600 | n/a | |"]


def test_pooled_table_names_each_test_sets_size_marks_unread_and_undefined_and_ends_with_knn_and_sizes():
    from sne_pyg.experiments.readme_tables import render_pooled
    entry = lambda taus: {"tau_mean": sum(taus) / len(taus), "tau_std": 0.05, "taus": taus}
    summary = {"models": ["sne", "neural_graph"], "networks": {"all": 96, "architecture=transformer": 24,
                                                               "dataset=digits": 24},
               "results": {"all": {"sne": entry([0.3, 0.4]), "neural_graph": entry([0.2, 0.2])},
                           "architecture=transformer": {"sne": entry([0.1, 0.1]),
                                                        "neural_graph": {"unsupported": "attention"}},
                           "dataset=digits": {"sne": {"tau_mean": None, "tau_std": None, "taus": [None, None]},
                                              "neural_graph": entry([0.3, 0.3])}},
               "sne_vs_best": {"all": {"other": "neural_graph", "difference": 0.15, "low": 0.05, "high": 0.25,
                                       "verdict": "better"},
                               "dataset=digits": {"other": "neural_graph", "difference": None, "low": None,
                                                  "high": None, "verdict": "undefined"}},
               "knn_accuracy": {"sne": {"architecture": 0.845, "dataset": 0.31},
                                "neural_graph": {"architecture": 0.9, "dataset": None}},
               "params": {"sne": 84289, "neural_graph": 74337}}
    assert render_pooled(summary).splitlines() == [
        "| test set | sne | neural_graph | SNE − best other [95% interval] |",
        "| --- | --- | --- | --- |",
        "| all (96) | **0.350 ± 0.050** | 0.200 ± 0.050 | +0.1500 [+0.0500, +0.2500], **better** vs neural_graph |",
        "| architecture=transformer (24) | **0.100 ± 0.050** | n/a | – |",
        "| dataset=digits (24) | undefined | **0.300 ± 0.050** | undefined vs neural_graph |",
        "| 5-NN accuracy of the embedding: architecture | 0.845 | 0.900 | |",
        "| 5-NN accuracy of the embedding: dataset | 0.310 | n/a | |",
        "| parameters | 84,289 | 74,337 | |"]


def test_levers_table_keeps_the_files_order_and_marks_only_a_clear_gain_in_bold():
    levers = {"baseline": {"options": [], "params": 84289, "tau_mean": 0.675, "tau_std": 0.0, "taus": [0.675]},
              "heads1": {"options": ["--model-option", "sne.heads=1"], "params": 84289, "tau_mean": 0.70,
                         "tau_std": 0.0, "taus": [0.70], "difference": 0.025, "low": 0.004, "high": 0.046,
                         "verdict": "better", "final_train_loss": [0.11, 0.13]},
              "lr3e-3": {"options": ["--train-option", "lr=3e-3"], "params": 84289, "tau_mean": 0.625,
                         "tau_std": 0.0, "taus": [0.625], "difference": -0.05, "low": -0.087, "high": 0.014,
                         "verdict": "tie"}}
    assert render_levers({"levers": levers}).splitlines() == [
        "| lever | options | #params | Kendall tau (1 seed) | vs SNE's default (95% interval) | final training loss |",
        "| --- | --- | --- | --- | --- | --- |",
        "| baseline | `(SNE's default recipe)` | 84,289 | 0.675 | – | – |",
        "| heads1 | `--model-option sne.heads=1` | 84,289 | 0.700 | +0.025 [+0.004, +0.046] **better** | 0.120 |",
        "| lr3e-3 | `--train-option lr=3e-3` | 84,289 | 0.625 | -0.050 [-0.087, +0.014] tie | – |"]


def test_versus_table_sorts_by_the_other_setting_and_bolds_only_a_clear_improvement():
    row = {"seeds": 1, "low": -0.2, "high": -0.1, "level": 0.95, "resamples": 100}
    result = {"models": {"a": dict(row, base_mse=0.5, other_mse=0.35, difference=-0.15, verdict="better"),
                         "b": dict(row, base_mse=0.3, other_mse=0.32, difference=0.02, low=-0.01, high=0.05,
                                   verdict="tie")}}
    assert render_versus(result).splitlines() == [
        "| model | test MSE, base (1 seed) | test MSE, other | other − base (95% interval) |",
        "| --- | --- | --- | --- |",
        "| b | 0.3000 | 0.3200 | +0.0200 [-0.0100, +0.0500] tie |",
        "| a | 0.5000 | 0.3500 | -0.1500 [-0.2000, -0.1000] **better** |"]


def test_mse_table_of_one_seed_shows_the_values_without_a_spread():
    result = {"results": {"a": {"params": 10, "mse_mean": 0.5, "mse_std": 0.0, "seeds": 1},
                          "b": {"params": 20, "mse_mean": 0.25, "mse_std": 0.0, "seeds": 1}}}
    assert render_mse(result).splitlines() == ["| model | #params | test MSE (1 seed) |", "| --- | --- | --- |",
                                               "| b | 20 | **0.2500** |", "| a | 10 | 0.5000 |"]


def test_tuning_table_sorts_by_validation_mse_and_states_the_shared_space():
    settings = {"lr": 1.2345e-3, "weight_decay": 3.1e-5, "hidden": 64, "epochs": 30, "augment": True, "li_weight": 0.1}
    result = {"best": {"a": {"settings": settings, "val_mse": 0.5, "trials": 6, "pruned": 2},
                       "b": {"settings": dict(settings, augment=False, li_weight=0.0, hidden=16), "val_mse": 0.25,
                             "trials": 6}},
              "space": {"lr": [1e-4, 3e-3], "epochs": [15, 30], "augment": [False, True], "li_weight": [0.0, 0.1]}}
    lines = render_tuning(result).splitlines()
    assert lines[2:4] == ["| b | 0.2500 | 1.23e-03 | 3.1e-05 | 16 | 30 | no | 0 | 6 (0) |",
                          "| a | 0.5000 | 1.23e-03 | 3.1e-05 | 64 | 30 | yes | 0.1 | 6 (2) |"]
    assert lines[-1] == ("Search space (the same for every model): lr 1e-04 to 3e-03; epochs 15, 30; "
                         "augment False, True; li_weight 0.0, 0.1.")


def test_fit_table_keeps_the_files_order_and_ends_with_the_targets_variance():
    result = {"settings": {"count": 64}, "target_variance": 7.51234,
              "results": {"sne": {"mse": [0.32411], "mse_mean": 0.32411, "params": 84289},
                          "dwsnet": {"mse": [0.01466], "mse_mean": 0.01466, "params": 35521}}}
    assert render_fit(result).splitlines() == [
        "| variant | #params | MSE on its 64 training INRs (1 seed) |", "| --- | --- | --- |",
        "| sne | 84,289 | 0.3241 |", "| dwsnet | 35,521 | 0.0147 |", "| (the targets' variance) | – | 7.5123 |"]
