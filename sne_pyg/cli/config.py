"""Settings from a TOML (stdlib ``tomllib``) or JSON file as a subcommand's defaults."""
from __future__ import annotations

import argparse
import json
import os
import tomllib


def read_config(path: str) -> dict:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".toml", ".json"):
        raise ValueError(f"--config {path}: config files are .toml or .json, got {suffix!r}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--config {path}: no such file")
    try:
        if suffix == ".toml":
            with open(path, "rb") as f:
                settings = tomllib.load(f)
        else:
            with open(path, encoding="utf-8-sig") as f:
                settings = json.load(f)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"--config {path}: not valid {suffix[1:].upper()} ({error})") from None
    if not isinstance(settings, dict):
        raise ValueError(f"--config {path}: must hold a table of settings, got {type(settings).__name__}")
    return settings


def apply_config(parser: argparse.ArgumentParser, path: str) -> None:
    """Set ``parser``'s defaults from the file; unknown keys are an error naming them."""
    settings = {key.replace("-", "_"): value for key, value in read_config(path).items()}
    actions = {action.dest: action for action in parser._actions}
    unknown = sorted(set(settings) - set(actions))
    if unknown:
        known = sorted(set(actions) - {"help", "config"})
        raise ValueError(f"--config {path}: unknown setting(s) {unknown}; known: {known}")
    for key, value in settings.items():     # the checks argparse applies to flags but not to defaults
        settings[key] = _checked_setting(path, key, value, actions[key])
    required = [a for a in parser._actions if a.dest in settings and a.required]
    for action in required:   # a setting given in the file satisfies a required flag
        action.required = False
    parser.set_defaults(**settings)


def _checked_setting(path: str, key: str, value, action: argparse.Action):
    if action.type is not None and value is not None and not isinstance(action, argparse._StoreTrueAction):
        try:
            value = action.type(value if isinstance(value, str) else str(value))
        except (argparse.ArgumentTypeError, TypeError, ValueError) as error:
            raise ValueError(f"--config {path}: {key} = {value!r}: {error}") from None
    if action.choices is not None and value not in action.choices:
        raise ValueError(f"--config {path}: {key} = {value!r} is not one of {sorted(action.choices)}")
    return value


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, metavar="FILE",
                        help="TOML/JSON file of settings (keys = flag names); flags override it")


def add_subcommand(sub, name: str, help: str, doc: str, defaults_in_help: bool = True) -> argparse.ArgumentParser:
    """The parser of one ``sne-pyg`` subcommand: ``help`` in the command list, ``doc``'s first paragraph
    as its description, and (``defaults_in_help``) every flag's default shown in ``--help``."""
    extra = {"formatter_class": argparse.ArgumentDefaultsHelpFormatter} if defaults_in_help else {}
    return sub.add_parser(name, help=help, description=doc.split("\n\n")[0], **extra)
