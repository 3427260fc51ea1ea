"""Helpers shared by the benchmarks: interleaved timing, one JSON file per benchmark, one aligned table."""
from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

from sne_pyg.json_files import write_json as write_strict_json


def interleaved_best(functions: dict[str, Callable[[], object]], repeats: int, inner: int = 1) -> dict[str, float]:
    """Best time per call of each function over ``repeats`` rounds of ``inner`` calls; the functions take
    turns in every round, so a drift of the machine hits all alike and ratios come from one run."""
    best = {name: float("inf") for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / inner)
    return best


def write_json(out: str | None, filename: str, payload: dict) -> None:
    """Write ``payload`` to ``out/filename`` (nothing when ``out`` is None)."""
    if out:
        write_strict_json(os.path.join(out, filename), payload, indent=2)


def print_table(columns: list[str], rows: list[list[str]]) -> None:
    """Print rows of already formatted cells; the first column left-aligned, the rest right-aligned."""
    widths = [max(len(c), *(len(r[i]) for r in rows)) + 2 for i, c in enumerate(columns)]
    def line(cells):
        return "".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths)))
    print(line(columns))
    for row in rows:
        print(line(row))


def cli(run: Callable, doc: str, **options: tuple[type, object, str]) -> None:
    """The benchmarks' command line: ``--quick``, ``--out`` and one ``--name`` per option
    (``name=(type, default, help)``), passed to ``run(quick, out, **options)`` by keyword."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke size")
    parser.add_argument("--out", default=None, help="folder for the JSON result")
    for name, (kind, default, text) in options.items():
        parser.add_argument("--" + name.replace("_", "-"), type=kind, default=default, help=text)
    args = vars(parser.parse_args())
    run(args.pop("quick"), args.pop("out"), **args)
