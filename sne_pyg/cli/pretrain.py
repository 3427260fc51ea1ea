"""``sne-pyg pretrain --data ZOO --model hyperrep --out DIR``: self-supervised training on a zoo folder.

Trains an encoder without labels (:func:`sne_pyg.ssl.fit_ssl`: two augmented views per network,
NT-Xent weighted by ``--beta`` against reconstruction for models with a decoder) and writes
``encoder.safetensors`` (the encoder alone, ``out_dim=None``: ``sne-pyg encode`` embeds zoos with it)
and ``results.json`` (history, best epoch, world size, settings). Launched with
``torchrun --nproc_per_node N -m sne_pyg.cli pretrain ...`` it trains data-parallel on N processes
(gloo on CPU, NCCL on GPU), the same training as one process up to floating-point summation order
(for models without dropout: each process draws its own dropout masks), and only rank 0 writes. In one
process it keeps an epoch checkpoint in ``--out``, like ``sne-pyg train``: rerun, a stopped command resumes.
"""
from __future__ import annotations

import argparse
import json
import os
import time

from ..argtypes import positive_int
from ..data.sources import zoo_split
from ..nn import MODELS, build_model
from ..nn.checkpoint import save_model
from ..ssl.train import LOSSES, TARGETS, SSLConfig, fit_ssl
from ..train import seed_everything
from .config import add_config_argument, add_subcommand
from .distributed_run import finish_distributed_run, resumed_note, run_checkpoint, start_distributed_run
from .outputs import add_overwrite_argument
from .train import DTYPES, add_schedule_arguments
from ..json_files import write_json

RUN_FILES = ("encoder.safetensors", "results.json")


def model_option(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with VALUE read as JSON where it parses (numbers, true/false), else as a string."""
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. dropout=0), got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def add_parser(sub) -> argparse.ArgumentParser:
    parser = add_subcommand(sub, "pretrain", "self-supervised training of an encoder on a zoo folder", __doc__)
    parser.add_argument("--data", required=True, help="zoo folder (train.pt, val.pt)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--model", default="hyperrep", choices=sorted(MODELS), help="encoder to train")
    parser.add_argument("--hidden", type=positive_int, default=32, help="embedding size (HyperRep: the latent)")
    parser.add_argument("--option", action="append", default=[], type=model_option, metavar="KEY=VALUE",
                        help="a constructor setting of the model, e.g. dropout=0 or d_model=64 (repeatable)")
    defaults = SSLConfig()
    add_schedule_arguments(parser, defaults)
    parser.add_argument("--beta", type=float, default=defaults.beta,
                        help="weight of the contrastive term (1: contrastive only, 0: reconstruction only)")
    parser.add_argument("--loss", default=defaults.loss, choices=LOSSES)
    parser.add_argument("--temperature", type=float, default=defaults.temperature)
    parser.add_argument("--target", default=defaults.target, choices=TARGETS, help="reconstruction target")
    parser.add_argument("--no-permute", action="store_true", help="no neuron-permutation augmentation")
    parser.add_argument("--erase", type=float, default=defaults.erase, help="probability of erasing one block")
    parser.add_argument("--noise", type=float, default=defaults.noise, help="sigma of Gaussian noise")
    parser.add_argument("--patience", type=positive_int, default=defaults.patience)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--dtype", default="float32", choices=sorted(DTYPES))
    parser.add_argument("--no-progress", action="store_true")
    add_overwrite_argument(parser)
    add_config_argument(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    start = time.time()
    world, device = start_distributed_run(args, RUN_FILES)
    train, val = zoo_split(args.data, "train"), zoo_split(args.data, "val")
    seed_everything(args.seed)                       # the initial weights too
    encoder = build_model(args.model, hidden=args.hidden, out_dim=None, **dict(args.option)).to(DTYPES[args.dtype])
    checkpoint, tag = run_checkpoint(args, SSLConfig)
    config = SSLConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
                       beta=args.beta, loss=args.loss, temperature=args.temperature, target=args.target,
                       permute=not args.no_permute, erase=args.erase, noise=args.noise, patience=args.patience,
                       seed=args.seed, device=device, progress=not args.no_progress, checkpoint=checkpoint,
                       checkpoint_tag=tag)
    _, result = fit_ssl(encoder, train, val, config)
    if not finish_distributed_run(args, RUN_FILES):   # evaluation and files: rank 0 alone, on every network
        return 0
    save_model(encoder, os.path.join(args.out, "encoder.safetensors"),
               {"pretrained": "self-supervised", "data": os.path.abspath(args.data)})
    results = {"command": "pretrain", "model": args.model, "data": args.data, "best_epoch": result.best_epoch,
               "best_val_loss": result.best_val, "epochs_run": len(result.history), "world_size": world,
               "seconds": round(time.time() - start, 1), "resumed_at_epoch": result.resumed_at,
               "history": result.history, "settings": vars(args)}
    write_json(os.path.join(args.out, "results.json"), results)
    print(f"{resumed_note(result, checkpoint)}pretrained {args.model} on {args.data}: best validation loss "
          f"{result.best_val:.4f} at epoch {result.best_epoch} of {len(result.history)} ({world} process{'es' if world > 1 else ''}); "
          f"wrote {args.out}/encoder.safetensors")
    return 0
