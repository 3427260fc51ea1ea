"""The result files behind README claims agree with themselves: kept predictions give the table's numbers."""
import json
import os

import numpy as np
import pytest

from sne_pyg.experiments.bootstrap import versus_best_other

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("name", ["inr_frequency.json", "inr_frequency_tuned.json", "inr_frequency_tuned12.json",
                                  "inr_frequency_context.json"])
def test_table1_numbers_follow_from_the_kept_predictions(name):
    with open(os.path.join(ROOT, "docs", "results", name)) as f:
        result = json.load(f)
    targets = np.array(result["test_targets"])
    predictions = {m: np.array(p) for m, p in result["test_predictions"].items()}
    assert set(predictions) == set(result["results"]) and len(targets) == result["zoo"]["test"]
    for model, row in result["results"].items():
        per_seed = ((predictions[model] - targets) ** 2).mean(1)          # predictions rounded to 1e-6
        np.testing.assert_allclose(per_seed, result["per_seed"][model]["mse"], rtol=1e-4, atol=1e-6)
        assert row["mse_mean"] == pytest.approx(per_seed.mean(), rel=1e-4)
    versus = result["sne_vs_best"]
    again = versus_best_other(predictions, targets, "sne", "mse", resamples=versus["resamples"])
    assert again["other"] == versus["other"] and again["verdict"] == versus["verdict"]
    for key in ("difference", "low", "high"):
        assert again[key] == pytest.approx(versus[key], abs=1e-4)


@pytest.mark.parametrize("name", ["accuracy_prediction_large.json", "accuracy_prediction_context.json"])
def test_default_size_accuracy_table_follows_from_the_kept_predictions(name):
    """docs/results/accuracy_prediction_large.json (and the neuron-context run): the zoo holds >= 600 training and >= 150 test networks, every
    model's taus are Kendall's tau of its kept test predictions (scipy, computed here independently), and the
    paired bootstrap of SNE against the best other model is reproduced."""
    from scipy.stats import kendalltau
    with open(os.path.join(ROOT, "docs", "results", name)) as f:
        result = json.load(f)
    assert result["splits"]["train"] >= 600 and result["splits"]["test"] >= 150
    for model, row in result["results"].items():
        targets = np.array(row["targets"])
        assert len(targets) == result["splits"]["test"]
        taus = [kendalltau(np.array(p), targets).statistic for p in row["predictions"]]
        np.testing.assert_allclose(taus, row["taus"], atol=1e-9)
        assert row["tau_mean"] == pytest.approx(np.mean(taus))
    versus = result["sne_vs_best"]
    best_other = max((m for m in result["results"] if m != "sne"), key=lambda m: result["results"][m]["tau_mean"])
    assert versus["other"] == best_other
    predictions = {m: np.array(r["predictions"]) for m, r in result["results"].items()}
    again = versus_best_other(predictions, np.array(result["results"]["sne"]["targets"]), "sne", "tau",
                              resamples=versus["resamples"])
    assert again["verdict"] == versus["verdict"]
    for key in ("difference", "low", "high"):
        assert again[key] == pytest.approx(versus[key], abs=1e-6)


@pytest.mark.parametrize("name", ["sne_levers.json", "sne_levers_heads1.json", "sne_levers_context.json"])
def test_sne_lever_studies_follow_from_the_kept_predictions(name):
    """docs/results/sne_levers*.json: each lever's taus are Kendall's tau of its kept predictions (scipy), and its
    paired bootstrap against the baseline is reproduced from them."""
    from scipy.stats import kendalltau
    from sne_pyg.experiments.bootstrap import paired_bootstrap
    with open(os.path.join(ROOT, "docs", "results", name)) as f:
        result = json.load(f)
    targets, levers = np.array(result["targets"]), result["levers"]
    assert next(iter(levers)) == "baseline" and len(targets) >= 150
    for lever, row in levers.items():
        taus = [kendalltau(np.array(p), targets).statistic for p in row["predictions"]]
        np.testing.assert_allclose(taus, row["taus"], atol=1e-9)
        if lever == "baseline":
            continue
        again = paired_bootstrap(np.array(row["predictions"]), np.array(levers["baseline"]["predictions"]), targets,
                                 "tau", resamples=row["resamples"])
        assert again.verdict == row["verdict"]
        for key in ("difference", "low", "high"):
            assert getattr(again, key) == pytest.approx(row[key], abs=1e-6)


