"""One model of two transfer tables, pair by pair: a setting against the default on the same networks.

    python -m sne_pyg.experiments.transfer_versus BASE_OUT OTHER_OUT --model sne --out versus.json

``BASE_OUT`` and ``OTHER_OUT`` are ``--out`` folders of ``examples/cross_dataset.py`` or
``examples/cross_architecture.py`` (e.g. the default run and one with ``--model-option sne.neuron_context=true``).
Their summaries keep no predictions, but every cached (source, model, seed) run in ``OUT/cache`` does: for every
``source->target`` pair both folders scored, on the seeds both have (seed k against seed k),
:func:`~sne_pyg.experiments.bootstrap.paired_bootstrap` gives tau(other) - tau(base) with its 95% interval over
networks and seeds ("better": the other setting ranks better; "tie": the interval contains 0). Both folders must
have scored the same networks (their stored targets are compared).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re

import numpy as np

from ..json_files import write_json
from .bootstrap import mean_score, paired_bootstrap
from .tables import pair_key

RUN_FILE = re.compile(r"(?P<source>.+)-(?P<model>[a-z0-9_]+)-seed(?P<seed>\d+)\.json$")


def cached_transfer_runs(folder: str, model: str) -> dict[str, dict[int, dict]]:
    """``{source: {seed: run}}`` of ``model``'s cached runs in ``folder/cache`` (each run: ``predictions`` and
    ``targets`` per target zoo). ``ValueError`` naming the folder when it holds none."""
    runs: dict[str, dict[int, dict]] = {}
    for path in sorted(glob.glob(os.path.join(folder, "cache", f"*-{model}-seed*.json"))):
        match = RUN_FILE.match(os.path.basename(path))
        if match is None or match["model"] != model:
            continue
        try:
            with open(path) as f:
                value = json.load(f)["value"]
        except (OSError, json.JSONDecodeError, KeyError) as error:
            raise ValueError(f"{path}: cannot read a cached run: {error}") from None
        runs.setdefault(match["source"], {})[int(match["seed"])] = value
    if not runs:
        raise ValueError(f"{folder}/cache: no cached run of {model!r}")
    return runs


def compare_transfer_runs(base: str, other: str, model: str, resamples: int = 10_000) -> dict[str, dict]:
    """``{"source->target": {"seeds", "base_tau", "other_tau", "difference", "low", "high", "verdict", ...}}``
    for every pair both folders scored ``model`` on (``base_tau``/``other_tau``: mean over those seeds)."""
    base_runs, other_runs = cached_transfer_runs(base, model), cached_transfer_runs(other, model)
    rows = {}
    for source in sorted(set(base_runs) & set(other_runs)):
        seeds = sorted(set(base_runs[source]) & set(other_runs[source]))
        if not seeds:                        # no seed both folders finished for this source
            continue
        first = base_runs[source][seeds[0]]
        for target in first["predictions"]:
            if not all(target in runs[source][s]["predictions"] for runs in (base_runs, other_runs) for s in seeds):
                continue
            targets = np.asarray(first["targets"][target], float)
            for runs, folder in ((base_runs, base), (other_runs, other)):
                for s in seeds:
                    if not np.array_equal(np.asarray(runs[source][s]["targets"][target], float), targets):
                        raise ValueError(f"{folder}: {source}->{target} seed {s} was scored on other networks "
                                         f"than {base}'s seed {seeds[0]} (its targets differ)")
            pred_base, pred_other = (np.asarray([runs[source][s]["predictions"][target] for s in seeds], float)
                                     for runs in (base_runs, other_runs))
            versus = paired_bootstrap(pred_other, pred_base, targets, "tau", resamples=resamples)
            rows[pair_key(source, target)] = {"seeds": len(seeds), "base_tau": mean_score(pred_base, targets, "tau"),
                                              "other_tau": mean_score(pred_other, targets, "tau"), **versus.to_dict()}
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="--out folder of the default run")
    parser.add_argument("other", help="--out folder of the other setting")
    parser.add_argument("--model", default="sne")
    parser.add_argument("--out", default=None, help="write the comparison here (JSON)")
    parser.add_argument("--resamples", type=int, default=10_000)
    args = parser.parse_args(argv)
    try:
        rows = compare_transfer_runs(args.base, args.other, args.model, args.resamples)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    if args.out:
        write_json(args.out, {"base": args.base, "other": args.other, "model": args.model, "metric": "tau",
                              "pairs": rows}, indent=2)
    print(f"{'pair':<24}{'base tau':>10}{'other tau':>11}   other - base (95% paired bootstrap)")
    for pair, r in rows.items():
        print(f"{pair:<24}{r['base_tau']:>10.3f}{r['other_tau']:>11.3f}   {r['difference']:+.4f} "
              f"[{r['low']:+.4f}, {r['high']:+.4f}] {r['verdict']}")
    return rows


if __name__ == "__main__":
    main()
