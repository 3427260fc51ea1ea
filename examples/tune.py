"""Tune every model with Optuna on a zoo's validation split, the same trials and space for each.

    python examples/tune.py --models sne,dwsnet,neural_graph --trials 12 --out runs/tune/inr_frequency
    python examples/tune.py --quick --out DIR                      # a minute on 2 CPU cores
    python examples/inr_frequency.py --tuned runs/tune/inr_frequency   # Table 1 with the tuned settings
    python examples/tune.py --zoo arch1-digits --models sne,neural_graph --trials 12   # -> runs/tune/arch1-digits
    python examples/accuracy_prediction.py --tuned runs/tune/arch1-digits             # the tau table, tuned
    python examples/tune.py --models sne --model-option sne.neuron_context=true --out runs/tune/sne_context
    python examples/inr_frequency.py --models sne --model-option sne.neuron_context=true --tuned runs/tune/sne_context

``--zoo`` is the sine-INR zoo of Table 1 (default) or a classifier zoo kind, generated as
``examples/accuracy_prediction.py`` generates it (``--size`` runs x 4 checkpoints, split 60/10/30, 10 epochs
per classifier; ``--target`` picks the label, test accuracy by default), so the tuned settings feed that table.

Each trial trains one model with one fixed seed (lr, weight decay, width, epochs, permutation augmentation,
Logit Invariance weight drawn by a seeded TPE sampler) and scores the best validation MSE; the test split is
never read. A trial worse than the earlier trials' median after 10 epochs is stopped (Optuna's median pruner;
``--no-prune`` trains every trial to its end); stopped trials count against ``--trials``. Studies live in ``OUT/<model>.db`` (an interrupted run resumes, rerunning a trial cut short by an error or a
kill with its settings; more ``--trials`` adds only the missing ones); ``OUT/<model>.json`` holds every trial and the best settings;
``OUT/tuning.png`` plots every model's trials and best-so-far validation MSE.
"""
from __future__ import annotations

import argparse
import json
import os
import time

from sne_pyg.argtypes import distinct_positive_ints
from sne_pyg.experiments.reports import run_metadata
from sne_pyg.experiments.tuning import SearchSpace, space_json, tune
from sne_pyg.nn import parse_models
from sne_pyg.plots import plot_tuning_history
from sne_pyg.experiments.arguments import (ZOO_CHECKPOINTS, ZOO_FRACTIONS, ZOO_RUNS, add_model_option_argument,
                                           model_options_of)
from sne_pyg.zoos import SineINRZoo
from sne_pyg.zoos.kinds import ZOO_KINDS, cached_splits
from sne_pyg.zoos.labels import parse_target
from sne_pyg.json_files import write_json


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--models", default="all", help="comma-separated registered names, or 'all'")
    parser.add_argument("--trials", type=int, default=12, help="completed trials per model")
    parser.add_argument("--zoo", default="sine_inr-peers", choices=sorted(k for k in ZOO_KINDS if k != "sine_inr"),
                        help="sine_inr-peers: Table 1's INR zoo; a classifier kind: accuracy_prediction.py's zoo")
    parser.add_argument("--target", type=parse_target, default=0,
                        help="classifier zoos: the label to predict (a column of y or a numeric label's name)")
    parser.add_argument("--size", type=int, default=None,
                        help=f"INRs in the zoo (default 600, as examples/inr_frequency.py) or classifier runs "
                             f"(default {ZOO_RUNS}, as examples/accuracy_prediction.py)")
    parser.add_argument("--inr-steps", type=int, default=1500)
    parser.add_argument("--recipe", default="peers", choices=("ours", "peers"))
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampler and of every trial's training")
    parser.add_argument("--epochs-choices", type=distinct_positive_ints, default=None,
                        help=f"comma-separated epochs a trial may choose (default {','.join(map(str, SearchSpace.epochs))}); "
                             "a smaller budget, e.g. 15,30, when trials must be cheap")
    parser.add_argument("--hidden-choices", type=distinct_positive_ints, default=None,
                        help=f"comma-separated widths a trial may choose (default {','.join(map(str, SearchSpace.hidden))})")
    parser.add_argument("--no-prune", action="store_true",
                        help="train every trial to its end (default: Optuna's median pruner stops a trial that is worse "
                             "than the earlier trials' median after 10 epochs; a stopped trial counts as one of --trials)")
    add_model_option_argument(parser)
    parser.add_argument("--root", default="data_cache")
    parser.add_argument("--out", default=None, help="default runs/tune/inr_frequency, or runs/tune/<zoo>")
    parser.add_argument("--quick", action="store_true", help="tiny zoo, 2 trials of 2 epochs")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.trials < 1:
        parser.error("--trials must be >= 1")
    args.space = SearchSpace(**{field: tuple(choices) for field, choices in
                                (("epochs", args.epochs_choices), ("hidden", args.hidden_choices)) if choices})
    inr = args.zoo == "sine_inr-peers"
    args.size = args.size or (600 if inr else ZOO_RUNS)
    args.out = args.out or os.path.join("runs", "tune", "inr_frequency" if inr else args.zoo)
    args.zoo_epochs = 10
    if args.quick:
        args.size, args.inr_steps, args.trials, args.zoo_epochs = (60 if inr else 24), 200, 2, 2
        args.space = SearchSpace(hidden=(12, 16), epochs=(2,))   # never the quick default width (8)
    return args


