"""One setting against another, model by model: two Table 1 result files scored on the same test INRs.

    python -m sne_pyg.experiments.run_comparison BASE.json OTHER.json --out versus.json [--models sne]

Both files are ``examples/inr_frequency.py`` summaries (``test_targets`` and ``test_predictions`` ``{model:
[seeds][networks]}``), e.g. a run with ``--input-norm entry`` against the default. For every model in both, on
the seeds both files have (seed k against seed k: the same initialisation seed),
:func:`~sne_pyg.experiments.bootstrap.paired_bootstrap` gives MSE(other) - MSE(base) with its 95% interval over
test networks and seeds ("better": the other setting's MSE is lower; "tie": the interval contains 0).
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from ..json_files import write_json
from .bootstrap import mean_score, paired_bootstrap


def compare_settings(base: dict, other: dict, resamples: int = 10_000,
                     models: list[str] | None = None) -> dict[str, dict]:
    """``{model: {"seeds", "base_mse", "other_mse", "difference", "low", "high", "verdict", ...}}`` for the models
    of both files (only ``models``, when given: each must be in both), on their first ``seeds`` seeds (as many as
    the file with fewer has)."""
    targets = np.asarray(base["test_targets"], float)
    if not np.array_equal(targets, np.asarray(other["test_targets"], float)):
        raise ValueError("the two result files were scored on different test networks (their test_targets differ)")
    shared = [m for m in base["test_predictions"] if m in other["test_predictions"]]
    if models is not None:
        missing = [m for m in models if m not in shared]
        if missing:
            raise ValueError(f"model(s) {missing} not in both result files (both have: {', '.join(shared)})")
        shared = [m for m in shared if m in models]
    rows = {}
    for model in shared:
        pred_base, pred_other = (np.asarray(f["test_predictions"][model], float) for f in (base, other))
        seeds = min(len(pred_base), len(pred_other))       # seed k of one file against seed k of the other
        pred_base, pred_other = pred_base[:seeds], pred_other[:seeds]
        rows[model] = {"seeds": seeds, "base_mse": mean_score(pred_base, targets, "mse"),
                       "other_mse": mean_score(pred_other, targets, "mse"),
                       **paired_bootstrap(pred_other, pred_base, targets, "mse", resamples=resamples).to_dict()}
    return rows


def _load(path: str) -> dict:
    try:
        with open(path) as f:
            result = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f"{path}: cannot read a result file: {error}") from None
    missing = [k for k in ("test_targets", "test_predictions") if k not in result]
    if missing:
        raise SystemExit(f"{path}: no {' or '.join(missing)} (an examples/inr_frequency.py summary keeps both)")
    return result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base")
    parser.add_argument("other")
    parser.add_argument("--out", default=None, help="write the comparison here (JSON)")
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--models", default=None, help="comma-separated models to compare (default: every model "
                                                        "in both files)")
    args = parser.parse_args(argv)
    models = None if args.models is None else [m.strip() for m in args.models.split(",") if m.strip()]
    try:
        rows = compare_settings(_load(args.base), _load(args.other), args.resamples, models)
    except ValueError as error:
        raise SystemExit(f"--models: {error}") from None
    if args.out:
        write_json(args.out, {"base": args.base, "other": args.other, "metric": "mse", "models": rows}, indent=2)
    print(f"{'model':<14}{'base MSE':>10}{'other MSE':>11}   other - base (95% paired bootstrap)")
    for model, r in sorted(rows.items(), key=lambda kv: kv[1]["other_mse"]):
        print(f"{model:<14}{r['base_mse']:>10.4f}{r['other_mse']:>11.4f}   {r['difference']:+.4f} "
              f"[{r['low']:+.4f}, {r['high']:+.4f}] {r['verdict']}")
    return rows


if __name__ == "__main__":
    main()