def test_the_neuron_context_lever_is_the_accuracy_runs_of_sne_with_context_on_one_regenerated_zoo():
    """sne_levers_context.json's context lever is accuracy_prediction_context.json's SNE (the same cached runs,
    option given); its baseline, SNE with the default recipe, predicted the same 300 test networks; and that zoo,
    regenerated this sitting, differs from the fifteenth sitting's (accuracy_prediction_large.json) in 43 test
    accuracies, which is why neither file is paired with the older ones."""
    def load(name):
        with open(os.path.join(ROOT, "docs", "results", name)) as f:
            return json.load(f)
    levers, accuracy, older = (load(n) for n in ("sne_levers_context.json", "accuracy_prediction_context.json",
                                                  "accuracy_prediction_large.json"))
    assert levers["levers"]["context"]["options"] == ["--model-option", "sne.neuron_context=true"]
    assert levers["levers"]["context"]["predictions"] == accuracy["results"]["sne"]["predictions"]
    assert levers["targets"] == accuracy["results"]["sne"]["targets"] == accuracy["results"]["neural_graph"]["targets"]
    assert levers["levers"]["context"]["params"] == levers["levers"]["baseline"]["params"] + 256
    differ = np.sum(np.array(levers["targets"]) != np.array(older["results"]["sne"]["targets"]))
    assert differ == 43


@pytest.mark.parametrize("base, other, versus, settings", [
    ("inr_frequency", "inr_frequency_input_norm", "inr_frequency_input_norm_versus", {"input_norm": "entry"}),
    ("inr_frequency", "inr_frequency_tuned", "inr_frequency_tuned_versus", {"tuned": "docs/tuned/inr_frequency"}),
    ("inr_frequency_tuned", "inr_frequency_tuned_input_norm", "inr_frequency_tuned_input_norm_versus",
     {"input_norm": "entry", "tuned": "docs/tuned/inr_frequency"}),
    ("inr_frequency", "inr_frequency_tuned12", "inr_frequency_tuned12_versus", {"tuned": "docs/runs/tune_inr"}),
    ("inr_frequency_tuned", "inr_frequency_tuned12", "inr_frequency_tuned12_versus_tuned4",
     {"tuned": "docs/runs/tune_inr"})])
def test_a_table_1_variant_and_its_comparison_follow_from_the_kept_predictions(base, other, versus, settings):
    """docs/results/inr_frequency_<variant>.json and its comparison file ``versus``: each model's MSE is that of its
    kept predictions, on the same test INRs as Table 1, and each row of the comparison is the paired bootstrap of the
    seeds both files have, seed k against seed k (input normalisation, untuned and tuned; the equal-budget tuned
    settings, 4 trials and the issue's 12)."""
    variant = _variant_follows_from_its_predictions(base, other, versus)
    assert {key: variant["settings"].get(key) for key in settings} == settings
    if "tuned" in settings:                      # each model trained with its stored tuned settings
        from sne_pyg.experiments.tuning import tuned_settings
        assert variant["tuned"] == tuned_settings(os.path.join(ROOT, settings["tuned"]), list(variant["results"]))


@pytest.mark.parametrize("lever, changed", [("width64", {"hidden": 64}), ("no_augment", {"augment": False}),
                                            ("li1", {"li_weight": 1.0}),
                                            ("epochs60", {"epochs": 60}),
                                            ("depth3", {"model_options": {"chunk_blocks": 3, "layer_blocks": 3,
                                                                          "network_blocks": 3}})])
