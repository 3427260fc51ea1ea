"""One encoder for a zoo mixing every architecture and dataset (the paper's Figure 2).

    python examples/heterogeneous_zoo.py                     # 4 architectures x 4 datasets, 3 seeds
    python examples/heterogeneous_zoo.py --quick --out DIR   # CI-sized

The zoo pools classifiers of every architecture (Arch1, Arch2, transformer, MLP) trained on every
dataset (digits, mnist1d, tetris, shapes). Each model trains once per seed on the pooled training
split to predict test accuracy and is scored by Kendall's tau on the pooled test split, and on its
subsets by architecture and by dataset (a model that only learnt "which zoo is this" scores well on
the pool but not within a zoo). With the seed-0 model every network of the zoo is embedded and
projected (PCA and t-SNE), coloured by dataset and by architecture; how well the embedding separates
them is measured by 5-fold cross-validated 5-nearest-neighbour accuracy.

Writes ``DIR/results.json`` (``{model: {"all" | "architecture=A" | "dataset=D": {"tau_mean",
"tau_std", "taus", "predictions", "targets"}, "params", "knn_accuracy": {"architecture", "dataset"}}}``),
``DIR/sne_vs_best.json`` (per test set, SNE against the best other model: paired bootstrap over test networks and
seeds), ``DIR/summary.json`` (the run's command, commit, machine and wall time with every number but the
predictions: the README's result file, ``docs/results/heterogeneous_zoo.json``) and
``DIR/embeddings_<model>_<pca|tsne>.png``. Every (model, seed) run is kept in ``DIR/cache/`` (seed 0 with
its embedding of the whole zoo, a safetensors file), so an interrupted run resumes from its finished runs.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from sne_pyg.experiments import add_zoo_experiment_arguments, apply_quick, name_list, tau_over_seeds
from sne_pyg.experiments.arguments import zoo_experiment_settings
from sne_pyg.experiments.cache import load_cached_tensor, save_cached_tensor
from sne_pyg.experiments.reports import run_metadata, write_comparisons
from sne_pyg.experiments.seeds import defined_comparisons, sne_versus_best, tau_scores
from sne_pyg.plots import plot_embedding_panels
from sne_pyg.train import embed
from sne_pyg.zoos.architectures import ARCHITECTURES
from sne_pyg.zoos.datasets import DATASETS
from sne_pyg.zoos.kinds import DEFAULT_FRACTIONS, POOL_FACTORS as FACTORS, pooled_splits
from sne_pyg.json_files import write_json

# NeuralGraph reads MLPs and CNNs only, not the transformers in the pool
DEFAULT_MODELS = "sne,deepsets"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--architectures", default=",".join(ARCHITECTURES), type=name_list(ARCHITECTURES))
    parser.add_argument("--datasets", default=",".join(DATASETS), type=name_list(DATASETS))
    add_zoo_experiment_arguments(parser, models=DEFAULT_MODELS, out="runs/heterogeneous_zoo", size=24,
                                 size_help="per architecture and dataset", checkpoints=None, fractions=DEFAULT_FRACTIONS)
    args = parser.parse_args(argv)
    apply_quick(args, size=8)
    return args


def pooled_zoo(args) -> tuple[dict[str, list], dict[str, dict[str, list[str]]]]:
    """``{split: networks}`` over every (architecture, dataset) zoo, and each network's labels per split."""
    return pooled_splits(args.architectures, args.datasets, args.root, args.size, args.zoo_epochs, args.target,
                         progress=not args.no_progress, checkpoints=args.zoo_checkpoints, fractions=args.zoo_split)


def pooled_test_sets(test: list, labels: dict[str, list[str]]) -> dict[str, list]:
    """The pooled test split and its subsets by architecture and by dataset."""
    groups = {"all": test}
    for factor in FACTORS:
        for value in dict.fromkeys(labels[factor]):
            groups[f"{factor}={value}"] = [d for d, v in zip(test, labels[factor]) if v == value]
    return groups


