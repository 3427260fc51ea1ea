"""``sne-pyg zoo KIND --size N --out DIR``: generate a zoo of a named kind into a zoo folder."""
from __future__ import annotations

import argparse
import json
import os

from ..data import save_splits
from ..zoos.kinds import ZOO_KINDS
from .config import add_config_argument


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser("zoo", help="generate a zoo of a named kind", description=__doc__.split("\n\n")[0],
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("kind", choices=sorted(ZOO_KINDS), help="what networks to train")
    parser.add_argument("--out", required=True, help="output zoo folder")
    parser.add_argument("--size", type=int, default=200, help="networks in the zoo")
    parser.add_argument("--steps", type=int, default=None, help="sine_inr: Adam steps per INR; classifiers: epochs (kind default)")
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fractions", default="0.8,0.1,0.1", help="train,val,test fractions")
    parser.add_argument("--no-progress", action="store_true")
    add_config_argument(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    kind = ZOO_KINDS[args.kind]
    options = dict(size=args.size, chunk_size=args.chunk_size, seed=args.seed, progress=not args.no_progress)
    if args.steps is not None:
        options["steps"] = args.steps
    networks = kind.generate(**options, work_dir=os.path.join(args.out, "work"))
    fractions = [float(x) for x in args.fractions.split(",")]
    runs = [int(net.run) if "run" in net else i for i, net in enumerate(networks)]   # checkpoints of a run stay together
    sizes = save_splits(networks, args.out, fractions, args.seed, groups=runs,
                        settings=dict(kind=args.kind, targets=kind.targets, **{k: v for k, v in options.items()
                                                                                if k != "progress"}))
    print(f"wrote {args.kind} zoo {sizes} to {args.out} (targets: {', '.join(kind.targets)})")
    print(json.dumps({"zoo": args.out, "sizes": sizes}))
    return 0
