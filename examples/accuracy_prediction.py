"""Test-accuracy prediction on a CNN zoo, every model, in distribution (Kendall's tau).

    python examples/accuracy_prediction.py                        # Arch1 on digits, default size, 3 seeds
    python examples/accuracy_prediction.py --quick --out DIR      # CI-sized
    python examples/accuracy_prediction.py --zoo arch2-tetris --target 2     # generalization gap
    python examples/accuracy_prediction.py --models sne --model-option sne.heads=1 --chunk-size 16   # SNE's levers

Generates (or reuses, under ``--root``) a zoo of classifiers with Unterthiner-style
hyperparameters, trains each model to predict the chosen target (0 test accuracy, 1 train
accuracy, 2 generalization gap) over ``--seeds`` seeds, prints a table and writes
``DIR/results.json`` (``{model: {"tau_mean", "tau_std", "taus", "predictions", "targets", "params"}}``),
``DIR/summary.json`` (the run's command, commit, machine and wall time, the zoo's split sizes, every number
and SNE against the best other model with its paired bootstrap interval: the README's result file),
``DIR/sne_vs_best.json``, ``DIR/tau.png`` and ``DIR/curves.png`` (training loss and validation MSE per epoch of
SNE and the best other model). The default zoo is 250 runs x 4 checkpoints split 60/10/30 by
run: 600 / 100 / 300 networks.
"""
from __future__ import annotations

import argparse
import os
import time

from sne_pyg.data.standardise import standardise_splits  # noqa: E402
from sne_pyg.experiments import add_zoo_experiment_arguments, apply_quick, tau_over_seeds  # noqa: E402
from sne_pyg.experiments.arguments import (CHUNK_SIZE, add_model_option_arguments,  # noqa: E402
                                           model_options_of, train_options_of, zoo_experiment_digests,
                                           zoo_experiment_settings, zoo_experiment_splits)
from sne_pyg.experiments.reports import run_metadata, write_comparisons  # noqa: E402
from sne_pyg.experiments.seeds import sne_versus_best  # noqa: E402
from sne_pyg.experiments.tuning import tuned_settings  # noqa: E402
from sne_pyg.plots import plot_learning_curves, plt, save_figure  # noqa: E402  (pyplot on the headless backend)
from sne_pyg.zoos.kinds import ZOO_KINDS  # noqa: E402
from sne_pyg.json_files import write_json  # noqa: E402

# DWSNet reads MLP weight spaces only; NFN NP/HNP and NFT read chains of Linear/Conv layers (Arch1 is one)
DEFAULT_MODELS = "sne,neural_graph,nfn_np,nfn_hnp,nft,deepsets,statnn,flat_mlp"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--zoo", default="arch1-digits", choices=sorted(k for k in ZOO_KINDS if not k.startswith("sine_inr")))
    add_zoo_experiment_arguments(parser, models=DEFAULT_MODELS, out="runs/accuracy_prediction", size_help="in the zoo")
    parser.add_argument("--tuned", default=None,
                        help="folder of tuned settings (the --out of `examples/tune.py --zoo KIND`): a model with a "
                             "<model>.json there trains with its tuned lr, weight decay, width, epochs, augmentation "
                             "and LI weight instead of --hidden / --epochs")
    add_model_option_arguments(parser)
    args = parser.parse_args(argv)
    apply_quick(args, size=24)
    return args


def main(argv=None) -> dict:
    started = time.time()
    args = parse_args(argv)
    splits = zoo_experiment_splits(args, args.zoo, chunk_size=args.chunk_size)
    splits = standardise_splits(splits, args.input_norm)          # statistics of the training split only
    results, histories = {}, {}
    options = model_options_of(args)
    tuned = tuned_settings(args.tuned, args.models, options)
    for name in args.models:
        settings = {"zoo": args.zoo, "model": name, **zoo_experiment_settings(args), **lever_settings(args, name)}
        recipe = {"hidden": args.hidden, "epochs": args.epochs, **tuned.get(name, {}), **train_options_of(args)}
        if name in tuned:
            settings["tuned"] = tuned[name]
        scored = tau_over_seeds(name, splits["train"], splits["val"], {"test": splits["test"]}, args.seeds,
                                progress=not args.no_progress, cache=(args.out, name, settings),   # resumable
                                model_options=options.get(name), **recipe)
        results[name] = dict(scored["test"], params=scored["params"])
        if "histories" in scored:                 # runs cached before histories were kept have none
            histories[name] = scored["histories"]
    write_json(os.path.join(args.out, "results.json"), results, indent=2)
    plot(results, os.path.join(args.out, "tau.png"), f"{args.zoo}, target {args.target}")
    comparison = sne_versus_best(results)
    write_comparisons({"test": comparison}, args.out)
    write_json(os.path.join(args.out, "summary.json"),
               {**run_metadata("examples/accuracy_prediction.py", argv, started), "zoo": args.zoo,
                "zoo_sha256": zoo_experiment_digests(args, args.zoo, chunk_size=args.chunk_size),
                "target": args.target, "splits": {s: len(part) for s, part in splits.items()},
                "settings": {**zoo_experiment_settings(args), **lever_settings(args)}, "results": results, "sne_vs_best": comparison,
                "histories": histories, "tuned": tuned})
    curves = [n for n in ("sne", comparison and comparison["other"]) if n in histories]
    if curves:                               # SNE beside the best other model: under- or overfitting?
        plot_learning_curves({n: histories[n] for n in curves}, os.path.join(args.out, "curves.png"),
                             f"{args.zoo}: training and validation curves")
    print(f"\n{args.zoo}: {len(splits['train'])}/{len(splits['val'])}/{len(splits['test'])} networks, "
          f"target {args.target}, {args.seeds} seeds")
    print(f"{'model':<14}{'#params':>10}{'Kendall tau':>22}")
    for name, r in sorted(results.items(), key=lambda kv: -kv[1]["tau_mean"]):
        print(f"{name:<14}{r['params']:>10,}{r['tau_mean']:>14.3f} +- {r['tau_std']:.3f}")
    return results


def lever_settings(args, model: str | None = None) -> dict:
    """The chunk size, input normalisation, training options and model options a run depends on, only where they differ from the
    defaults (runs cached before these flags existed keep their keys); ``model`` None: every model's options."""
    options = model_options_of(args)
    out = {} if args.chunk_size == CHUNK_SIZE else {"chunk_size": args.chunk_size}
    if args.input_norm != "none":
        out["input_norm"] = args.input_norm
    if args.train_options:                       # explicit training options win over --tuned ones
        out["train_options"] = train_options_of(args)
    chosen = options if model is None else options.get(model)
    return {**out, "model_options": chosen} if chosen else out


def plot(results: dict, path: str, title: str) -> None:
    names = sorted(results, key=lambda n: -results[n]["tau_mean"])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(names, [results[n]["tau_mean"] for n in names], yerr=[results[n]["tau_std"] for n in names], capsize=4)
    ax.set_ylabel("Kendall tau (test)")
    ax.set_title(title)
    save_figure(fig, path)


if __name__ == "__main__":
    main()
