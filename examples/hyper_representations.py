"""Hyper-representations (Schürholt et al. 2021) beside SNE: linear probes of learned and simple embeddings.

    python examples/hyper_representations.py [--zoo arch1-digits] [--size 100] [--seeds 3] [--ablations]
    python examples/hyper_representations.py --zoo tetris-seed --size 1000 --zoo-checkpoints 5   # TETRIS-SEED

One classifier zoo, split by training run (every checkpoint of a run in one split). Every method
embeds every network, and one protocol (:func:`sne_pyg.probe.linear_probe`: ridge with the
regularisation chosen on validation R^2, logistic regression for categorical properties) scores the
embedding on the test split for each property of the zoo:

* ``W`` raw weights, ``s(W)`` layer-wise statistics (mean, var, quantiles), ``PCA(W)`` and kernel PCA
  with cosine and RBF kernels and, where umap-learn is installed, ``UMAP(W)`` (all fitted on the
  training split: :mod:`sne_pyg.reducers`), the paper's simple baselines;
* ``hyperrep``: HyperRep trained self-supervised (EcD: NT-Xent + reconstruction, beta 0.5) with
  permutation and erasing augmentations;
* ``sne_ssl``: SNE trained self-supervised with the same augmentations and contrastive loss (Ec);
* ``sne_supervised``: SNE trained on test accuracy (the usual regression), its embedding probed.

``--ablations`` adds HyperRep's loss ablation (ED, Ec, EcD, Ec+D; with the mean probe score and the
test reconstruction R^2) and augmentation ablation (none, P, E, N, P+E, P+E+N; reconstruction R^2).
``--reconstruction`` trains HyperRep per :data:`RECONSTRUCTION_STUDY` recipe and reports its reconstruction
R^2 on the train, validation and test splits beside PCA's (the best linear code of the same width).

Every (method, seed, setting) result is cached in ``OUT/cache/`` with the settings it was made with (zoo,
width, epochs, an ablation's overrides: :func:`run_settings`), so an interrupted run resumes (mid-training too:
each training keeps an epoch checkpoint beside its cache file, ``OUT/cache/<key>.checkpoint.pt``) and a run of
other settings into the same folder stops with an error naming the file instead of reusing it;
``OUT/results.json`` holds every number and ``OUT/table.md`` the printed tables.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import torch
from torch_geometric.loader import DataLoader

from sne_pyg.argtypes import positive_int
from sne_pyg.data.dataset import select_target
from sne_pyg.data.sources import zoo_split
from sne_pyg.data.views import flat_view, statistics_view
from sne_pyg.experiments import apply_quick
from sne_pyg.nn import SNE, HyperRep
from sne_pyg.plots import plot_reconstruction_curves
from sne_pyg.experiments.probing import merge_seeds, probe_all, properties_of, summarise
from sne_pyg.reducers import available_reducers, fit_reducer
from sne_pyg.ssl.reconstruction import (pca_reconstruction_r2, r2_score_total, reconstruction_r2,
                                        reconstruction_targets)
from sne_pyg.ssl.train import SSLConfig, fit_ssl
from sne_pyg.train import TargetScaler, TrainConfig, embed, fit, seed_everything, targets_of
from sne_pyg.experiments.cache import cached, checkpoint_path  # noqa: E402
from sne_pyg.experiments.readme_tables import (ABLATION_TITLES, render_ablation, render_probe,  # noqa: E402
                                              render_reconstruction)
from sne_pyg.experiments.reports import git_commit, write_results  # noqa: E402
from sne_pyg.zoos.kinds import ZOO_KINDS, cached_zoo

REDUCER_NAMES = {"pca": "PCA(W)", "kpca-cos": "kPCA-cos(W)", "kpca-rbf": "kPCA-rbf(W)", "umap": "UMAP(W)"}
LEARNED = ("hyperrep", "sne_ssl", "sne_supervised")
LOSS_ABLATION = {"ED": dict(beta=0.0), "Ec": dict(beta=1.0), "EcD": dict(beta=0.5),
                 "Ec+D": dict(beta=0.5, loss="positive")}
AUGMENT_ABLATION = {"none": dict(permute=False, erase=0.0), "P": dict(permute=True, erase=0.0),
                    "E": dict(permute=False, erase=0.5), "N": dict(permute=False, erase=0.0, noise=0.05),
                    "P+E": dict(permute=True, erase=0.5), "P+E+N": dict(permute=True, erase=0.5, noise=0.05)}
ABLATIONS = (("loss_ablation", "loss", LOSS_ABLATION), ("augmentation_ablation", "augment", AUGMENT_ABLATION))
ABLATION_SETTINGS = [name for _, _, table in ABLATIONS for name in table]
# --reconstruction: does HyperRep fail to reconstruct held-out networks because it memorises (train R^2
# high), underfits (train R^2 low too), or because of its recipe (learning rate, augmentations, size)?
# "model" overrides HyperRep's architecture (see hyperrep()); the rest are SSLConfig fields.
RECONSTRUCTION_STUDY = {"EcD (our recipe)": {}, "ED": dict(beta=0.0), "ED, lr 1e-4": dict(beta=0.0, lr=1e-4),
                        "ED, no augmentation": dict(beta=0.0, permute=False, erase=0.0),
                        "ED, no augmentation, clean target": dict(beta=0.0, permute=False, erase=0.0, target="clean"),
                        "ED, the paper's size (d 256, 4 blocks), lr 1e-4": dict(beta=0.0, lr=1e-4,
                                                                               model=dict(width=256, blocks=4)),
                        "ED, flatten variant": dict(beta=0.0, model=dict(compression="flatten")),
                        "ED, no augmentation, flatten variant": dict(beta=0.0, permute=False, erase=0.0,
                                                                     model=dict(compression="flatten"))}
CURVE_NETWORKS = 512   # networks of each split scored after every epoch of a --reconstruction run (learning curves)
RECIPES = dict(zip(("ecd", "ed", "ed-lr", "ed-noaug", "ed-clean", "ed-paper", "ed-flatten", "ed-noaug-flatten"),
                   RECONSTRUCTION_STUDY))  # --recipes


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--zoo", default="arch1-digits", choices=sorted(k for k in ZOO_KINDS if not k.startswith("sine_inr")))
    parser.add_argument("--size", type=int, default=100, help="training runs in the zoo")
    parser.add_argument("--zoo-epochs", type=int, default=None,
                        help="epochs of every run (default: 75 for the TETRIS zoos as in the paper, else 10)")
    parser.add_argument("--zoo-checkpoints", type=int, default=None,
                        help="evenly spaced checkpoints kept per run (default: the zoo kind's, 2)")
    parser.add_argument("--seeds", type=positive_int, default=3)
    parser.add_argument("--hyperrep-seeds", type=positive_int, default=None,
                        help="HyperRep (the slowest method) runs only its first K of --seeds seeds (default: all)")
    parser.add_argument("--latent", type=int, default=32, help="embedding size of every learned method and of PCA")
    parser.add_argument("--ssl-epochs", type=int, default=60, help="self-supervised epochs of HyperRep")
    parser.add_argument("--hyperrep-width", type=positive_int, default=64,
                        help="HyperRep's token width d (the paper's TETRIS model: 256); feed-forward 2 d")
    parser.add_argument("--hyperrep-blocks", type=positive_int, default=2, help="transformer blocks of its encoder "
                        "and of its decoder")
    parser.add_argument("--hyperrep-lr", type=float, default=1e-3, help="HyperRep's Adam learning rate (the paper: 1e-4)")
    parser.add_argument("--sne-ssl-epochs", type=int, default=20,
                        help="self-supervised epochs of SNE (an epoch of SNE costs ~17x one of HyperRep here)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs of supervised SNE")
    parser.add_argument("--methods", default=",".join(LEARNED), type=_learned_list,
                        help=f"learned methods to run, comma-separated, from {','.join(LEARNED)} (the simple ones always run)")
    parser.add_argument("--ablations", action="store_true", help="HyperRep loss and augmentation ablations")
    parser.add_argument("--ablation-seeds", type=positive_int, default=None,
                        help="seeds of every ablation setting (default: --seeds)")
    parser.add_argument("--ablation-settings", default=",".join(ABLATION_SETTINGS), type=_ablation_list,
                        help="the --ablations settings to run, comma-separated (default: all of both tables)")
    parser.add_argument("--reconstruction", action="store_true",
                        help="HyperRep's reconstruction R^2 on every split per recipe, beside PCA's linear reference")
    parser.add_argument("--recipes", default=",".join(RECIPES), type=_recipe_list,
                        help="the --reconstruction recipes to train, comma-separated: "
                             + "; ".join(f"{k} = {v}" for k, v in RECIPES.items()))
    parser.add_argument("--root", default="data_cache")
    parser.add_argument("--out", default="runs/hyper_representations")
    parser.add_argument("--quick", action="store_true", help="tiny zoo and training (CI)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.zoo_epochs is None:
        args.zoo_epochs = 75 if args.zoo.startswith("tetris") else 10
    apply_quick(args, size=16)
    if args.quick:
        args.ssl_epochs, args.sne_ssl_epochs, args.latent, args.seeds = 3, 3, 8, min(args.seeds, 2)
    return args


def _name_list(kind: str, choices, allow_empty: bool = False):
    """An argparse ``type``: ``"a,b"`` -> ``["a", "b"]``, each one of ``choices`` (none only if ``allow_empty``)."""
    def parse(text: str) -> list[str]:
        names = [n for n in text.split(",") if n]
        unknown = sorted(set(names) - set(choices))
        if unknown or not (names or allow_empty):
            raise argparse.ArgumentTypeError(f"unknown {kind}(s) {unknown or text!r}; choose from {list(choices)}")
        return names
    return parse


_learned_list = _name_list("method", LEARNED, allow_empty=True)
_ablation_list = _name_list("ablation setting", ABLATION_SETTINGS)


def _recipe_list(text: str) -> list[str]:
    return [RECIPES[i] for i in _name_list("recipe", RECIPES)(text)]


def view(fn, networks) -> np.ndarray:
    return torch.cat([fn(b) for b in DataLoader(networks, batch_size=64)]).double().numpy()


def hyperrep(args, seed: int, width: int | None = None, blocks: int | None = None,
             compression: str = "token") -> HyperRep:
    """HyperRep of ``--hyperrep-width`` / ``--hyperrep-blocks`` (or the given ``width`` / ``blocks``), seeded;
    ``compression``: its compression token or the ``"flatten"`` variant."""
    seed_everything(seed)
    width = width or args.hyperrep_width
    return HyperRep(hidden=args.latent, out_dim=None, d_model=width, blocks=blocks or args.hyperrep_blocks, heads=4,
                    ff=2 * width, dropout=0.1, compression=compression)


def ssl_config(args, seed: int, **settings) -> SSLConfig:
    settings = {k: v for k, v in settings.items() if k != "model"}          # architecture overrides: hyperrep()
    return SSLConfig(**{**dict(epochs=args.ssl_epochs, batch_size=64, lr=args.hyperrep_lr, beta=0.5, patience=15,
                               seed=seed, progress=not args.no_progress), **settings})


def learned_embedding(args, method: str, seed: int, splits, settings: dict | None = None,
                      checkpoint: str | None = None):
    """Embeddings of every split by ``method`` trained with ``seed``, and its reconstruction R^2 (HyperRep);
    ``checkpoint``: the file of the training's epoch checkpoint (a stopped run resumes there)."""
    settings = settings or {}
    extra = {}
    if method == "hyperrep":
        model = hyperrep(args, seed, **settings.get("model", {}))
        objective, _ = fit_ssl(model, splits["train"], splits["val"],
                               ssl_config(args, seed, **settings, checkpoint=checkpoint))
        extra["reconstruction_r2"] = reconstruction_r2(model, splits["test"])
        extra["reconstruction_r2_train"] = reconstruction_r2(model, splits["train"])
    elif method == "sne_ssl":
        seed_everything(seed)
        model = SNE(hidden=args.latent, out_dim=None, heads=4)
        fit_ssl(model, splits["train"], splits["val"],
                ssl_config(args, seed, **{"beta": 1.0, "epochs": args.sne_ssl_epochs, **settings},
                           checkpoint=checkpoint))
    elif method == "sne_supervised":
        seed_everything(seed)
        model = SNE(hidden=args.latent, out_dim=1, heads=4)
        train, val = select_target(splits["train"], 0), select_target(splits["val"], 0)   # test accuracy
        fit(model, train, val, TrainConfig(epochs=args.epochs, batch_size=32, seed=seed, progress=not args.no_progress,
                                           patience=max(args.epochs // 3, 3), checkpoint=checkpoint),
            TargetScaler(targets_of(train)))
    else:
        raise ValueError(method)
    return {s: embed(model, part).double().numpy() for s, part in splits.items()}, extra


def main(argv=None) -> dict:
    args = parse_args(argv)
    start = time.time()
    folder = cached_zoo(args.zoo, args.root, args.size, args.zoo_epochs, progress=not args.no_progress,
                        checkpoints=args.zoo_checkpoints)
    splits = {s: zoo_split(folder, s) for s in ("train", "val", "test")}
    labels = {s: properties_of(part) for s, part in splits.items()}
    results: dict = {"zoo": args.zoo, "sizes": {s: len(p) for s, p in splits.items()}, "methods": {}}

    results["methods"].update(cached(args.out, "simple-methods", lambda: simple_methods(args, splits, labels),
                                     {**zoo_settings(args), "reducers": list(available_reducers())}))

    runs = {}                       # seed-major: an interrupted run leaves whole seeds of every method
    for seed in range(args.seeds):
        for method in args.methods:
            if method == "hyperrep" and seed >= (args.hyperrep_seeds or args.seeds):
                continue
            key = f"{method}-seed{seed}"
            runs.setdefault(method, []).append(
                cached(args.out, key, lambda: _run(args, method, seed, splits, labels,
                                                   checkpoint=checkpoint_path(args.out, key)),
                       run_settings(args, method)))
    for method in args.methods:
        results["methods"][method] = merge_seeds(runs[method])
    if args.ablations:             # seed-major too: an interrupted ablation leaves whole seeds of every setting
        ablation_runs: dict = {}
        for seed in range(args.ablation_seeds or args.seeds):
            for key, prefix, table in ABLATIONS:
                for name, s in ((n, v) for n, v in table.items() if n in args.ablation_settings):
                    # a setting that is HyperRep's own recipe (EcD, P+E) is the hyperrep run itself: trained once
                    same = "hyperrep" in args.methods and ssl_config(args, seed, **s) == ssl_config(args, seed)
                    run_key = f"hyperrep-seed{seed}" if same else f"{prefix}-{name}-seed{seed}"
                    ablation_runs.setdefault(key, {}).setdefault(name, []).append(
                        cached(args.out, run_key,
                               lambda: _run(args, "hyperrep", seed, splits, labels, s,
                                            checkpoint=checkpoint_path(args.out, run_key)),
                               run_settings(args, "hyperrep", None if same else s)))
        for key, by_setting in ablation_runs.items():
            results[key] = {name: merge_seeds(seed_runs) for name, seed_runs in by_setting.items()}
    if args.reconstruction:
        results["reconstruction"] = reconstruction_study(args, splits)
    results["seconds"] = round(time.time() - start, 1)
    results["command"] = "python examples/hyper_representations.py " + " ".join(sys.argv[1:] if argv is None else argv)
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
    results["commit"] = git_commit()
    write_results(args.out, results, format_tables(results, args))
    return results


def zoo_settings(args) -> dict:
    """The settings that name the zoo and the embedding width every cached result depends on."""
    return {"zoo": args.zoo, "size": args.size, "zoo_epochs": args.zoo_epochs,
            "zoo_checkpoints": args.zoo_checkpoints, "latent": args.latent}


METHOD_FLAGS = {"hyperrep": ("ssl_epochs", "hyperrep_width", "hyperrep_blocks", "hyperrep_lr"),
                  "sne_ssl": ("sne_ssl_epochs",), "sne_supervised": ("epochs",)}


def run_settings(args, method: str, overrides: dict | None = None) -> dict:
    """What one learned run depends on: the zoo, the width, the method's own flags (epochs; HyperRep's size and
    learning rate) and an ablation's overrides of its recipe. Its cache file is reused only for equal settings
    (else a ``ValueError``)."""
    return {**zoo_settings(args), "method": method, **{flag: getattr(args, flag) for flag in METHOD_FLAGS[method]},
            "overrides": overrides or {}}


def simple_methods(args, splits, labels) -> dict:
    """The paper's simple baselines probed (deterministic: reducers seeded 0), ``{method: {property: ...}}``."""
    flat = {s: view(flat_view, part) for s, part in splits.items()}
    simple = {"W": flat, "s(W)": {s: view(statistics_view, part) for s, part in splits.items()}}
    for reducer in available_reducers():
        embed = fit_reducer(reducer, flat["train"], args.latent, seed=0)
        simple[REDUCER_NAMES[reducer]] = {s: embed(z) for s, z in flat.items()}
    return {name: {p: {k: summarise([v]) for k, v in r.items()} for p, r in probe_all(embeddings, labels).items()}
            for name, embeddings in simple.items()}


def _run(args, method, seed, splits, labels, settings=None, checkpoint: str | None = None) -> dict:
    start = time.time()
    embeddings, extra = learned_embedding(args, method, seed, splits, settings, checkpoint)
    return {"probes": probe_all(embeddings, labels), **extra, "seconds": round(time.time() - start, 1)}


def reconstruction_study(args, splits) -> dict:
    """Per :data:`RECONSTRUCTION_STUDY` setting of ``--recipes``: HyperRep's reconstruction R^2 on every split
    (mean over ``--ablation-seeds``); as references PCA of the training targets with ``--latent`` components and
    the training mean (the code that knows nothing of a network: R^2 <= 0 on the other splits)."""
    out, curves = {}, {}
    for name in args.recipes:
        settings = RECONSTRUCTION_STUDY[name]
        runs = [cached(args.out, f"reconstruction-{name}-seed{seed}",
                       lambda: _reconstruction_run(args, seed, splits, settings,
                                                   checkpoint_path(args.out, f"reconstruction-{name}-seed{seed}")),
                       run_settings(args, "hyperrep", settings))
                for seed in range(args.ablation_seeds or args.seeds)]
        out[name] = {key: summarise([run[key] for run in runs]) for key in runs[0] if key != "curve"}
        curves[name] = [run["curve"] for run in runs if "curve" in run]
    probe = hyperrep(args, 0)
    targets = {s: reconstruction_targets(probe, part) for s, part in splits.items()}   # model-independent
    out[f"PCA ({args.latent} components)"] = {s: summarise([pca_reconstruction_r2(targets["train"], t, args.latent)])
                                              for s, t in targets.items()}
    mean = targets["train"].mean(0)
    out["the training mean"] = {s: summarise([r2_score_total(np.broadcast_to(mean, t.shape), t)])
                                for s, t in targets.items()}
    pca = {f"PCA, {args.latent} components ({s})": out[f"PCA ({args.latent} components)"][s]["mean"]
           for s in ("train", "val")}
    if any(curves.values()):
        plot_reconstruction_curves(curves, pca, os.path.join(args.out, "reconstruction.png"),
                                   f"HyperRep reconstruction on {args.zoo} (R² per epoch; first {CURVE_NETWORKS} "
                                   f"networks of a split)")
    return out


def _reconstruction_run(args, seed: int, splits, settings: dict, checkpoint: str | None = None) -> dict:
    start = time.time()
    model = hyperrep(args, seed, **settings.get("model", {}))
    watched = {"train": splits["train"][:CURVE_NETWORKS], "val": splits["val"][:CURVE_NETWORKS]}
    _, history = fit_ssl(model, splits["train"], splits["val"], ssl_config(args, seed, **settings,
                                                                           checkpoint=checkpoint),
                         monitor=lambda objective: {f"{s}_r2": reconstruction_r2(model, part) for s, part in watched.items()})
    return {**{s: reconstruction_r2(model, part) for s, part in splits.items()},
            "best_epoch": history.best_epoch, "epochs_run": len(history.history), "seconds": round(time.time() - start, 1),
            "curve": {s: [epoch[f"{s}_r2"] for epoch in history.history] for s in watched}}


def format_tables(results: dict, args) -> str:
    lines = [f"Linear probes on {results['zoo']} (test split; {results['sizes']}; learned methods: mean ± std over "
             f"{args.seeds} seeds" + (f", HyperRep {args.hyperrep_seeds}" if args.hyperrep_seeds else "") + ")", "",
             render_probe(results)]
    if any(key in results for key in ABLATION_TITLES):
        lines += ["", "HyperRep ablations (probe scores on the test split, reconstruction R² of the test networks)", "",
                  render_ablation(results)]
    if "reconstruction" in results:
        lines += ["", "HyperRep's reconstruction R² per split (each layer relative to its RMS)", "",
                  render_reconstruction(results)]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
