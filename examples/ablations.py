"""The SNE paper's ablations on the Table 1 zoo: Table 6 (parts removed), Table 7 (chunk sizes), Figure 3
(data efficiency of SNE, DWSNet and NeuralGraph).

    python examples/ablations.py                         # all three studies, 3 seeds, the Table 1 zoo
    python examples/ablations.py --studies table6 --seeds 2
    python examples/ablations.py --quick --out DIR       # a few minutes on 2 CPU cores

Every (study, setting, seed) result, with its predictions for every test INR, is cached in ``OUT/cache/`` with
its settings, so an interrupted run resumes; processes started on one ``--out`` (one per core) split the
runs between them, each taking the next run no other is making (:func:`sne_pyg.experiments.cache.cached_all`).
Each Table 6 variant is compared with the full model, each Table 7 chunk size with the default one, and at each
Figure 3 size SNE with the best other model: the difference of test MSE with a paired bootstrap 95% interval over
test INRs and seeds
(:func:`sne_pyg.experiments.bootstrap.paired_bootstrap`; an interval containing 0 is a tie).
Writes ``OUT/results.json`` (``{study: {setting: {"mse_mean", "mse_std", "mse", "params", "versus"}}}``),
``OUT/chunk_size.png`` and ``OUT/data_efficiency.png`` (mean test MSE with a band of +-1 std over seeds),
and prints one table per study.
"""
from __future__ import annotations

import argparse
import os
import time

from matplotlib.ticker import NullFormatter

import numpy as np

from sne_pyg.argtypes import distinct_fractions, distinct_positive_ints, positive_int
from sne_pyg.experiments.bootstrap import paired_bootstrap, versus_best_other
from sne_pyg.experiments.seeds import mean_and_std
from sne_pyg.experiments.ablations import CHUNK_SIZES, DATA_EFFICIENCY_MODELS, FRACTIONS, TABLE6, rechunk, training_subset
from sne_pyg.experiments.cache import Job, cached_all, checkpoint_path
from sne_pyg.experiments.regression import train_and_test
from sne_pyg.experiments.reports import run_metadata
from sne_pyg.nn.registry import with_revision
from sne_pyg.plots import plt, save_figure
from sne_pyg.train import TargetScaler, targets_of
from sne_pyg.zoos import SineINRZoo
from sne_pyg.json_files import write_json

STUDIES = ("table6", "table7", "data_efficiency")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--studies", default=",".join(STUDIES), help=f"comma-separated, of {STUDIES}")
    parser.add_argument("--seeds", type=positive_int, default=3)
    parser.add_argument("--size", type=int, default=600, help="INRs in the zoo (the Table 1 zoo)")
    parser.add_argument("--inr-steps", type=int, default=1500)
    parser.add_argument("--chunk-size", type=int, default=64, help="chunk size of Table 6 and Figure 3")
    parser.add_argument("--chunk-sizes", type=distinct_positive_ints, default=",".join(map(str, CHUNK_SIZES)),
                        help="Table 7")
    parser.add_argument("--fractions", type=distinct_fractions, default=",".join(map(str, FRACTIONS)),
                        help="Figure 3: fractions of the training INRs")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--resamples", type=positive_int, default=10_000, help="bootstrap resamples per comparison")
    parser.add_argument("--root", default="data_cache")
    parser.add_argument("--out", default="runs/ablations")
    parser.add_argument("--quick", action="store_true", help="small zoo, few epochs, two chunk sizes and fractions")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    args.studies = [s.strip() for s in args.studies.split(",") if s.strip()]
    unknown = [s for s in args.studies if s not in STUDIES]
    if unknown:
        parser.error(f"--studies: unknown {unknown}; choose from {STUDIES}")
    if args.quick:
        args.size, args.inr_steps, args.epochs, args.hidden, args.resamples = 60, 200, 2, 16, 500
        args.chunk_sizes, args.fractions = [16, 64], [0.25, 1.0]
    return args


