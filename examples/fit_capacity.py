"""Can an encoder fit its own training networks? A one-minute check of what a model's encoding keeps.

    python examples/fit_capacity.py              # SNE, with positions, with neuron context; DWSNet; NeuralGraph
    python examples/fit_capacity.py --variants "sne;sne:set_function=mean;dwsnet"
    python examples/fit_capacity.py --quick --out DIR                # seconds (CI)

Each variant (``MODEL`` or ``MODEL:KEY=VALUE,KEY=VALUE`` with constructor options) trains on the first ``--count``
training INRs of the Table 1 zoo and is scored on those same INRs (no augmentation, no weight decay): the best
MSE over the epochs, in target units. A model whose encoding keeps what tells the networks apart drives it far
below the targets' variance; one that loses it stays high however it is trained. This separates underfitting
from poor generalisation: a high number here is not a matter of held-out data. Every (variant, seed) result is
cached in ``OUT/cache`` (a rerun resumes; processes sharing ``OUT`` split the runs), and ``OUT/results.json``
holds ``{variant: {"model", "options", "mse" (per seed), "mse_mean", "params", "seconds"}}`` with the run's metadata.
"""
from __future__ import annotations

import argparse
import statistics
import time

from sne_pyg.argtypes import positive_int
from sne_pyg.experiments.arguments import model_option
from sne_pyg.experiments.cache import cached_all
from sne_pyg.experiments.regression import fit_seeded
from sne_pyg.experiments.reports import run_metadata
from sne_pyg.json_files import write_json
from sne_pyg.nn import MODELS
from sne_pyg.nn.registry import with_revision
from sne_pyg.train import TargetScaler, targets_of
from sne_pyg.zoos import SineINRZoo

DEFAULT_VARIANTS = "sne;sne:element_positions=chunk;sne:neuron_context=true;dwsnet;neural_graph"


def parse_variant(text: str) -> tuple[str, dict]:
    """``"sne:heads=1,set_function=mean"`` -> ``("sne", {"heads": 1, "set_function": "mean"})``; a model or
    option that does not exist is named in a one-line error."""
    name, _, options = text.strip().partition(":")
    if name not in MODELS:
        raise argparse.ArgumentTypeError(f"unknown model {name!r} in {text!r}; registered: {sorted(MODELS)}")
    parsed = {}
    for item in filter(None, (part.strip() for part in options.split(","))):
        _, key, value = model_option(f"{name}.{item}")
        parsed[key] = value
    return name, parsed


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--variants", default=DEFAULT_VARIANTS,
                        help="';'-separated MODEL or MODEL:KEY=VALUE,... (constructor options)")
    parser.add_argument("--count", type=positive_int, default=64, help="training INRs to fit")
    parser.add_argument("--seeds", type=positive_int, default=1)
    parser.add_argument("--size", type=int, default=600, help="INRs in the zoo (the Table 1 zoo)")
    parser.add_argument("--inr-steps", type=int, default=1500)
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--root", default="data_cache")
    parser.add_argument("--out", default="runs/fit_capacity")
    parser.add_argument("--quick", action="store_true", help="tiny zoo, few epochs")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.inr_steps, args.count, args.epochs, args.hidden = 60, 200, 8, 3, 16
    try:
        args.variants = [parse_variant(v) for v in args.variants.split(";") if v.strip()]
    except argparse.ArgumentTypeError as error:
        parser.error(f"--variants: {error}")
    return args


def variant_label(name: str, options: dict) -> str:
    """``("sne", {"heads": 1, "neuron_context": True})`` -> ``"sne:heads=1,neuron_context=true"`` (the
    command-line spelling)."""
    def spelled(value) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)
    return name + (":" + ",".join(f"{k}={spelled(v)}" for k, v in options.items()) if options else "")


def file_key(label: str) -> str:
    """``"sne:heads=1,augment=true"`` -> ``"sne+heads-1+augment-true"``: a cache file name any file system takes."""
    return label.replace(":", "+").replace(",", "+").replace("=", "-")


def main(argv=None) -> dict:
    started = time.time()
    args = parse_args(argv)
    zoo = SineINRZoo.splits(args.root, ("train",), size=args.size, chunk_size=args.chunk_size, steps=args.inr_steps,
                            recipe="peers", progress=not args.no_progress)
    networks = zoo["train"][:args.count]
    scaler = TargetScaler(targets_of(networks))
    settings = {k: getattr(args, k) for k in ("size", "inr_steps", "chunk_size", "count", "hidden", "epochs", "lr",
                                              "batch_size")}

    def fit_one(name: str, options: dict, seed: int) -> dict:
        begun = time.time()
        model, result = fit_seeded(name, networks, networks, scaler, seed, hidden=args.hidden, epochs=args.epochs,
                                   lr=args.lr, weight_decay=0.0, batch_size=args.batch_size,
                                   progress=not args.no_progress, model_options=options)
        return {"mse": result.best_val, "best_epoch": result.best_epoch,
                "params": sum(p.numel() for p in model.parameters()), "seconds": round(time.time() - begun, 1)}

    labels = [variant_label(name, options) for name, options in args.variants]
    jobs = [(f"{file_key(label)}-seed{seed}", lambda name=name, options=options, seed=seed: fit_one(name, options, seed),
             with_revision(name, dict(settings, model=name, options=options)))
            for label, (name, options) in zip(labels, args.variants) for seed in range(args.seeds)]
    made = iter(cached_all(args.out, jobs))
    results = {}
    for label, (name, options) in zip(labels, args.variants):
        runs = [next(made) for _ in range(args.seeds)]
        scores = [r["mse"] for r in runs]
        results[label] = {"model": name, "options": options, "mse": scores, "mse_mean": statistics.fmean(scores),
                          "params": runs[-1]["params"], "seconds": sum(r["seconds"] for r in runs)}
    variance = statistics.pvariance(float(t) for t in targets_of(networks)[:, 0])
    summary = {**run_metadata("examples/fit_capacity.py", argv, started), "settings": settings,
               "target_variance": variance, "results": results}
    write_json(f"{args.out}/results.json", summary)
    print(f"\nbest MSE on the {args.count} training INRs they were fitted to (targets' variance {variance:.3f})")
    print(f"{'variant':<40}{'params':>10}{'MSE':>10}")
    for label, r in results.items():
        print(f"{label:<40}{r['params']:>10,}{r['mse_mean']:>10.4f}")
    return summary


if __name__ == "__main__":
    main()
