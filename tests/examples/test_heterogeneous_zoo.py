"""The heterogeneous-zoo example: pooled and per-zoo taus, embedding separability, Figure-2 plots."""
import json

import numpy as np
import pytest
import torch

from tests.builders import load_script


def test_knn_accuracy_is_one_on_separated_clusters_and_near_chance_on_noise():
    example = load_script("examples/heterogeneous_zoo.py")
    g = torch.Generator().manual_seed(0)
    labels = ["a"] * 30 + ["b"] * 30 + ["c"] * 30
    centres = torch.tensor([[0.0, 0], [10, 0], [0, 10]]).repeat_interleave(30, 0)
    assert example.knn_accuracy(centres + torch.randn(90, 2, generator=g), labels) == 1.0
    assert example.knn_accuracy(torch.randn(90, 2, generator=g), labels) < 0.6


MODELS = ("sne", "deepsets", "neural_graph")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, quick_zoos) -> tuple:
    """One quick run (three models, two seeds) that the tests below read: ``(out folder, argv, results)``."""
    example = load_script("examples/heterogeneous_zoo.py")
    out = tmp_path_factory.mktemp("heterogeneous_zoo") / "out"
    argv = ["--quick", "--architectures", "arch1,mlp", "--datasets", "digits,tetris", "--models", ",".join(MODELS),
            "--seeds", "2", "--root", quick_zoos, "--out", str(out), "--no-progress"]
    return out, argv, example.main(argv)


def test_quick_heterogeneous_zoo(quick_run, quick_zoos, monkeypatch):
    example = load_script("examples/heterogeneous_zoo.py")
    out, argv, results = quick_run
    saved = json.loads((out / "results.json").read_text())
    assert set(saved) == set(MODELS)
    groups = {"all", "architecture=arch1", "architecture=mlp", "dataset=digits", "dataset=tetris"}
    assert groups < set(saved["sne"]) and len(saved["sne"]["all"]["taus"]) == 2
    assert saved["sne"]["params"] > 0
    for factor in ("architecture", "dataset"):
        assert 0.0 <= saved["sne"]["knn_accuracy"][factor] <= 1.0
    assert saved["sne"]["knn_accuracy"] == pytest.approx(results["sne"]["knn_accuracy"])
    for method in ("pca", "tsne"):
        assert (out / f"embeddings_sne_{method}.png").stat().st_size > 0
    # resumes: every (model, seed) run and seed 0's embedding come back from out/cache, nothing is trained again
    assert sorted(p.name for p in (out / "cache").iterdir()) == sorted(
        [f"{m}-seed0-embedding.safetensors" for m in MODELS] + [f"{m}-seed{k}.json" for m in MODELS for k in range(2)])
    import sne_pyg.experiments.seeds as seeds

    def no_training(*a, **k):
        raise AssertionError("a cached run was trained again")
    monkeypatch.setattr(seeds, "fit", no_training)
    again = example.main(argv)
    assert again["sne"]["knn_accuracy"] == results["sne"]["knn_accuracy"]
    assert again["sne"]["all"]["taus"] == results["sne"]["all"]["taus"]
    # the per-architecture test sets partition the pooled one
    args = example.parse_args(["--quick", "--architectures", "arch1,mlp", "--datasets", "digits,tetris",
                               "--root", quick_zoos, "--no-progress"])
    splits, labels = example.pooled_zoo(args)
    sets = example.pooled_test_sets(splits["test"], labels["test"])
    assert len(sets["architecture=arch1"]) + len(sets["architecture=mlp"]) == len(sets["all"])
    assert len(sets["dataset=digits"]) + len(sets["dataset=tetris"]) == len(sets["all"])


def test_the_summary_holds_the_run_and_sne_against_the_best_other_model_per_test_set(quick_run):
    """summary.json (the README's result file): each test set's size and taus, and per test set SNE against the
    better of the others by a paired bootstrap of the kept predictions, recomputed here (on the quick zoo's test
    sets of 4 networks tau is undefined on some resamples: those rows must say so); the README table reads it."""
    from sne_pyg.experiments.bootstrap import paired_bootstrap
    from sne_pyg.experiments.readme_tables import render_pooled
    out, argv, results = quick_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["command"] == "python examples/heterogeneous_zoo.py " + " ".join(argv)
    assert {"commit", "machine", "wall_seconds"} <= set(summary) and summary["models"] == list(MODELS)
    groups = ["all", "architecture=arch1", "architecture=mlp", "dataset=digits", "dataset=tetris"]
    assert list(summary["results"]) == groups and list(summary["sne_vs_best"]) == groups
    assert summary["networks"]["architecture=arch1"] + summary["networks"]["architecture=mlp"] == \
        summary["networks"]["all"] == len(results["sne"]["all"]["targets"])
    for group, row in summary["sne_vs_best"].items():
        taus = {m: summary["results"][group][m]["tau_mean"] for m in ("deepsets", "neural_graph")}
        if None not in taus.values():                                 # tau defined (not null) for both
            assert row["other"] == max(taus, key=taus.get)
        again = paired_bootstrap(*(np.array(results[m][group]["predictions"]) for m in ("sne", row["other"])),
                                 np.array(results["sne"][group]["targets"]), "tau", resamples=row["resamples"])
        stored = [np.nan if row[k] is None else row[k] for k in ("difference", "low", "high")]   # NaN: null
        assert row["verdict"] == again.verdict
        assert stored == pytest.approx([again.difference, again.low, again.high], nan_ok=True)
    assert summary["sne_vs_best"]["all"]["difference"] is not None       # (tiny quick test sets: some undefined)
    assert json.loads((out / "sne_vs_best.json").read_text()) == summary["sne_vs_best"]
    table = render_pooled(summary)
    assert f"| all ({summary['networks']['all']}) |" in table and "| parameters |" in table