def test_an_sne_lever_on_tuned_table_1_changes_one_setting_and_follows_from_its_predictions(lever, changed):
    """docs/results/inr_frequency_sne_<lever>.json trained SNE with its tuned settings but one
    (docs/tuned/inr_frequency_levers/<lever>/sne.json), and its ``_versus`` file pairs it with the tuned run."""
    from sne_pyg.experiments.tuning import load_tuned
    variant = _variant_follows_from_its_predictions("inr_frequency_tuned", f"inr_frequency_sne_{lever}")
    with open(os.path.join(ROOT, "docs", "results", "inr_frequency_tuned.json")) as f:
        tuned = json.load(f)["tuned"]["sne"]
    stored = load_tuned(os.path.join(ROOT, "docs", "tuned", "inr_frequency_levers", lever, "sne.json"))
    assert variant["tuned"]["sne"] == stored == {**tuned, **changed} != tuned


def _variant_follows_from_its_predictions(base_name: str, other: str, versus: str | None = None,
                                          models: set[str] | None = None) -> dict:
    """Check ``other`` against ``base_name`` (both in docs/results) as the tests above say, the comparison read from
    ``versus`` (default ``<other>_versus``; of ``models``, default every model of ``other``); returns ``other``."""
    from sne_pyg.experiments.bootstrap import paired_bootstrap
    files = {}
    for name in (base_name, other, versus or f"{other}_versus"):
        with open(os.path.join(ROOT, "docs", "results", f"{name}.json")) as f:
            files[name] = json.load(f)
    base, variant, versus = files.values()
    targets = np.array(variant["test_targets"])
    assert variant["test_targets"] == base["test_targets"]
    for model, row in variant["results"].items():
        predictions = np.array(variant["test_predictions"][model])
        assert row["mse_mean"] == pytest.approx(((predictions - targets) ** 2).mean(), rel=1e-4)
    assert set(versus["models"]) == (models or set(variant["results"]))
    for model, row in versus["models"].items():
        seeds = min(len(f["test_predictions"][model]) for f in (variant, base))   # seed k against seed k
        pair = [np.array(f["test_predictions"][model])[:seeds] for f in (variant, base)]
        again = paired_bootstrap(*pair, targets, "mse", resamples=row["resamples"])
        assert row["seeds"] == seeds and again.verdict == row["verdict"]
        for key in ("difference", "low", "high"):
            assert getattr(again, key) == pytest.approx(row[key], abs=1e-4)
    return variant


def test_sne_with_neuron_context_changes_only_that_option_and_reuses_the_peers_runs():
    """docs/results/inr_frequency_context.json: SNE built with neuron_context=True (its lift reads 8 more inputs:
    8 x hidden more weights) at plain SNE's 12-trial settings; DWSNet's and NeuralGraph's predictions are those of
    docs/results/inr_frequency_tuned12.json; the ``_versus`` file pairs the two SNEs seed by seed."""
    variant = _variant_follows_from_its_predictions("inr_frequency_tuned12", "inr_frequency_context",
                                                    models={"sne"})
    with open(os.path.join(ROOT, "docs", "results", "inr_frequency_tuned12.json")) as f:
        plain = json.load(f)
    assert variant["settings"]["model_options"] == [["sne", "neuron_context", True]]
    assert variant["tuned"] == plain["tuned"]
    hidden = variant["tuned"]["sne"]["hidden"]
    assert variant["results"]["sne"]["params"] - plain["results"]["sne"]["params"] == 8 * hidden
    for model in ("dwsnet", "neural_graph"):
        assert variant["test_predictions"][model] == plain["test_predictions"][model]