def main(argv=None) -> dict:
    started = time.time()
    args = parse_args(argv)
    zoo = {split: list(part) for split, part in SineINRZoo.splits(
        args.root, size=args.size, chunk_size=args.chunk_size, steps=args.inr_steps, recipe="peers",
        progress=not args.no_progress).items()}
    scaler = TargetScaler(targets_of(zoo["train"]))
    test_targets = targets_of(zoo["test"])[:, 0].numpy()
    # "records": results cached before test predictions were kept are not reused
    base = {"size": args.size, "inr_steps": args.inr_steps, "hidden": args.hidden, "epochs": args.epochs,
            "batch_size": args.batch_size, "lr": args.lr, "records": "test predictions"}

    def job(key: str, name: str, data: dict, seed: int, settings: dict, model=None, train=None) -> Job:
        """One cached (setting, seed) run: trained, tested and kept as ``OUT/cache/<key>-seed<seed>.json``."""
        def compute():
            out = train_and_test(name, data, scaler, seed, hidden=args.hidden, epochs=args.epochs, lr=args.lr,
                                 batch_size=args.batch_size, progress=not args.no_progress, model_options=model,
                                 checkpoint=checkpoint_path(args.out, f"{key}-seed{seed}"), **(train or {}))
            return {k: out[k] for k in ("mse", "predictions", "params", "best_epoch", "seconds")}
        return f"{key}-seed{seed}", compute, with_revision(name, dict(base, **settings))

    def full_sne(seed: int) -> Job:
        """Table 6's full model: also Table 7's default chunk size and Figure 3's SNE at 100% (one run)."""
        return job("table6-sne", "sne", zoo, seed, {"chunk_size": args.chunk_size})

    def run_all(jobs: dict) -> dict:
        """``{name: result}`` of ``{name: job}``; processes sharing ``--out`` split the jobs (:func:`cached_all`)."""
        return dict(zip(jobs, cached_all(args.out, list(jobs.values()))))

    def versus(runs: list[dict], reference: list[dict], other: str) -> dict:
        """Test MSE of ``runs`` minus that of ``reference`` (the setting named ``other``), paired bootstrap."""
        return {"other": other, **paired_bootstrap(predictions(runs), predictions(reference), test_targets, "mse",
                                                   resamples=args.resamples).to_dict()}

    results = {}
    if "table6" in args.studies:
        done = run_all({(variant, seed): job(f"table6-{_slug(variant)}", "sne", zoo, seed,
                                             {"chunk_size": args.chunk_size, **spec}, spec.get("model"), spec.get("train"))
                        for variant, spec in TABLE6.items() for seed in range(args.seeds)})
        runs = {variant: [done[variant, seed] for seed in range(args.seeds)] for variant in TABLE6}
        full_name, full = next(iter(runs.items()))
        results["table6"] = {variant: dict(summary(r), **({} if r is full else {"versus": versus(r, full, full_name)}))
                             for variant, r in runs.items()}
    if "table7" in args.studies:
        jobs = {}
        for c in args.chunk_sizes:
            data = zoo if c == args.chunk_size else {k: rechunk(v, c) for k, v in zoo.items()}
            for seed in range(args.seeds):
                jobs[c, seed] = (full_sne(seed) if c == args.chunk_size
                                 else job(f"table7-chunk{c}", "sne", data, seed, {"chunk_size": c}))
        done = run_all(jobs)
        runs = {c: [done[c, seed] for seed in range(args.seeds)] for c in args.chunk_sizes}
        reference = runs.get(args.chunk_size)
        results["table7"] = {str(c): dict(summary(r), **({} if reference is None or c == args.chunk_size
                                                         else {"versus": versus(r, reference, f"chunk {args.chunk_size}")}))
                             for c, r in runs.items()}
    if "data_efficiency" in args.studies:
        results["data_efficiency"], by_fraction, jobs = {}, {}, {}
        for name in DATA_EFFICIENCY_MODELS:
            for fraction in args.fractions:
                for seed in range(args.seeds):
                    keep = training_subset(len(zoo["train"]), fraction, seed)
                    data = dict(zoo, train=[zoo["train"][i] for i in keep])
                    jobs[name, fraction, seed] = (
                        full_sne(seed) if name == "sne" and len(keep) == len(zoo["train"]) else
                        job(f"data-{name}-{fraction}", name, data, seed,
                            {"chunk_size": args.chunk_size, "fraction": fraction, "train_networks": len(keep)}))
        done = run_all(jobs)
        for name in DATA_EFFICIENCY_MODELS:
            for fraction in args.fractions:
                scores = [done[name, fraction, seed] for seed in range(args.seeds)]
                by_fraction.setdefault(fraction, {})[name] = scores
                results["data_efficiency"][f"{name}@{fraction}"] = dict(
                    summary(scores), model=name, fraction=fraction,
                    train_networks=len(training_subset(len(zoo["train"]), fraction)))
        for fraction, runs in by_fraction.items():       # SNE against the best other model at each size
            if "sne" in runs and len(runs) > 1:
                results["data_efficiency"][f"sne@{fraction}"]["versus"] = versus_best_other(
                    {name: predictions(r) for name, r in runs.items()}, test_targets, "sne", "mse",
                    resamples=args.resamples)
    write_json(os.path.join(args.out, "results.json"),
               {**run_metadata("examples/ablations.py", argv, started), "results": results, "settings": vars(args),
                "zoo": {k: len(v) for k, v in zoo.items()}})
    plots(results, args.out)
    for study, rows in results.items():
        print(f"\n{study}\n{'setting':<44}{'test MSE':>22}{'params':>10}")
        for setting, r in rows.items():
            v = r.get("versus")
            against = (f"  {v['difference']:+.4f} [{v['low']:+.4f}, {v['high']:+.4f}] vs {v['other']}: {v['verdict']}"
                       if v else "")
            print(f"{setting:<44}{r['mse_mean']:>12.4f} +- {r['mse_std']:.4f}{r['params']:>10,}{against}")
    return results


