"""Result files of the experiments: JSON next to a printed table and a heat map."""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence

import torch

from ..plots import plot_transfer_matrix
from .tables import average_tau, format_transfer_table, split_key
from ..json_files import write_json


def run_metadata(script: str, argv: Sequence[str] | None, started: float) -> dict:
    """What a result file records about its run: ``command``, ``commit``, ``machine``, ``threads``, ``wall_seconds``."""
    words = sys.argv[1:] if argv is None else list(argv)
    return {"command": " ".join(["python", script, *words]), "commit": git_commit(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
            "threads": torch.get_num_threads(), "wall_seconds": round(time.time() - started, 1)}


def write_results(out: str, results: dict, table: str) -> None:
    """``out/results.json`` (every number) and ``out/table.md`` (the printed table), then print the table."""
    write_json(os.path.join(out, "results.json"), results)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(table + "\n")
    print(table)


def git_commit() -> str:
    """The short commit of the checkout this package runs from (``"unknown"`` outside git)."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def write_transfer_report(results: dict[str, dict[str, dict]], models: Sequence[str], out: str, title: str,
                          unsupported: dict[str, dict[str, str]] | None = None) -> None:
    """``out/results.json``, ``out/average.json`` (both averages per model), ``out/transfer.png`` and,
    when some pairs could not be read, ``out/unsupported.json``; prints the table."""
    write_json(os.path.join(out, "results.json"), results, indent=2)
    averages = {m: {"average": average_tau(results, m), "average_transfer": average_tau(results, m, True)}
                for m in models}
    write_json(os.path.join(out, "average.json"), averages, indent=2)
    cells = {split_key(key): {m: v["tau_mean"] for m, v in entry.items()} for key, entry in results.items()}
    plot_transfer_matrix(cells, models, os.path.join(out, "transfer.png"), title)
    print("\n" + format_transfer_table(results, models, title))
    if unsupported:
        write_json(os.path.join(out, "unsupported.json"), unsupported, indent=2)
        for key, reasons in unsupported.items():
            for model, reason in reasons.items():
                print(f"n/a: {model} on {key}: {reason}")


def write_comparisons(comparisons: dict[str, dict | None], out: str) -> None:
    """``out/sne_vs_best.json`` (rows without a comparison left out) and one printed line per row:
    SNE minus the best other model, its paired bootstrap interval and the verdict."""
    rows = {key: c for key, c in comparisons.items() if c is not None}
    write_json(os.path.join(out, "sne_vs_best.json"), rows, indent=2)
    for key, c in rows.items():
        level = round(100 * c["level"])
        print(f"{key}: sne - {c['other']} = {c['difference']:+.3f} {c['metric']}, {level}% interval "
              f"[{c['low']:+.3f}, {c['high']:+.3f}] -> {c['verdict']}")
