"""``sne-pyg evaluate --model FILE --data ZOO --out DIR``: metrics and plots of a trained model."""
from __future__ import annotations

import argparse
import os

from ..data.sources import zoo_split
from ..nn.checkpoint import load_model
from ..train import TargetScaler
from ..zoos.labels import zoo_target
from .config import add_config_argument, add_subcommand
from .outputs import add_overwrite_argument, check_run_folder
from .runs import assess, plot_zoo_embeddings, write_report

RUN_FILES = ("results.json", "report.txt", "pred_vs_true.png", "embeddings.png")


def add_parser(sub) -> argparse.ArgumentParser:
    parser = add_subcommand(sub, "evaluate", "evaluate a trained model on a zoo split", __doc__)
    parser.add_argument("--model", required=True, help="model.safetensors written by `sne-pyg train`")
    parser.add_argument("--data", required=True, help="zoo folder")
    parser.add_argument("--split", default="test", choices=("train", "val", "test"))
    parser.add_argument("--out", required=True, help="output folder (results.json, report.txt, plots)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--embedding-plot", default="pca", choices=("pca", "tsne"))
    add_overwrite_argument(parser)
    add_config_argument(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    check_run_folder(args.out, RUN_FILES, args.overwrite, remove=False)
    model, meta = load_model(args.model, args.device)
    if "task" not in meta:
        raise ValueError(f"{args.model} holds no training metadata (task, target); save it with `sne-pyg train`")
    networks = zoo_target(zoo_split(args.data, args.split), meta["target"])
    scaler = TargetScaler.from_state(meta["scaler"]) if meta.get("scaler") else None
    name = type(model).__name__
    check_run_folder(args.out, RUN_FILES, args.overwrite)
    os.makedirs(args.out, exist_ok=True)
    metrics = assess(model, networks, meta["task"], scaler, args.out, name, args.device)
    plot_zoo_embeddings(model, networks, meta["task"], os.path.join(args.out, "embeddings.png"), args.embedding_plot,
                        args.device)
    results = {"command": "evaluate", "model": args.model, "data": args.data, "task": meta["task"],
               "metrics": {args.split: metrics}, "settings": vars(args)}
    print(write_report(args.out, results), end="")
    return 0

