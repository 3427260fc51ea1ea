"""The ``sne-pyg`` command line: ``zoo``, ``convert``, ``train``, ``pretrain``, ``evaluate``, ``encode``, ``info``.

Every subcommand takes ``--help``; ``train``, ``pretrain``, ``evaluate``, ``encode`` and ``zoo`` also take
``--config FILE`` (TOML or JSON whose keys are the long flag names, ``-`` or ``_``): the file
sets the defaults and flags given on the command line override them.
"""
from __future__ import annotations

import argparse
import sys

from . import convert, encode, evaluate, info, pretrain, train, zoo
from .config import apply_config

COMMANDS = {"zoo": zoo, "convert": convert, "train": train, "pretrain": pretrain, "evaluate": evaluate, "encode": encode,
            "info": info}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(prog="sne-pyg", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parsers = {name: module.add_parser(sub) for name, module in COMMANDS.items()}
    return parser, parsers


def main(argv: list[str] | None = None) -> int:
    parser, parsers = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # a config file must set defaults before the full parse (it may hold required settings)
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("command", nargs="?")
    early.add_argument("--config")
    first, _ = early.parse_known_args(argv)
    if first.config and first.command in parsers:
        try:
            apply_config(parsers[first.command], first.config)
        except (ValueError, FileNotFoundError) as error:
            print(f"sne-pyg {first.command}: error: {error}", file=sys.stderr)
            return 2
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command].run(args) or 0
    except (ValueError, FileNotFoundError, TypeError) as error:
        print(f"sne-pyg {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
