"""Run every benchmark: ``python benchmarks/run.py [--quick] --out DIR`` (one JSON per benchmark)."""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_convert  # noqa: E402

BENCHMARKS = {"convert": bench_convert.run}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke size (CI)")
    parser.add_argument("--out", default="runs/benchmarks")
    args = parser.parse_args(argv)
    for name, run in BENCHMARKS.items():
        print(f"\n== {name} ==")
        run(quick=args.quick, out=args.out)


if __name__ == "__main__":
    main()
