"""Linear classification probe on raw weights: the fit in the training rows' span vs in all d dimensions.

    python benchmarks/bench_probe.py [--quick] [--out DIR]

``sne_pyg.probe.linear_probe(..., task="classification")`` fits a logistic regression per alpha (17 values)
on standardised embeddings. Raw weights (``W``) of a zoo have more dimensions than training networks;
the probe then fits in the row space of the training embeddings (the same optimum, see the module
docstring). Both paths probe the categorical factors (activation, initialisation, optimiser) of the
raw weights of a generated Arch1/digits zoo, taking turns; their test accuracies and chosen alphas are
reported beside the times.
"""
from __future__ import annotations

import tempfile

import numpy as np

import sne_pyg.probe as probe
from common import cli, interleaved_best, print_table, write_json
from sne_pyg.data.sources import zoo_split
from sne_pyg.data.views import flat_view
from sne_pyg.experiments.probing import PROPERTIES, properties_of
from sne_pyg.zoos.kinds import cached_zoo

CATEGORICAL = [name for name, (_, _, task) in PROPERTIES.items() if task == "classification"]


def zoo_weights(runs: int, root: str) -> dict:
    """``{split: (W [N, d], {property: [N]})}`` of a freshly generated Arch1/digits zoo (2 epochs, 2 checkpoints)."""
    folder = cached_zoo("arch1-digits", root, runs, 2, progress=False)
    out = {}
    for split in ("train", "val", "test"):
        networks = zoo_split(folder, split)
        out[split] = (np.concatenate([flat_view(d).double().numpy() for d in networks]), properties_of(networks))
    return out


def _full_space(*splits):
    return probe.linear_probe(*splits, task="classification", reduce=False)


def run(quick: bool = False, out: str | None = None) -> list[dict]:
    sizes = [16] if quick else [16, 100]
    rows = []
    with tempfile.TemporaryDirectory() as root:
        for runs in sizes:
            zoo = zoo_weights(runs, root)
            for name in CATEGORICAL[:1] if quick else CATEGORICAL:
                splits = [(zoo[s][0], zoo[s][1][name]) for s in ("train", "val", "test")]
                if len(set(splits[0][1].tolist())) < 2:
                    continue
                results = {}
                best = interleaved_best({
                    "row space": lambda: results.__setitem__("row", probe.linear_probe(*splits, task="classification")),
                    "full": lambda: results.__setitem__("full", _full_space(*splits))}, 1)
                rows.append({"property": name, "train_networks": len(splits[0][0]), "dimensions": splits[0][0].shape[1],
                             "row_space_s": best["row space"], "full_s": best["full"],
                             "speedup": best["full"] / best["row space"],
                             "accuracy_row_space": results["row"]["accuracy"], "accuracy_full": results["full"]["accuracy"],
                             "alpha_row_space": results["row"]["alpha"], "alpha_full": results["full"]["alpha"]})
    write_json(out, "probe.json", {"rows": rows})
    print_table(["property", "train x dims", "row space (s)", "full (s)", "speed-up", "test acc (row / full)",
                 "alpha (row / full)"],
                [[r["property"], f"{r['train_networks']} x {r['dimensions']}", f"{r['row_space_s']:.2f}",
                  f"{r['full_s']:.2f}", f"{r['speedup']:.1f}x",
                  f"{r['accuracy_row_space']:.3f} / {r['accuracy_full']:.3f}",
                  f"{r['alpha_row_space']:g} / {r['alpha_full']:g}"] for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__)
