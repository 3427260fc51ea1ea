"""``sne-pyg train --data ZOO --model sne --out DIR``: train a model on a zoo folder.

Writes ``model.safetensors`` (weights + configuration + target scaling; ``sne-pyg evaluate`` and
``SNE.load`` read it), ``results.json``, ``report.txt``, ``training_curve.png``,
``pred_vs_true.png`` (regression) and ``embeddings.png``. Launched with
``torchrun --nproc_per_node N -m sne_pyg.cli train ...`` it trains data-parallel on N processes
(gloo on CPU, NCCL on GPU) and only rank 0 writes. In one process it keeps an epoch checkpoint,
``training.checkpoint.pt``, in ``--out``: the same command stopped mid-training and run again resumes there
(bit-identical to an uninterrupted run; a checkpoint of other settings is refused naming what differs).
"""
from __future__ import annotations

import argparse
import os
import time

import torch

from ..argtypes import positive_int
from ..data.sources import zoo_split
from ..nn import MODELS, build_model
from ..nn.checkpoint import save_model
from ..plots import plot_training_curve
from ..train import TASKS, TargetScaler, TrainConfig, fit, prepare_dataset, seed_everything, targets_of
from ..zoos.labels import zoo_target
from .config import add_config_argument, add_subcommand
from .distributed_run import finish_distributed_run, resumed_note, run_checkpoint, start_distributed_run
from .outputs import add_overwrite_argument
from .runs import assess, plot_zoo_embeddings, write_report

# the files a training run writes into --out
RUN_FILES = ("model.safetensors", "results.json", "report.txt", "training_curve.png", "pred_vs_true.png",
             "embeddings.png")

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def add_schedule_arguments(parser: argparse.ArgumentParser, defaults) -> None:
    """``--epochs``, ``--batch-size``, ``--lr``, ``--weight-decay`` with the defaults of a training config
    (``train`` and ``pretrain`` share them)."""
    parser.add_argument("--epochs", type=positive_int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=positive_int, default=defaults.batch_size,
                        help="global batch size (split across processes under torchrun)")
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)


def add_parser(sub) -> argparse.ArgumentParser:
    parser = add_subcommand(sub, "train", "train a model on a zoo folder", __doc__)
    parser.add_argument("--data", required=True, help="zoo folder (train.pt, val.pt, test.pt)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--model", default="sne", choices=sorted(MODELS), help="model to train")
    parser.add_argument("--task", default="regression", choices=TASKS)
    parser.add_argument("--target", default="0", help="column of y to predict, 'all', or a label a classifier zoo records by name "
                        "(log10_lr, dropout, epoch, activation, ...; see sne_pyg.zoos.labels)")
    parser.add_argument("--hidden", type=positive_int, default=64, help="model width")
    defaults = TrainConfig()
    add_schedule_arguments(parser, defaults)
    parser.add_argument("--patience", type=positive_int, default=defaults.patience)
    parser.add_argument("--li-weight", type=float, default=defaults.li_weight, help="Logit Invariance weight")
    parser.add_argument("--li-samples", type=positive_int, default=defaults.li_samples)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--dtype", default="float32", choices=sorted(DTYPES))
    parser.add_argument("--embedding-plot", default="pca", choices=("pca", "tsne"))
    parser.add_argument("--no-progress", action="store_true")
    add_overwrite_argument(parser)
    add_config_argument(parser)
    return parser


def output_size(train, task: str) -> int:
    """Outputs of the head: one per target column, or one per class (labels ``0..K-1``)."""
    if task == "classification":
        labels = targets_of(train)
        if labels.size(-1) != 1 or not bool(((labels == labels.round()) & (labels >= 0)).all()):
            bad = labels[(labels != labels.round()) | (labels < 0)]
            raise ValueError(f"--task classification needs one column of integer class labels >= 0 "
                             f"(got {labels.size(-1)} column(s), e.g. {bad[:3].tolist()}); "
                             f"pick a column with --target or use --task regression")
        return int(labels.max()) + 1
    return train[0].y.size(-1)


def run(args: argparse.Namespace) -> int:
    start = time.time()
    world, device = start_distributed_run(args, RUN_FILES)
    splits = {s: zoo_target(zoo_split(args.data, s), args.target) for s in ("train", "val", "test")}
    out_dim = output_size(splits["train"], args.task)
    seed_everything(args.seed)                       # the initial weights too
    model = build_model(args.model, hidden=args.hidden, out_dim=out_dim).to(DTYPES[args.dtype])
    scaler = TargetScaler(targets_of(splits["train"])) if args.task == "regression" else None
    prepared = {s: prepare_dataset(model, part) for s, part in splits.items()}
    checkpoint, tag = run_checkpoint(args, TrainConfig)
    config = TrainConfig(task=args.task, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         weight_decay=args.weight_decay, patience=args.patience, li_weight=args.li_weight,
                         li_samples=args.li_samples, seed=args.seed, device=device,
                         progress=not args.no_progress, checkpoint=checkpoint, checkpoint_tag=tag)
    result = fit(model, prepared["train"], prepared["val"], config, scaler)
    if not finish_distributed_run(args, RUN_FILES):   # evaluation and files: rank 0 alone, on every network
        return 0
    metadata = {"task": args.task, "target": args.target, "data": os.path.abspath(args.data), "out_dim": out_dim,
                "scaler": scaler.state() if scaler is not None else None}
    save_model(model, os.path.join(args.out, "model.safetensors"), metadata)
    plot_training_curve(result.history, os.path.join(args.out, "training_curve.png"))
    metrics = {"val": assess(model, splits["val"], args.task, scaler, args.out, args.model, device),
               "test": assess(model, splits["test"], args.task, scaler, args.out, args.model, device)}
    plot_zoo_embeddings(model, [d for part in splits.values() for d in part], args.task,
                        os.path.join(args.out, "embeddings.png"), args.embedding_plot, device)
    results = {"command": "train", "model": args.model, "data": args.data, "task": args.task, "metrics": metrics,
               "best_epoch": result.best_epoch, "epochs_run": len(result.history), "world_size": world,
               "seconds": round(time.time() - start, 1), "resumed_at_epoch": result.resumed_at,
               "history": result.history, "settings": vars(args)}
    if scaler is not None:
        test_y = targets_of(splits["test"]).double()
        results["baseline_mse"] = float((test_y - scaler.mean).pow(2).mean())
    print(resumed_note(result, checkpoint) + write_report(args.out, results), end="")
    return 0
