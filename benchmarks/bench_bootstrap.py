"""Paired bootstrap of Kendall's tau: the vectorised draw-count path vs one scipy call per resample and seed.

    python benchmarks/bench_bootstrap.py [--quick] [--out DIR]

Every table row of the classifier examples compares SNE with the best other model by a paired bootstrap
of Kendall's tau (10,000 resamples, 3 seeds per model). The loop path calls ``scipy.stats.kendalltau``
once per (resample, seed); the vectorised path computes every resample's tau-b from draw counts and
pairwise sign matrices (``sne_pyg.experiments.bootstrap``). Both run the same draws, taking turns; the
loop runs on a prefix of the draws and its time is scaled to all of them (per-resample cost), and the
largest difference of the two paths on that prefix is reported.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import kendalltau

from common import cli, interleaved_best, print_table, write_json
from sne_pyg.experiments.bootstrap import Draws, resampled_differences


def _scipy_tau(pred: np.ndarray, true: np.ndarray) -> float:
    return float(kendalltau(pred, true).statistic)


def run(quick: bool = False, out: str | None = None) -> list[dict]:
    sizes, resamples, loop_resamples, repeats = ((20, 150), 2_000, 50, 1) if quick else ((20, 150, 300), 10_000, 500, 3)
    rows = []
    for n in sizes:
        rng = np.random.default_rng(n)
        y = rng.normal(size=n)
        pred_a, pred_b = y + rng.normal(size=(3, n)), y + 1.5 * rng.normal(size=(3, n))
        draws = Draws.sample(np.random.default_rng(0), n, 3, 3, resamples)
        prefix = Draws(draws.networks[:loop_resamples], draws.seeds_a[:loop_resamples], draws.seeds_b[:loop_resamples])
        best = interleaved_best({
            "vectorised": lambda: resampled_differences(pred_a, pred_b, y, draws, "tau"),
            "loop": lambda: resampled_differences(pred_a, pred_b, y, prefix, _scipy_tau)}, repeats)
        loop_s = best["loop"] * resamples / loop_resamples
        error = np.abs(resampled_differences(pred_a, pred_b, y, prefix, "tau")
                       - resampled_differences(pred_a, pred_b, y, prefix, _scipy_tau)).max()
        rows.append({"test_networks": n, "resamples": resamples, "seeds": 3, "vectorised_s": best["vectorised"],
                     "loop_s": loop_s, "speedup": loop_s / best["vectorised"], "max_abs_difference": float(error)})
    write_json(out, "bootstrap.json", {"rows": rows})
    print_table(["test networks", "resamples", "vectorised (s)", "scipy loop (s)", "speed-up", "max |diff|"],
                [[str(r["test_networks"]), str(r["resamples"]), f"{r['vectorised_s']:.3f}", f"{r['loop_s']:.1f}",
                  f"{r['speedup']:.0f}x", f"{r['max_abs_difference']:.1e}"] for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__)
