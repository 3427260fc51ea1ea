"""``sne-pyg zoo KIND --size N --out DIR``: generate a zoo of a named kind into a zoo folder."""
from __future__ import annotations

import argparse
import json
import os

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
    parser.add_argument("--no-progress", action="store_true")
    add_config_argument(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    fractions = [float(x) for x in args.fractions.split(",")]
    sizes = write_zoo_folder(args.kind, args.out, args.size, args.steps, chunk_size=args.chunk_size, seed=args.seed,
                             fractions=fractions, work_dir=os.path.join(args.out, "work"),
                             progress=not args.no_progress)
    targets = ZOO_KINDS[args.kind].targets
    print(f"wrote {args.kind} zoo {sizes} to {args.out} (targets: {', '.join(targets)})")
    print(json.dumps({"zoo": args.out, "sizes": sizes}))
    return 0
