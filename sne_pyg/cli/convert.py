"""``sne-pyg convert FORMAT ...``: checkpoints or a public zoo format -> an sne_pyg zoo folder."""
from __future__ import annotations

import argparse

from ..converters import CONVERTERS
from .config import add_subcommand


def add_parser(sub) -> argparse.ArgumentParser:
    parser = add_subcommand(sub, "convert", "convert checkpoints or a public zoo format into a zoo folder", __doc__,
                            defaults_in_help=False)
    formats = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
    for name, module in CONVERTERS.items():
        module.add_arguments(formats.add_parser(name, help=module.DESCRIPTION, description=module.DESCRIPTION,
                                                formatter_class=argparse.ArgumentDefaultsHelpFormatter))
    return parser


def run(args: argparse.Namespace) -> int:
    CONVERTERS[args.format].run(args)
    return 0
