"""Settings from a TOML (stdlib ``tomllib``) or JSON file as a subcommand's defaults."""
from __future__ import annotations

import argparse
import json
import os
import tomllib


def read_config(path: str) -> dict:
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".toml":
        with open(path, "rb") as f:
            return tomllib.load(f)
    if suffix == ".json":
        with open(path) as f:
            return json.load(f)
    raise ValueError(f"{path}: config files are .toml or .json, got {suffix!r}")


def apply_config(parser: argparse.ArgumentParser, path: str) -> None:
    """Set ``parser``'s defaults from the file; unknown keys are an error naming them."""
    settings = {key.replace("-", "_"): value for key, value in read_config(path).items()}
    known = {action.dest for action in parser._actions}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise SystemExit(f"{path}: unknown setting(s) {unknown}; known: {sorted(known - {'help', 'config'})}")
    required = [a for a in parser._actions if a.dest in settings and a.required]
    for action in required:   # a setting given in the file satisfies a required flag
        action.required = False
    parser.set_defaults(**settings)


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, metavar="FILE",
                        help="TOML/JSON file of settings (keys = flag names); flags override it")


def add_subcommand(sub, name: str, help: str, doc: str, defaults_in_help: bool = True) -> argparse.ArgumentParser:
    """The parser of one ``sne-pyg`` subcommand: ``help`` in the command list, ``doc``'s first paragraph
    as its description, and (``defaults_in_help``) every flag's default shown in ``--help``."""
    extra = {"formatter_class": argparse.ArgumentDefaultsHelpFormatter} if defaults_in_help else {}
    return sub.add_parser(name, help=help, description=doc.split("\n\n")[0], **extra)