def test_five_seeds_of_sne_with_and_without_neuron_context_reuse_the_three_seed_runs():
    """docs/results/inr_frequency_{sne,context}_seeds5.json: seeds 0-2 are the runs of the three-seed files (the same
    cached predictions), seeds 3-4 were added; the ``_versus`` file pairs the two SNEs over all five seeds."""
    variant = _variant_follows_from_its_predictions("inr_frequency_sne_seeds5", "inr_frequency_context_seeds5")
    files = {}
    for name in ("inr_frequency_sne_seeds5", "inr_frequency_tuned12", "inr_frequency_context"):
        with open(os.path.join(ROOT, "docs", "results", f"{name}.json")) as f:
            files[name] = json.load(f)
    plain, three_plain, three_context = files.values()
    assert len(plain["test_predictions"]["sne"]) == len(variant["test_predictions"]["sne"]) == 5
    assert plain["test_predictions"]["sne"][:3] == three_plain["test_predictions"]["sne"]
    assert variant["test_predictions"]["sne"][:3] == three_context["test_predictions"]["sne"]
    assert variant["settings"]["model_options"] == [["sne", "neuron_context", True]]
    assert not plain["settings"]["model_options"]


def test_tuned_table_1_used_the_stored_settings_of_an_equal_budget():
    """docs/results/inr_frequency_tuned.json trained each model with its settings in docs/tuned/inr_frequency (what
    ``inr_frequency.py --tuned stored`` reads), and docs/results/tune_inr_frequency.json gave every model the same trials in one space."""
    from sne_pyg.experiments.tuning import load_tuned
    with open(os.path.join(ROOT, "docs", "results", "inr_frequency_tuned.json")) as f:
        table = json.load(f)
    with open(os.path.join(ROOT, "docs", "results", "tune_inr_frequency.json")) as f:
        tuning = json.load(f)
    folder = os.path.join(ROOT, "docs", "tuned", "inr_frequency")
    assert set(table["tuned"]) == set(table["results"]) == set(tuning["best"])
    for model, settings in table["tuned"].items():
        assert settings == load_tuned(os.path.join(folder, f"{model}.json")) == tuning["best"][model]["settings"]
        with open(os.path.join(folder, f"{model}.json")) as f:
            stored = json.load(f)
        assert stored["space"] == tuning["space"] and len(stored["trials"]) == tuning["trials"]
        finished = [t["val_mse"] for t in stored["trials"] if t["val_mse"] is not None]
        assert min(finished) == stored["best_val_mse"] == tuning["best"][model]["val_mse"]


def test_table_1_tuning_at_the_issue_budget_gave_each_model_12_trials_of_30_to_90_epochs():
    """docs/results/tune_inr_frequency_12trials.json (the tuning's summary) against the studies committed in
    docs/runs/tune_inr: every model 12 trials over one space with 30, 60 or 90 epochs, the stored JSON's trials are
    the SQLite study's first 12 finished or pruned trials (read here with the standard library, not Optuna), and the
    best is the lowest finished one."""
    import sqlite3
    with open(os.path.join(ROOT, "docs", "results", "tune_inr_frequency_12trials.json")) as f:
        summary = json.load(f)
    folder = os.path.join(ROOT, "docs", "runs", "tune_inr")
    assert summary["trials"] == 12 and summary["space"]["epochs"] == [30, 60, 90] and {"sne", "dwsnet"} <= set(summary["best"])
    for model, best in summary["best"].items():
        with open(os.path.join(folder, f"{model}.json")) as f:
            stored = json.load(f)
        assert stored["space"] == summary["space"] and len(stored["trials"]) == 12 == best["trials"]
        with sqlite3.connect(f"file:{os.path.join(folder, model + '.db')}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT t.number, t.state, v.value FROM trials t LEFT JOIN trial_values v "
                              "ON v.trial_id = t.trial_id WHERE t.state IN ('COMPLETE', 'PRUNED') "
                              "ORDER BY t.number").fetchall()[:12]
        assert [t["number"] for t in stored["trials"]] == [number for number, _, _ in rows]
        assert [t["val_mse"] for t in stored["trials"]] == [value if state == "COMPLETE" else None
                                                          for _, state, value in rows]
        finished = [t for t in stored["trials"] if t["val_mse"] is not None]
        winner = min(finished, key=lambda t: t["val_mse"])
        assert winner["val_mse"] == stored["best_val_mse"] == best["val_mse"]
        assert winner["settings"] == stored["best"] == best["settings"]
        assert best["pruned"] == stored["pruned"] == 12 - len(finished)


