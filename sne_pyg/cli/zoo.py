"""``sne-pyg zoo KIND --size N --out DIR``: generate a zoo of a named kind into a zoo folder.

Resumable: finished groups of runs are kept in ``DIR/work``. Under
``torchrun --nproc_per_node N -m sne_pyg.cli zoo ...`` (or across machines sharing ``DIR``) each process
trains its share of the groups and the main process writes the splits once every group exists: the
same zoo as one process (:mod:`sne_pyg.zoos.sharding`).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os

from ..train.distributed import init_from_environment, is_main_process, rank, shutdown
from ..zoos.kinds import ZOO_KINDS, write_zoo_folder
from .config import add_config_argument, add_subcommand
from ..argtypes import positive_int


def add_parser(sub) -> argparse.ArgumentParser:
    parser = add_subcommand(sub, "zoo", "generate a zoo of a named kind", __doc__)
    parser.add_argument("kind", choices=sorted(ZOO_KINDS), help="what networks to train")
    parser.add_argument("--out", required=True, help="output zoo folder")
    parser.add_argument("--size", type=positive_int, default=200, help="networks in the zoo")
    parser.add_argument("--steps", type=positive_int, default=None, help="sine_inr: Adam steps per INR; classifiers: epochs (kind default)")
    parser.add_argument("--chunk-size", type=positive_int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fractions", default="0.8,0.1,0.1", help="train,val,test fractions")
    parser.add_argument("--checkpoints", type=positive_int, default=None,
                        help="classifiers: evenly spaced checkpoints kept per run (default 2: half and end)")
    parser.add_argument("--no-progress", action="store_true")
    add_config_argument(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    fractions = [float(x) for x in args.fractions.split(",")]
    init_from_environment(timeout=datetime.timedelta(days=7))      # joins a torchrun job, if any
    sizes = write_zoo_folder(args.kind, args.out, args.size, args.steps, chunk_size=args.chunk_size, seed=args.seed,
                             fractions=fractions, work_dir=os.path.join(args.out, "work"),
                             progress=not args.no_progress, checkpoints=args.checkpoints)
    if not is_main_process():
        print(json.dumps({"zoo": args.out, "rank": rank(), "groups_written_to": os.path.join(args.out, "work")}))
        shutdown()
        return 0
    targets = ZOO_KINDS[args.kind].targets
    print(f"wrote {args.kind} zoo {sizes} to {args.out} (targets: {', '.join(targets)})")
    print(json.dumps({"zoo": args.out, "sizes": sizes}))
    shutdown()
    return 0