def knn_accuracy(embeddings: torch.Tensor, labels: list[str], seed: int = 0) -> float:
    """5-fold cross-validated accuracy of a 5-nearest-neighbour classifier on standardised embeddings."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    counts = np.unique(labels, return_counts=True)[1]
    folds = int(min(5, counts.min()))
    if len(counts) < 2 or folds < 2:
        return float("nan")
    classifier = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=min(5, len(labels) - 1)))
    scores = cross_val_score(classifier, embeddings.double().numpy(), labels,
                             cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    return float(scores.mean())


def main(argv=None) -> dict:
    started = time.time()
    args = parse_args(argv)
    splits, labels = pooled_zoo(args)
    everything = splits["train"] + splits["val"] + splits["test"]
    all_labels = {f: labels["train"][f] + labels["val"][f] + labels["test"][f] for f in FACTORS}
    tests = pooled_test_sets(splits["test"], labels["test"])
    os.makedirs(args.out, exist_ok=True)
    results = {}
    for name in args.models:
        settings = {"model": name, "architectures": args.architectures, "datasets": args.datasets,
                    **zoo_experiment_settings(args)}
        embeddings = {"seed0": load_cached_tensor(args.out, f"{name}-seed0-embedding", settings)}

        def keep_embedding(seed: int, model) -> None:     # written before the seed's result: a resumed run has both
            if seed == 0 and embeddings["seed0"] is None:   # (stopped between the two files: the kept one stays)
                embeddings["seed0"] = save_cached_tensor(args.out, f"{name}-seed0-embedding", embed(model, everything),
                                                         settings)

        scored = tau_over_seeds(name, splits["train"], splits["val"], tests, args.seeds, args.hidden, args.epochs,
                                progress=not args.no_progress, on_trained=keep_embedding,
                                cache=(args.out, name, settings))
        if embeddings["seed0"] is None:
            raise ValueError(f"{args.out}/cache/{name}-seed0.json has no embedding file beside it (written by an older "
                             f"version); remove it to retrain seed 0")
        results[name] = dict(scored, knn_accuracy={f: knn_accuracy(embeddings["seed0"], all_labels[f])
                                                   for f in FACTORS})
        for method in ("pca", "tsne"):
            plot_embedding_panels(embeddings["seed0"], os.path.join(args.out, f"embeddings_{name}_{method}.png"),
                                  all_labels, method, title=f"{name} embeddings of {len(everything)} networks")
    write_json(os.path.join(args.out, "results.json"), results, indent=2)
    comparisons = {group: sne_versus_best({m: results[m][group] for m in results}) for group in tests}
    write_json(os.path.join(args.out, "summary.json"),
               summary(results, tests, comparisons, run_metadata("examples/heterogeneous_zoo.py", argv, started),
                       settings={"architectures": args.architectures, "datasets": args.datasets,
                                 **zoo_experiment_settings(args)}))
    print_table(results, tests, args)
    write_comparisons(comparisons, args.out)
    return results


def summary(results: dict, tests: dict[str, list], comparisons: dict[str, dict | None], metadata: dict,
            settings: dict) -> dict:
    """What the README's ``pooled`` table renders: per test set its size and each model's taus over seeds, SNE
    against the best other model where both were scored, and each model's 5-NN accuracies and size."""
    return {**metadata, "settings": settings, "models": list(results),
            "networks": {group: len(networks) for group, networks in tests.items()},
            "results": {group: {m: tau_scores(results[m][group]) for m in results} for group in tests},
            "sne_vs_best": defined_comparisons(comparisons),
            "knn_accuracy": {m: results[m]["knn_accuracy"] for m in results},
            "params": {m: results[m]["params"] for m in results}}


def print_table(results: dict, tests: dict, args) -> None:
    print(f"\nheterogeneous zoo: {len(args.architectures)} architectures x {len(args.datasets)} datasets, "
          f"target {args.target}, Kendall tau over {args.seeds} seeds")
    models = list(results)
    print(f"{'test set':<26}{'networks':>9}" + "".join(f"{m:>18}" for m in models))
    for group, networks in tests.items():
        cells = ("n/a" if "unsupported" in results[m][group] else
                 f"{results[m][group]['tau_mean']:.3f} +- {results[m][group]['tau_std']:.3f}" for m in models)
        print(f"{group:<26}{len(networks):>9}" + "".join(f"{c:>18}" for c in cells))
    for factor in FACTORS:
        print(f"{'kNN accuracy: ' + factor:<35}" + "".join(f"{results[m]['knn_accuracy'][factor]:>18.3f}"
                                                           for m in models))
    print(f"{'parameters':<35}" + "".join(f"{results[m]['params']:>18,}" for m in models))


if __name__ == "__main__":
    main()