def test_the_heterogeneous_zoo_file_is_consistent_with_its_seeds():
    """docs/results/heterogeneous_zoo.json: each tau mean and std are those of its per-seed taus, each comparison
    names the better other model, and the test-set parts by architecture (and by dataset) partition the pool."""
    with open(os.path.join(ROOT, "docs", "results", "heterogeneous_zoo.json")) as f:
        result = json.load(f)
    for group, row in result["results"].items():
        for model, entry in row.items():
            assert entry["tau_mean"] == pytest.approx(np.mean(entry["taus"]))
            assert entry["tau_std"] == pytest.approx(np.std(entry["taus"], ddof=1))
        others = {m: e["tau_mean"] for m, e in row.items() if m != "sne"}
        assert result["sne_vs_best"][group]["other"] == max(others, key=others.get)
    sizes = result["networks"]
    for factor in ("architecture", "dataset"):
        assert sum(n for g, n in sizes.items() if g.startswith(f"{factor}=")) == sizes["all"]


def test_table_6_is_three_seeds_of_every_variant_each_against_the_full_model():
    """docs/results/ablations_table6.json: every variant has 3 seeds whose mean and std are its row's, and every
    variant but the full model carries its paired comparison, whose verdict is what its interval says."""
    with open(os.path.join(ROOT, "docs", "results", "ablations_table6.json")) as f:
        rows = json.load(f)["results"]["table6"]
    assert next(iter(rows)) == "sne" and "versus" not in rows["sne"] and len(rows) == 7
    for variant, row in rows.items():
        _summarises_three_seeds(row)
        if variant != "sne":
            versus = row["versus"]
            assert versus["other"] == "sne" and versus["difference"] == pytest.approx(row["mse_mean"] - rows["sne"]["mse_mean"], abs=1e-9)
            assert versus["verdict"] == _mse_verdict(versus)


def test_table_7_is_three_seeds_of_every_chunk_size_each_against_chunk_64():
    """docs/results/ablations_table7.json: chunk sizes 8 to 512, 3 seeds each whose mean and std are the row's, every
    size but the default (64) against it, the difference of the means with the verdict its interval says."""
    with open(os.path.join(ROOT, "docs", "results", "ablations_table7.json")) as f:
        result = json.load(f)
    rows = result["results"]["table7"]
    assert sorted(map(int, rows)) == [8, 16, 32, 64, 128, 256, 512] and result["settings"]["chunk_size"] == 64
    assert "versus" not in rows["64"]
    for size, row in rows.items():
        _summarises_three_seeds(row)
        if size != "64":
            versus = row["versus"]
            assert versus["other"] == "chunk 64"
            assert versus["difference"] == pytest.approx(row["mse_mean"] - rows["64"]["mse_mean"], abs=1e-9)
            assert versus["verdict"] == _mse_verdict(versus)


def test_figure_3_is_three_seeds_per_model_and_size_with_sne_against_the_better_other_model():
    """docs/results/ablations_data_efficiency.json: SNE, DWSNet and NeuralGraph at every training-set size, 3 seeds
    each whose mean and std are the row's; at each size SNE against the other model of lower mean MSE, the verdict
    what its interval says."""
    with open(os.path.join(ROOT, "docs", "results", "ablations_data_efficiency.json")) as f:
        rows = json.load(f)["results"]["data_efficiency"]
    fractions = sorted({row["fraction"] for row in rows.values()})
    assert set(rows) == {f"{m}@{f}" for m in ("sne", "dwsnet", "neural_graph") for f in fractions}
    for row in rows.values():
        _summarises_three_seeds(row)
    for fraction in fractions:
        others = {m: rows[f"{m}@{fraction}"]["mse_mean"] for m in ("dwsnet", "neural_graph")}
        versus = rows[f"sne@{fraction}"]["versus"]
        assert versus["other"] == min(others, key=others.get)
        assert versus["difference"] == pytest.approx(rows[f"sne@{fraction}"]["mse_mean"] - others[versus["other"]],
                                                     abs=1e-9)
        assert versus["verdict"] == _mse_verdict(versus)


