r"""The *Model Zoos* dataset (Schürholt et al., NeurIPS 2022) in its raw ray.tune form -> an sne_pyg zoo folder.

A zoo folder holds one folder per trial (training run)::

    ZOO/config.json, ZOO/dataset.pt               # ignored (dataset.pt is pickled custom classes: never read)
    ZOO/<trial>/params.json                       # the run's configuration
    ZOO/<trial>/result.json                       # JSON lines, one per ``training_iteration`` (metrics + config)
    ZOO/<trial>/checkpoint_000000/checkpoints     # a torch-saved state_dict (iteration 0: the untrained model)

Every checkpoint becomes one network, matched to the metrics line with its ``training_iteration``
(a checkpoint without one is skipped and counted). Checkpoints are read with
``torch.load(weights_only=True)``; layers are discovered from the state_dict's key order (dropout
modules shift ``module_list`` indices, so no index is assumed). Trials are split 70/15/15 (seeded)
and every checkpoint of a trial lands in its trial's split.

``y`` holds :data:`TARGETS` in order: test accuracy, generalisation gap (train minus test accuracy),
the epoch, and the configuration: ``model::nlin``, ``model::init_type``, ``optim::optimizer`` as
integer codes (listed in ``settings.json`` as ``categories``), ``model::dropout``, ``optim::lr``,
``optim::wd``, ``seed``. Train with ``--target K`` for column ``K``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re

from tqdm.auto import tqdm

from ..data import convert
from ..data.checkpoints import safe_torch_load
from .common import add_output_arguments, make_main, write_zoo

DESCRIPTION = "Convert a raw Model Zoos (ray.tune) folder of trials into a zoo folder."
CATEGORICAL = ("model::nlin", "model::init_type", "optim::optimizer")
NUMERIC = ("model::dropout", "optim::lr", "optim::wd", "seed")
TARGETS = ("test_accuracy", "generalization_gap", "epoch", *CATEGORICAL, *NUMERIC)
_CHECKPOINT = re.compile(r"^checkpoint_(\d+)$")
_ACCURACY_KEYS = {"test": ("test_acc", "test_accuracy"), "train": ("train_acc", "train_accuracy")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("zoo", help="the zoo folder (one sub-folder per trial)")
    add_output_arguments(parser, fractions="0.7,0.15,0.15")


def read_results(path: str) -> dict[int, dict]:
    """``{training_iteration: metrics}`` of a trial's ``result.json`` (JSON lines); bad lines are named."""
    results = {}
    with open(path, encoding="utf-8-sig") as f:
        for line_number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}, line {line_number}: not JSON ({error})") from None
            if "training_iteration" not in entry:
                raise ValueError(f"{path}, line {line_number}: no training_iteration")
            results[int(entry["training_iteration"])] = entry
    return results


def _accuracy(entry: dict, split: str, where: str) -> float:
    for key in _ACCURACY_KEYS[split]:
        if key in entry:
            return float(entry[key])
    raise ValueError(f"{where}: no {split} accuracy ({' or '.join(_ACCURACY_KEYS[split])}); keys: {sorted(entry)[:12]}")


def _config(trial: str, results: dict[int, dict]) -> dict:
    path = os.path.join(trial, "params.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8-sig") as f:
            try:
                return json.load(f)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}: not JSON ({error})") from None
    first = next(iter(results.values()), {})
    if "config" not in first:
        raise ValueError(f"{trial}: neither params.json nor a config in result.json")
    return first["config"]


def scan(zoo: str) -> list[tuple[str, int, str]]:
    """``(trial folder, training iteration, checkpoint file)`` of every checkpoint, sorted."""
    if not os.path.isdir(zoo):
        raise FileNotFoundError(f"{zoo}: no such zoo folder")
    found = []
    for trial in sorted(os.listdir(zoo)):
        folder = os.path.join(zoo, trial)
        if not os.path.isfile(os.path.join(folder, "result.json")):
            continue
        for name in sorted(os.listdir(folder)):
            match = _CHECKPOINT.match(name)
            if match and os.path.isfile(os.path.join(folder, name, "checkpoints")):
                found.append((folder, int(match.group(1)), os.path.join(folder, name, "checkpoints")))
    if not found:
        raise ValueError(f"{zoo}: no trial folder with result.json and checkpoint_*/checkpoints")
    return found


def convert_zoo(zoo: str, chunk_size: int = 64, progress: bool = True):
    """``(networks, trial of each, categories, skipped)`` of a raw Model Zoos folder."""
    entries = scan(zoo)
    categories: dict[str, list] = {key: [] for key in CATEGORICAL}
    results_of: dict[str, dict[int, dict]] = {}
    networks, trials, skipped = [], [], 0
    for trial, iteration, path in tqdm(entries, desc="converting Model Zoos checkpoints", disable=not progress):
        if trial not in results_of:
            results_of[trial] = read_results(os.path.join(trial, "result.json"))
        results = results_of[trial]
        if iteration not in results:
            skipped += 1
            continue
        entry = results[iteration]
        config = _config(trial, results)
        where = f"{trial}/result.json, training_iteration {iteration}"
        test, train = _accuracy(entry, "test", where), _accuracy(entry, "train", where)
        codes = []
        for key in CATEGORICAL:
            value = config.get(key)
            if value not in categories[key]:
                categories[key].append(value)
            codes.append(float(categories[key].index(value)))
        numeric = [float(config[key]) if isinstance(config.get(key), (int, float)) else math.nan for key in NUMERIC]
        state = safe_torch_load(path)
        if not isinstance(state, dict):
            raise ValueError(f"{path}: holds a {type(state).__name__}, not a state_dict")
        y = [test, train - test, float(iteration), *codes, *numeric]
        if not all(math.isfinite(v) for v in y[:3]):
            raise ValueError(f"{where}: non-finite accuracy")
        data = convert(state, chunk_size, y=[v if math.isfinite(v) else 0.0 for v in y])
        data.source = os.path.relpath(path, zoo)
        networks.append(data)
        trials.append(os.path.basename(trial))
    return networks, trials, categories, skipped


def run(args: argparse.Namespace) -> dict[str, int]:
    networks, trials, categories, skipped = convert_zoo(args.zoo, args.chunk_size)
    if skipped:
        print(f"skipped {skipped} checkpoint(s) without a matching training_iteration in result.json")
    return write_zoo(networks, args, groups=trials, source=os.path.abspath(args.zoo), targets=list(TARGETS),
                     categories=categories)


main = make_main(DESCRIPTION, add_arguments, run)
