"""Arguments and output shared by every converter."""
from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from ..data import NetworkData, save_splits
from ..argtypes import positive_int


def add_output_arguments(parser: argparse.ArgumentParser, fractions: str = "0.8,0.1,0.1") -> None:
    parser.add_argument("--out", required=True, help="output zoo folder (train.pt, val.pt, test.pt)")
    parser.add_argument("--chunk-size", type=positive_int, default=64, help="chunk size of the conversion")
    parser.add_argument("--fractions", default=fractions, help="train,val,test fractions")
    parser.add_argument("--split-seed", type=int, default=0, help="seed of the random split")


def fractions_of(args: argparse.Namespace) -> list[float]:
    try:
        return [float(x) for x in args.fractions.split(",")]
    except ValueError:
        raise ValueError(f"--fractions must be three comma-separated numbers, got {args.fractions!r}") from None


def write_zoo(networks: Sequence[NetworkData], args: argparse.Namespace, groups: Sequence | None = None,
              **settings) -> dict[str, int]:
    """Save ``networks`` split into ``args.out`` (``groups``: networks of one key share a split)."""
    fractions = fractions_of(args)
    sizes = save_splits(networks, args.out, fractions, args.split_seed, groups=groups,
                        settings=dict(settings, chunk_size=args.chunk_size, fractions=fractions,
                                      split_seed=args.split_seed))
    print(f"wrote {sizes} networks to {args.out}")
    return sizes


def make_main(description: str, add_arguments: Callable, run: Callable) -> Callable:
    """A script ``main(argv)`` from a converter's ``add_arguments`` and ``run``."""
    def main(argv=None):
        parser = argparse.ArgumentParser(description=description,
                                         formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        add_arguments(parser)
        return run(parser.parse_args(argv))
    return main