def predictions(runs: list[dict]) -> np.ndarray:
    """``[seeds, test INRs]`` test predictions of one setting's runs."""
    return np.array([r["predictions"] for r in runs])


def summary(runs: list[dict]) -> dict:
    scores = [r["mse"] for r in runs]
    mean, std = mean_and_std(scores)
    return {"mse_mean": mean, "mse_std": std, "mse": scores, "params": runs[0]["params"], "seconds": round(sum(r["seconds"] for r in runs), 1)}


def plots(results: dict, out: str) -> None:
    if "table7" in results:
        sizes = [int(c) for c in results["table7"]]
        fig, ax = plt.subplots(figsize=(5, 3.5))
        _band(ax, sizes, [results["table7"][str(c)] for c in sizes], "sne")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("chunk size")
        ax.set_ylabel("test MSE")
        ax.set_title("SNE: chunk size (Table 7)")
        save_figure(fig, os.path.join(out, "chunk_size.png"))
    if "data_efficiency" in results:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for name in DATA_EFFICIENCY_MODELS:
            rows = [r for r in results["data_efficiency"].values() if r["model"] == name]
            if rows:
                _band(ax, [r["train_networks"] for r in rows], rows, name)
        counts = sorted({r["train_networks"] for r in results["data_efficiency"].values()})
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(counts, [str(c) for c in counts])           # the subset sizes, not log-axis minor labels
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("training INRs")
        ax.set_ylabel("test MSE")
        ax.set_title("Data efficiency (Figure 3)")
        ax.legend()
        save_figure(fig, os.path.join(out, "data_efficiency.png"))


def _band(ax, x, rows, label):
    mean = [r["mse_mean"] for r in rows]
    std = [r["mse_std"] for r in rows]
    ax.plot(x, mean, marker="o", label=label)
    ax.fill_between(x, [m - s for m, s in zip(mean, std)], [m + s for m, s in zip(mean, std)], alpha=0.25)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


if __name__ == "__main__":
    main()