def tuning_splits(args) -> dict[str, list]:
    """The train and validation splits of the zoo the tuned settings are for (the test split is not read)."""
    if args.zoo == "sine_inr-peers":
        return SineINRZoo.splits(args.root, ("train", "val"), size=args.size, chunk_size=args.chunk_size,
                                 steps=args.inr_steps, recipe=args.recipe, progress=not args.no_progress)
    return cached_splits(args.zoo, args.root, args.size, args.zoo_epochs, args.target, splits=("train", "val"),
                         chunk_size=args.chunk_size, checkpoints=ZOO_CHECKPOINTS, fractions=ZOO_FRACTIONS,
                         progress=not args.no_progress)


def main(argv=None) -> dict:
    started = time.time()
    args = parse_args(argv)
    names = parse_models(args.models)
    zoo = tuning_splits(args)
    options = model_options_of(args)
    results = {name: tune(name, zoo["train"], zoo["val"], args.trials, args.out, args.space, args.seed,
                          args.batch_size, progress=not args.no_progress, prune=not args.no_prune,
                          model_options=options.get(name)) for name in names}
    tuned = dict(stored_results(args.out), **results)        # with the models another process tuned into OUT
    write_json(os.path.join(args.out, "summary.json"),
               {**run_metadata("examples/tune.py", argv, started), "zoo": args.zoo, "target": args.target,
                "trials": args.trials,
                "space": space_json(args.space),
                "best": {name: {"settings": r["best"], "val_mse": r["best_val_mse"], "trials": len(r["trials"]),
                                "pruned": r.get("pruned", 0),
                                **({"model_options": r["model_options"]} if "model_options" in r else {})}
                         for name, r in sorted(tuned.items())}})
    plot_tuning_history(dict(sorted(tuned.items(), key=lambda kv: kv[1]["best_val_mse"])),
                        os.path.join(args.out, "tuning.png"), f"{args.zoo}: {args.trials} trials per model")
    print(f"\n{'model':<14}{'val MSE':>10}  best settings ({args.trials} trials each)")
    for name, r in sorted(results.items(), key=lambda kv: kv[1]["best_val_mse"]):
        print(f"{name:<14}{r['best_val_mse']:>10.4f}  {r['best']}")
    print(f"\nsettings in {args.out}/<model>.json; use them with: python examples/inr_frequency.py --tuned {args.out}")
    return results


def stored_results(out: str) -> dict[str, dict]:
    """Every registered model's ``OUT/<model>.json`` that is there (a study written by any process)."""
    found = {}
    for name in parse_models("all"):
        path = os.path.join(out, f"{name}.json")
        if os.path.exists(path):
            try:
                with open(path) as f:
                    found[name] = json.load(f)
            except (OSError, json.JSONDecodeError) as error:
                raise SystemExit(f"{path}: cannot read tuning results: {error}") from None
    return found


if __name__ == "__main__":
    main()
