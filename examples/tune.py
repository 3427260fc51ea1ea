"""Tune every model with Optuna on the sine-INR zoo's validation split, the same trials and space for each.

    python examples/tune.py --models sne,dwsnet,neural_graph --trials 12 --out runs/tune/inr_frequency
    python examples/tune.py --quick --out DIR                      # a minute on 2 CPU cores
    python examples/inr_frequency.py --tuned runs/tune/inr_frequency   # Table 1 with the tuned settings

Each trial trains one model with one fixed seed (lr, weight decay, width, epochs, permutation augmentation,
Logit Invariance weight drawn by a seeded TPE sampler) and scores the best validation MSE; the test split is
never read. A trial worse than the earlier trials' median after 10 epochs is stopped (Optuna's median pruner;
``--no-prune`` trains every trial to its end); stopped trials count against ``--trials``. Studies live in ``OUT/<model>.db`` (an interrupted run resumes; more ``--trials`` adds only the
missing ones); ``OUT/<model>.json`` holds every trial and the best settings.
"""
from __future__ import annotations

import argparse
import json
import os
import time

from sne_pyg.experiments.reports import run_metadata
from sne_pyg.experiments.tuning import SearchSpace, tune
from sne_pyg.nn import parse_models
from sne_pyg.zoos import SineINRZoo
from sne_pyg.json_files import write_json


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--models", default="all", help="comma-separated registered names, or 'all'")
    parser.add_argument("--trials", type=int, default=12, help="completed trials per model")
    parser.add_argument("--size", type=int, default=600, help="INRs in the zoo (as examples/inr_frequency.py)")
    parser.add_argument("--inr-steps", type=int, default=1500)
    parser.add_argument("--recipe", default="peers", choices=("ours", "peers"))
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampler and of every trial's training")
    parser.add_argument("--no-prune", action="store_true",
                        help="train every trial to its end (default: Optuna's median pruner stops a trial that is worse "
                             "than the earlier trials' median after 10 epochs; a stopped trial counts as one of --trials)")
    parser.add_argument("--root", default="data_cache")
    parser.add_argument("--out", default="runs/tune/inr_frequency")
    parser.add_argument("--quick", action="store_true", help="tiny zoo, 2 trials of 2 epochs")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.trials < 1:
        parser.error("--trials must be >= 1")
    args.space = SearchSpace()
    if args.quick:
        args.size, args.inr_steps, args.trials = 60, 200, 2
        args.space = SearchSpace(hidden=(8, 16), epochs=(2,))
    return args


def main(argv=None) -> dict:
    started = time.time()
    args = parse_args(argv)
    names = parse_models(args.models)
    zoo = SineINRZoo.splits(args.root, ("train", "val"), size=args.size, chunk_size=args.chunk_size,
                            steps=args.inr_steps, recipe=args.recipe, progress=not args.no_progress)
    results = {name: tune(name, zoo["train"], zoo["val"], args.trials, args.out, args.space, args.seed,
                          args.batch_size, progress=not args.no_progress, prune=not args.no_prune) for name in names}
    tuned = dict(stored_results(args.out), **results)        # with the models another process tuned into OUT
    write_json(os.path.join(args.out, "summary.json"),
               {**run_metadata("examples/tune.py", argv, started), "trials": args.trials,
                "best": {name: {"settings": r["best"], "val_mse": r["best_val_mse"], "trials": len(r["trials"])}
                         for name, r in sorted(tuned.items())}})
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