def _summarises_three_seeds(row: dict) -> None:
    """A table row of test MSE: three seeds, and its mean and sample std are theirs."""
    assert len(row["mse"]) == 3 and row["mse_mean"] == pytest.approx(np.mean(row["mse"]))
    assert row["mse_std"] == pytest.approx(np.std(row["mse"], ddof=1))


def _mse_verdict(versus: dict) -> str:
    """What an MSE difference's interval says: a tie if it holds 0, else worse (above 0) or better."""
    return "tie" if versus["low"] <= 0 <= versus["high"] else "worse" if versus["low"] > 0 else "better"


def test_default_size_cross_architecture_file_is_consistent_and_shares_its_arch1_zoo_with_the_lever_study():
    """docs/results/cross_architecture_large.json: each entry's mean and std are those of its seeds' taus, each
    average is the mean over its pairs (n/a pairs left out), the three zoos are named by their split digests, and
    SNE's Arch1 in-distribution taus are the lever study's baseline taus (the same runs on the same zoo)."""
    import statistics
    def load(name):
        with open(os.path.join(ROOT, "docs", "results", name)) as f:
            return json.load(f)
    result, levers = load("cross_architecture_large.json"), load("sne_levers_context.json")
    assert "250 runs x 4 checkpoints" in result["title"] and set(result["zoo_sha256"]) == {"arch1", "arch2", "transformer"}
    assert all(len(d) == 64 for zoo in result["zoo_sha256"].values() for d in zoo.values())
    for pair, entry in result["results"].items():
        for model, row in entry.items():
            assert row["tau_mean"] == pytest.approx(statistics.fmean(row["taus"]))
            assert row["tau_std"] == pytest.approx(statistics.stdev(row["taus"]))
    for model in result["models"]:
        pairs = [k for k, e in result["results"].items() if model in e]
        transfer = [k for k in pairs if k.split("->")[0] != k.split("->")[1]]
        assert result["averages"][model]["average"] == pytest.approx(
            statistics.fmean(result["results"][k][model]["tau_mean"] for k in pairs))
        if transfer:
            assert result["averages"][model]["average_transfer"] == pytest.approx(
                statistics.fmean(result["results"][k][model]["tau_mean"] for k in transfer))
        else:
            assert result["averages"][model]["average_transfer"] is None
    assert result["results"]["arch1->arch1"]["sne"]["taus"] == pytest.approx(levers["levers"]["baseline"]["taus"], abs=1e-12)


def test_the_neuron_context_transfer_comparison_follows_from_the_committed_runs():
    """docs/results/cross_architecture_context_versus.json is recomputed from the cached runs in docs/runs (the
    default table's and the neuron-context table's), and both tables were made on the same zoos."""
    from sne_pyg.experiments.transfer_versus import compare_transfer_runs
    def load(name):
        with open(os.path.join(ROOT, "docs", "results", name)) as f:
            return json.load(f)
    versus, context, default = (load(n) for n in ("cross_architecture_context_versus.json",
                                                  "cross_architecture_context.json", "cross_architecture_large.json"))
    assert context["zoo_sha256"] == default["zoo_sha256"]
    rows = compare_transfer_runs(os.path.join(ROOT, versus["base"]), os.path.join(ROOT, versus["other"]), "sne",
                                 resamples=next(iter(versus["pairs"].values()))["resamples"])
    assert set(rows) == set(versus["pairs"]) == set(context["results"])
    for pair, row in rows.items():
        assert row["verdict"] == versus["pairs"][pair]["verdict"]
        for key in ("difference", "low", "high", "base_tau", "other_tau"):
            assert row[key] == pytest.approx(versus["pairs"][pair][key], abs=1e-9)
        assert row["other_tau"] == pytest.approx(context["results"][pair]["sne"]["tau_mean"])
        assert row["base_tau"] == pytest.approx(default["results"][pair]["sne"]["tau_mean"])
