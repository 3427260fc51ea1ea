"""SNE's levers on a classifier zoo: width, heads, depth, chunk size, pooling, schedule, learning rate,
permutation augmentation, Logit Invariance and input normalisation, each against SNE's default recipe on the
same test networks.

    python examples/sne_levers.py                                   # every lever, seed 0, default Arch1/digits zoo
    python examples/sne_levers.py --levers hidden64,heads1 --seeds 3
    python examples/sne_levers.py --quick --out DIR                 # CI-sized
    python examples/sne_levers.py --zoo arch2-tetris --target 2     # any accuracy_prediction option passes through

Each lever is one ``examples/accuracy_prediction.py --models sne`` run with the lever's extra options
(``sne_pyg.experiments.levers.LEVERS``) into ``OUT/<lever>``, so every (lever, seed) is cached there and an
interrupted study resumes; levers can run in parallel processes (``--levers``) and one final call over all
of them trains nothing new. Writes ``OUT/levers.json`` (command, commit, machine, wall time, and per lever its
options, Kendall's tau per seed and its difference from the baseline with a paired bootstrap 95% interval over
test networks and seeds, its final training loss and best epoch per seed, and its test predictions per seed; the
test targets once) and ``OUT/levers.png``. Default size: the default zoo (600/100/300 networks), one seed:
about 25-35 min per lever on one CPU thread (hidden 64 and depth 3 longer).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time

from sne_pyg.argtypes import positive_int
from sne_pyg.experiments.levers import BASELINE, LEVERS, compare_to_baseline, parse_levers
from sne_pyg.experiments.reports import run_metadata
from sne_pyg.json_files import write_json
from sne_pyg.plots import plt, save_figure

RESERVED = ("--models", "--out")            # the runner sets these for every lever


def parse_args(argv=None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="Other options go to every "
                                     "accuracy_prediction run (see examples/accuracy_prediction.py --help).")
    parser.add_argument("--levers", type=_levers, default="all", help=f"comma-separated, of: {', '.join(LEVERS)}")
    parser.add_argument("--seeds", type=positive_int, default=1, help="seeds per lever")
    parser.add_argument("--out", default="runs/sne_levers")
    args, passed = parser.parse_known_args(argv)
    clash = [word for word in passed if word.split("=")[0] in RESERVED]
    if clash:
        parser.error(f"{clash[0]} is set by the runner for every lever (one folder per lever under --out)")
    return args, passed


def _levers(text: str) -> list[str]:
    try:
        return parse_levers(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def accuracy_prediction():
    """examples/accuracy_prediction.py as a module (it sits beside this script, not in the package)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "accuracy_prediction.py")
    spec = importlib.util.spec_from_file_location("accuracy_prediction", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> dict:
    started = time.time()
    args, passed = parse_args(argv)
    example = accuracy_prediction()
    results = {}
    for name in args.levers:
        words = ["--models", "sne", "--seeds", str(args.seeds), "--out", os.path.join(args.out, name), *passed,
                 *LEVERS[name]]
        print(f"\n== lever {name}: {' '.join(LEVERS[name]) or '(SNE as it is)'}")
        results[name] = example.main(words)["sne"]
    compared = compare_to_baseline(results)
    summary = {**run_metadata("examples/sne_levers.py", argv, started), "passed_options": passed,
               "levers": {name: {"options": LEVERS[name], **row, **training_fit(os.path.join(args.out, name)),
                                 "predictions": results[name]["predictions"]} for name, row in compared.items()},
               "targets": results[BASELINE]["targets"]}      # every lever predicted these test networks
    write_json(os.path.join(args.out, "levers.json"), summary, indent=2)
    plot(compared, os.path.join(args.out, "levers.png"))
    print(f"\n{'lever':<14}{'params':>9}{'tau':>8}{'train loss':>12}   vs baseline (95% paired bootstrap)")
    for name, row in summary["levers"].items():
        versus = "" if name == BASELINE else \
            f"{row['difference']:+.3f} [{row['low']:+.3f}, {row['high']:+.3f}] {row['verdict']}"
        loss = f"{sum(row['final_train_loss']) / len(row['final_train_loss']):.3f}" if "final_train_loss" in row else "-"
        print(f"{name:<14}{row['params']:>9,}{row['tau_mean']:>8.3f}{loss:>12}   {versus}")
    return summary


def training_fit(folder: str) -> dict:
    """``final_train_loss`` (per seed, standardised targets) and ``best_epoch`` of SNE's runs in a lever's
    folder, from accuracy_prediction's ``summary.json`` (none for runs cached before histories were kept)."""
    with open(os.path.join(folder, "summary.json")) as f:
        histories = json.load(f)["histories"].get("sne")
    if not histories:
        return {}
    return {"final_train_loss": [run[-1]["train_loss"] for run in histories],
            "best_epoch": [min(run, key=lambda h: h["val_mse"])["epoch"] for run in histories]}


def plot(compared: dict[str, dict], path: str) -> None:
    """Each lever's tau minus the baseline's, with its 95% interval (green: better, red: worse, grey: tie)."""
    names = [n for n in compared if n != BASELINE]
    if not names:
        return
    diffs = [compared[n]["difference"] for n in names]
    errors = [[d - compared[n]["low"] for n, d in zip(names, diffs)], [compared[n]["high"] - d for n, d in zip(names, diffs)]]
    colours = [{"better": "tab:green", "worse": "tab:red"}.get(compared[n]["verdict"], "grey") for n in names]
    fig, ax = plt.subplots(figsize=(6, 0.45 * len(names) + 1.2))
    ax.barh(names, diffs, xerr=errors, color=colours, capsize=3)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_xlabel(f"Kendall tau minus SNE's default ({compared[BASELINE]['tau_mean']:.3f})")
    save_figure(fig, path)


if __name__ == "__main__":
    main()
