"""The main job: train SNE to predict the frequency of sine-wave INRs from their weights.

    python -m sne_pyg.demo                 # default zoo (400 INRs), a few minutes on 2 CPU cores
    python -m sne_pyg.demo --quick         # a tiny run (tests / smoke)

Generates (or reuses) the sine INR zoo (the peers' recipe, as the SNE paper's Table 1: an independent
initialisation per INR; ``--recipe ours`` is the easier aligned zoo of one shared initialisation), trains
SNE on the train split with early stopping on val, prints the test MSE beside the predict-the-train-mean baseline, and writes
``model.safetensors`` (reload with ``SNE.load``), ``results.json``, ``predictions.csv``, ``pred_vs_true.png`` and ``training_curve.png`` to ``--out``.
"""
from __future__ import annotations

import argparse
import csv
import os
import time

import torch

from .nn import SNE
from .plots import plot_predictions, plot_training_curve
from .train import TargetScaler, TrainConfig, fit, mse, predict, seed_everything, targets_of
from .zoos import SineINRZoo
from .json_files import write_json


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--size", type=int, default=400, help="INRs in the zoo")
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--inr-steps", type=int, default=None,
                        help="Adam steps of each INR fit (default 1500 at most for peers, 1000 for ours)")
    parser.add_argument("--recipe", default="peers", choices=("ours", "peers"), help="see SineINRZoo")
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--root", default="data_cache", help="zoo cache folder")
    parser.add_argument("--out", default="runs/demo", help="output folder")
    parser.add_argument("--quick", action="store_true", help="tiny zoo and few epochs (smoke test)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.inr_steps is None:
        args.inr_steps = 1500 if args.recipe == "peers" else 1000
    if args.quick:
        args.size, args.inr_steps, args.epochs, args.hidden = 40, 100, 3, 16
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    start = time.time()
    seed_everything(args.seed)
    progress = not args.no_progress
    zoo = {split: SineINRZoo(args.root, split, size=args.size, chunk_size=args.chunk_size, steps=args.inr_steps,
                             seed=args.seed, recipe=args.recipe, progress=progress) for split in ("train", "val", "test")}
    zoo_seconds = time.time() - start

    scaler = TargetScaler(targets_of(zoo["train"]))
    model = SNE(hidden=args.hidden, out_dim=1)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                         progress=progress, patience=max(args.epochs // 3, 5))
    result = fit(model, zoo["train"], zoo["val"], config, scaler)
    pred, true = predict(model, zoo["test"], scaler)
    baseline = scaler.mean.expand_as(true)

    os.makedirs(args.out, exist_ok=True)
    model.save(os.path.join(args.out, "model.safetensors"),
               metadata={"task": "regression", "target": "0", "scaler": scaler.state(), "out_dim": 1})
    report = {
        "task": "sine INR frequency regression",
        "zoo": {split: len(ds) for split, ds in zoo.items()},
        "sne_test_mse": mse(pred, true),
        "mean_baseline_test_mse": mse(baseline, true),
        "sne_params": sum(p.numel() for p in model.parameters()),
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "zoo_seconds": round(zoo_seconds, 1),
        "wall_seconds": round(time.time() - start, 1),
        "settings": vars(args),
    }
    write_json(os.path.join(args.out, "results.json"), report, indent=2)
    with open(os.path.join(args.out, "predictions.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["true_frequency", "predicted_frequency"])
        writer.writerows(zip(true.flatten().tolist(), pred.flatten().tolist()))
    plot_predictions(true, pred, os.path.join(args.out, "pred_vs_true.png"),
                     title=f"SNE on sine INRs: test MSE {report['sne_test_mse']:.3f} "
                           f"(mean baseline {report['mean_baseline_test_mse']:.3f})",
                     label="frequency a")
    plot_training_curve(result.history, os.path.join(args.out, "training_curve.png"))

    print(f"\n{'model':<22}{'test MSE':>10}")
    print(f"{'SNE':<22}{report['sne_test_mse']:>10.4f}")
    print(f"{'predict train mean':<22}{report['mean_baseline_test_mse']:>10.4f}")
    print(f"\nzoo {report['zoo']}, SNE {report['sne_params']:,} parameters, best epoch {result.best_epoch}, "
          f"wall time {report['wall_seconds']:.0f}s; outputs in {args.out}/")
    return report


if __name__ == "__main__":  # pragma: no cover
    torch.set_num_threads(max(torch.get_num_threads(), 1))
    main()
