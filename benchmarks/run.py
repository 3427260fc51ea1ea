"""Run every benchmark: ``python benchmarks/run.py [--quick] --out DIR`` (one JSON per benchmark)."""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_bootstrap  # noqa: E402
import bench_compile  # noqa: E402
import bench_convert  # noqa: E402
import bench_invariance  # noqa: E402
import bench_large  # noqa: E402
import bench_precision  # noqa: E402
import bench_probe  # noqa: E402
import bench_scaling  # noqa: E402
import bench_segments  # noqa: E402
import bench_sne_levers  # noqa: E402
import bench_ssl_views  # noqa: E402
import bench_throughput  # noqa: E402
import bench_training  # noqa: E402
import bench_zoo  # noqa: E402

BENCHMARKS = {"convert": bench_convert.run, "segments": bench_segments.run, "throughput": bench_throughput.run,
              "invariance": bench_invariance.run, "large": bench_large.run, "scaling": bench_scaling.run,
              "training": bench_training.run, "zoo": bench_zoo.run, "bootstrap": bench_bootstrap.run,
              "probe": bench_probe.run, "compile": bench_compile.run,
              "precision": bench_precision.run, "ssl_views": bench_ssl_views.run, "sne_levers": bench_sne_levers.run}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke size (CI)")
    parser.add_argument("--out", default="runs/benchmarks")
    parser.add_argument("--only", default=None, help="comma-separated subset of " + ",".join(BENCHMARKS))
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    for name in names:
        print(f"\n== {name} ==")
        BENCHMARKS[name](quick=args.quick, out=args.out)


if __name__ == "__main__":
    main()
