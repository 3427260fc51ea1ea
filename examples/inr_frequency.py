"""Sine-INR frequency regression with every model on the same zoo (the SNE paper's Table 1).

    python examples/inr_frequency.py                       # default zoo, 3 seeds, all models
    python examples/inr_frequency.py --quick --out DIR     # a few minutes on 2 CPU cores
    python examples/inr_frequency.py --models sne,neural_graph,dwsnet --seeds 5
    python examples/inr_frequency.py --tuned stored         # each model with its stored equal-budget tuning
    python examples/inr_frequency.py --models sne --model-option sne.element_positions=chunk   # a model option

The default zoo is the peers' (DWSNets / SNE paper: an independent initialisation per INR); ``--recipe ours``
is the aligned zoo of one shared initialisation, a different and much easier task. Every (model, seed)
result, with its predictions for every test INR, is cached in ``DIR/cache/`` with the settings it was made
with, so an interrupted run resumes, and processes started on one ``DIR`` split the (model, seed) runs between
them (each makes the next run no other is making). Prints a table of parameter counts and test MSE (mean +- std over
seeds) and SNE against the best other model (the MSE difference with a paired bootstrap 95% interval over
test INRs and seeds; an interval containing 0 is a tie), and writes ``DIR/results.json`` (``{model:
{"params", "mse_mean", "mse_std", "seeds"}}``), ``DIR/summary.json`` (the predict-the-mean baseline,
per-seed numbers, ``sne_vs_best``, every model's test predictions per seed and the test targets, and the
per-epoch ``learning_curves`` of SNE and the best other model), ``DIR/mse.png`` and ``DIR/curves.png`` (those
training and validation curves, every seed).
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from sne_pyg.argtypes import positive_int
from sne_pyg.data.dataset import recorded_digests  # noqa: E402
from sne_pyg.data.standardise import standardise_splits
from sne_pyg.experiments.arguments import add_input_norm_argument, add_model_option_argument, model_options_of
from sne_pyg.experiments.seeds import mean_and_std
from sne_pyg.experiments.bootstrap import versus_best_other  # noqa: E402
from sne_pyg.experiments.cache import cached_all, checkpoint_path  # noqa: E402
from sne_pyg.experiments.regression import train_and_test  # noqa: E402
from sne_pyg.experiments.reports import run_metadata  # noqa: E402
from sne_pyg.experiments.tuning import tuned_settings  # noqa: E402
from sne_pyg.nn.registry import with_revision  # noqa: E402
from sne_pyg.nn import parse_models  # noqa: E402
from sne_pyg.plots import plot_learning_curves, plt, save_figure  # noqa: E402  (pyplot on the headless backend)
from sne_pyg.train import TargetScaler, mse, targets_of  # noqa: E402
from sne_pyg.zoos import SineINRZoo  # noqa: E402
from sne_pyg.json_files import write_json  # noqa: E402


# Table 1's tuned settings (examples/tune.py --epochs-choices 15,30 --trials 4, every model; the README's tuning
# section), used with --tuned stored. Not the default: see the README for how they compare with the untuned recipe.
STORED_TUNING = "docs/tuned/inr_frequency"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--models", default="all", help="comma-separated registered names, or 'all'")
    parser.add_argument("--seeds", type=positive_int, default=3)
    parser.add_argument("--size", type=int, default=600, help="INRs in the zoo (split 80/10/10)")
    parser.add_argument("--inr-steps", type=int, default=None,
                        help="Adam steps per INR (default 1000 for --recipe ours, at most 1500 for peers)")
    parser.add_argument("--recipe", default="peers", choices=("ours", "peers"),
                        help="ours: one shared initialisation (an aligned zoo); peers: the DWSNets/SNE-paper zoo "
                             "(independent initialisations, 2,000 points, Adam 1e-3, stop at MSE 1e-4)")
    parser.add_argument("--chunk-size", type=int, default=64)
    add_input_norm_argument(parser)
    add_model_option_argument(parser)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--root", default="data_cache")
    parser.add_argument("--out", default="runs/inr_frequency")
    parser.add_argument("--tuned", default=None,
                        help="folder of tuned settings (the --out of examples/tune.py): a model with a <model>.json "
                             f"there trains with its tuned lr, weight decay, width, epochs, augmentation and LI weight; "
                             f"'stored': the equal-budget settings stored in the repository ({STORED_TUNING}); "
                             "default: every model with --hidden, --epochs and --lr")
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples of the SNE comparison")
    parser.add_argument("--quick", action="store_true", help="small zoo, few epochs")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.inr_steps is None:
        args.inr_steps = 1000 if args.recipe == "ours" else 1500
    if args.quick:
        args.size, args.inr_steps, args.epochs, args.hidden, args.resamples = 60, 200, 4, 16, 500
    if args.tuned == "stored":                  # the repository's copy, wherever the example is run from
        args.tuned = os.path.relpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", STORED_TUNING))
    return args


def main(argv=None) -> dict:
    started = time.time()
    args = parse_args(argv)
    names = parse_models(args.models)
    zoo = SineINRZoo.splits(args.root, size=args.size, chunk_size=args.chunk_size, steps=args.inr_steps,
                            recipe=args.recipe, progress=not args.no_progress)
    zoo_digests = recorded_digests(zoo["test"].processed_dir)   # the zoo's bytes: it can differ across CPUs
    zoo = standardise_splits(zoo, args.input_norm)          # statistics of the training INRs only
    scaler = TargetScaler(targets_of(zoo["train"]))
    test_targets = targets_of(zoo["test"])
    baseline = mse(scaler.mean.expand_as(test_targets), test_targets)

    settings = {k: getattr(args, k) for k in ("size", "inr_steps", "recipe", "chunk_size", "hidden", "epochs",
                                              "batch_size", "lr")}
    settings["records"] = "test predictions"   # results cached before predictions were kept are not reused
    if args.input_norm != "none":                # in the cache key only when set: earlier runs stay valid
        settings["input_norm"] = args.input_norm

    options = model_options_of(args)
    tuned = tuned_settings(args.tuned, names, options)

    def settings_of(name: str) -> dict:
        """What a cached (``name``, seed) result depends on; tuned settings and model options only when set, so
        results made before either existed stay valid."""
        own = dict(settings, tuned=tuned[name]) if name in tuned else dict(settings)
        if name in options:
            own["model_options"] = options[name]
        return with_revision(name, own)

    def train_one(name: str, seed: int) -> dict:
        hp = {"hidden": args.hidden, "epochs": args.epochs, "lr": args.lr, **tuned.get(name, {})}
        run = train_and_test(name, zoo, scaler, seed, batch_size=args.batch_size, progress=not args.no_progress,
                             model_options=options.get(name),
                             checkpoint=checkpoint_path(args.out, f"{name}-seed{seed}"), **hp)
        return {k: run[k] for k in ("mse", "predictions", "params", "history", "seconds")}

    # every (model, seed) result is kept in OUT/cache: a rerun resumes, and processes sharing OUT split the runs
    jobs = [(f"{name}-seed{seed}", lambda name=name, seed=seed: train_one(name, seed), settings_of(name))
            for name in names for seed in range(args.seeds)]
    made = iter(cached_all(args.out, jobs))
    results, per_seed, predictions, histories = {}, {}, {}, {}
    for name in names:
        runs = [next(made) for _ in range(args.seeds)]
        scores = [r["mse"] for r in runs]
        mean, std = mean_and_std(scores)
        results[name] = {"params": runs[0]["params"], "mse_mean": mean, "mse_std": std, "seeds": len(scores)}
        per_seed[name] = {"mse": scores, "seconds": round(sum(r["seconds"] for r in runs), 1)}
        predictions[name] = np.array([r["predictions"] for r in runs])
        if all("history" in r for r in runs):     # results cached before histories were kept have none
            histories[name] = [r["history"] for r in runs]
    comparison = (versus_best_other(predictions, test_targets[:, 0].numpy(), "sne", "mse", resamples=args.resamples)
                  if "sne" in predictions and len(predictions) > 1 else None)

    curves = {n: histories[n] for n in ("sne", comparison and comparison["other"]) if n in histories}
    write_json(os.path.join(args.out, "results.json"), results, indent=2)
    write_json(os.path.join(args.out, "summary.json"),
               {**run_metadata("examples/inr_frequency.py", argv, started),
                "results": results, "per_seed": per_seed, "mean_baseline_mse": baseline,
                "sne_vs_best": comparison, "tuned": tuned, "zoo": {k: len(v) for k, v in zoo.items()},
                "zoo_sha256": zoo_digests,
                "settings": vars(args), "test_targets": _rounded(test_targets[:, 0].tolist()),
                "test_predictions": {n: [_rounded(seed) for seed in p.tolist()] for n, p in predictions.items()},
                "learning_curves": {n: [[{k: round(v, 6) if isinstance(v, float) else v for k, v in epoch.items()}
                                         for epoch in seed] for seed in seeds] for n, seeds in curves.items()}},
               indent=2)
    plot(results, baseline, os.path.join(args.out, "mse.png"))
    if curves:                               # SNE beside the best other model: under- or overfitting?
        plot_learning_curves(curves, os.path.join(args.out, "curves.png"), "learning curves (every seed)")

    print(f"\n{'model':<14}{'#params':>10}{'test MSE':>20}")
    for name, r in sorted(results.items(), key=lambda kv: kv[1]["mse_mean"]):
        print(f"{name:<14}{r['params']:>10,}{r['mse_mean']:>12.4f} +- {r['mse_std']:.4f}")
    print(f"{'predict mean':<14}{'-':>10}{baseline:>12.4f}")
    if comparison is not None:
        print(f"\nsne - {comparison['other']}: MSE {comparison['difference']:+.4f}, 95% interval "
              f"[{comparison['low']:+.4f}, {comparison['high']:+.4f}] -> {comparison['verdict']}")
    print(f"\n{len(names)} models x {args.seeds} seeds on {len(zoo['train'])}/{len(zoo['val'])}/{len(zoo['test'])} "
          f"INRs; results in {args.out}/")
    return results


def _rounded(values: list[float]) -> list[float]:
    """Kept to 1e-6: every table number can be recomputed from the file (tests/experiments/test_result_files.py)."""
    return [round(v, 6) for v in values]


def plot(results: dict, baseline: float, path: str) -> None:
    names = sorted(results, key=lambda n: results[n]["mse_mean"])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(names, [results[n]["mse_mean"] for n in names], yerr=[results[n]["mse_std"] for n in names], capsize=4)
    ax.axhline(baseline, color="grey", linestyle="--", label=f"predict the mean ({baseline:.2f})")
    ax.set_yscale("log")
    ax.set_ylabel("test MSE (log scale)")
    ax.set_title("Sine INR frequency regression")
    ax.legend()
    save_figure(fig, path)


if __name__ == "__main__":
    main()
