"""The heterogeneous-zoo example: pooled and per-zoo taus, embedding separability, Figure-2 plots."""
import json

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


def test_quick_heterogeneous_zoo(tmp_path, quick_zoos, monkeypatch):
    example = load_script("examples/heterogeneous_zoo.py")
    out = tmp_path / "out"
    results = example.main(["--quick", "--architectures", "arch1,mlp", "--datasets", "digits,tetris",
                            "--models", "sne", "--root", quick_zoos, "--out", str(out),
                            "--no-progress"])
    saved = json.loads((out / "results.json").read_text())
    assert set(saved) == {"sne"}
    groups = {"all", "architecture=arch1", "architecture=mlp", "dataset=digits", "dataset=tetris"}
    assert groups < set(saved["sne"]) and len(saved["sne"]["all"]["taus"]) == 3
    assert saved["sne"]["params"] > 0
    for factor in ("architecture", "dataset"):
        assert 0.0 <= saved["sne"]["knn_accuracy"][factor] <= 1.0
    assert saved["sne"]["knn_accuracy"] == pytest.approx(results["sne"]["knn_accuracy"])
    for method in ("pca", "tsne"):
        assert (out / f"embeddings_sne_{method}.png").stat().st_size > 0
    # resumes: every (model, seed) run and seed 0's embedding come back from out/cache, nothing is trained again
    assert sorted(p.name for p in (out / "cache").iterdir()) == ["sne-seed0-embedding.safetensors", "sne-seed0.json",
                                                                 "sne-seed1.json", "sne-seed2.json"]
    import sne_pyg.experiments.seeds as seeds

    def no_training(*a, **k):
        raise AssertionError("a cached run was trained again")
    monkeypatch.setattr(seeds, "fit", no_training)
    again = example.main(["--quick", "--architectures", "arch1,mlp", "--datasets", "digits,tetris",
                          "--models", "sne", "--root", quick_zoos, "--out", str(out), "--no-progress"])
    assert again["sne"]["knn_accuracy"] == results["sne"]["knn_accuracy"]
    assert again["sne"]["all"]["taus"] == results["sne"]["all"]["taus"]
    # the per-architecture test sets partition the pooled one
    args = example.parse_args(["--quick", "--architectures", "arch1,mlp", "--datasets", "digits,tetris",
                               "--root", quick_zoos, "--no-progress"])
    splits, labels = example.pooled_zoo(args)
    sets = example.pooled_test_sets(splits["test"], labels["test"])
    assert len(sets["architecture=arch1"]) + len(sets["architecture=mlp"]) == len(sets["all"])
    assert len(sets["dataset=digits"]) + len(sets["dataset=tetris"]) == len(sets["all"])
