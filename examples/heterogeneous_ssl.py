"""Self-supervised SNE on a heterogeneous zoo: one encoder for every architecture, trained without labels.

    python examples/heterogeneous_ssl.py                     # arch1, arch2, MLP, transformer on digits; 3 seeds
    python examples/heterogeneous_ssl.py --quick --out DIR   # CI-sized

HyperRep's token sequence is fixed by one architecture, so it cannot read a zoo that mixes them (its
error is recorded in the results); SNE and DeepSets read any network. Each is trained with
:func:`sne_pyg.ssl.fit_ssl` on the pooled training split -- two augmented views per network (hidden-
neuron permutation, the transformer's derived from its module, and random erasing), NT-Xent (beta 1) --
and then embeds every network. The probes of ``examples/hyper_representations.py``
(:mod:`sne_pyg.experiments.probing`) score each property on the pooled test split, plus the
``architecture`` (accuracy). The baseline that also reads every architecture is ``s(W) global``: mean,
standard deviation and the 1/25/50/75/99 % quantiles of all of a network's values.

Every (method, seed) result is cached in ``OUT/cache/`` with the settings it was made with (an interrupted run
resumes, mid-training too from the epoch checkpoint beside the cache file; a cached run of other settings is
refused by file name); ``OUT/results.json`` holds every number and ``OUT/table.md`` the table.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch_geometric.data import Batch

from sne_pyg.argtypes import positive_int
from sne_pyg.experiments import apply_quick, name_list
from sne_pyg.experiments.cache import cached, checkpoint_path
from sne_pyg.experiments.probing import PROPERTIES, merge_seeds, probe_all, properties_of, summarise
from sne_pyg.experiments.readme_tables import render_probe
from sne_pyg.experiments.reports import run_metadata, write_results
from sne_pyg.nn import HyperRep, build_model
from sne_pyg.ssl import specs_by_architecture
from sne_pyg.ssl.train import SSLConfig, fit_ssl
from sne_pyg.train import embed, seed_everything
from sne_pyg.zoos.architectures import ARCHITECTURES, build_classifier
from sne_pyg.zoos.datasets import DATASETS
from sne_pyg.zoos.kinds import pooled_splits

METHODS = ("sne_ssl", "deepsets_ssl")
ENCODERS = {"sne_ssl": ("sne", {"heads": 4}), "deepsets_ssl": ("deepsets", {})}
QUANTILES = (0.01, 0.25, 0.5, 0.75, 0.99)
PROBED = {**PROPERTIES, "architecture": ("architecture", 0, "classification")}   # labels from the pool, not data


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--architectures", default="arch1,arch2,mlp,transformer", type=name_list(ARCHITECTURES, 2))
    parser.add_argument("--datasets", default="digits", type=name_list(DATASETS))
    parser.add_argument("--size", type=int, default=50, help="training runs per architecture and dataset")
    parser.add_argument("--zoo-epochs", type=int, default=10)
    parser.add_argument("--zoo-checkpoints", type=int, default=None)
    parser.add_argument("--seeds", type=positive_int, default=3)
    parser.add_argument("--latent", type=int, default=32, help="embedding size")
    parser.add_argument("--ssl-epochs", type=int, default=20)
    parser.add_argument("--methods", default=",".join(METHODS), type=name_list(METHODS))
    parser.add_argument("--root", default="data_cache")
    parser.add_argument("--out", default="runs/heterogeneous_ssl")
    parser.add_argument("--quick", action="store_true", help="tiny zoos and training (CI)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    apply_quick(args, size=8)
    if args.quick:
        args.latent, args.ssl_epochs, args.seeds = 8, 2, min(args.seeds, 2)
    return args


def global_statistics(networks) -> np.ndarray:
    """``[N, 7]``: mean, std and :data:`QUANTILES` of all real values of each network."""
    rows = []
    for data in networks:
        values = data.chunks[data.chunk_mask].double()
        rows.append(torch.cat([values.mean().reshape(1), values.std().reshape(1),
                               torch.quantile(values, torch.tensor(QUANTILES, dtype=torch.float64))]))
    return torch.stack(rows).numpy()


def hyperrep_refusal(splits: dict[str, list]) -> str:
    """Why HyperRep cannot read the pooled zoo (its own error on a batch of two architectures)."""
    first = splits["train"][0]
    other = next(d for d in splits["train"] if tuple(d.layout.keys) != tuple(first.layout.keys))
    model = HyperRep(hidden=8, out_dim=None, d_model=16, blocks=1)
    model.encode(Batch.from_data_list([first]))
    try:
        model.encode(Batch.from_data_list([other]))
    except ValueError as error:
        return str(error)
    raise AssertionError("HyperRep read two architectures")


def learned(args, method: str, seed: int, splits, labels, specs, checkpoint: str | None = None) -> dict:
    """Probe scores of ``method``'s embeddings after self-supervised training (``checkpoint``: the file of its
    epoch checkpoint, so a stopped run resumes mid-training)."""
    name, options = ENCODERS[method]
    start = time.time()
    seed_everything(seed)
    encoder = build_model(name, hidden=args.latent, out_dim=None, **options)
    config = SSLConfig(epochs=args.ssl_epochs, batch_size=64, lr=1e-3, beta=1.0, patience=max(args.ssl_epochs // 3, 3),
                       seed=seed, progress=not args.no_progress, permutation_specs=specs, checkpoint=checkpoint)
    _, result = fit_ssl(encoder, splits["train"], splits["val"], config)
    embeddings = {s: embed(encoder, part).double().numpy() for s, part in splits.items()}
    return {"probes": probe_all(embeddings, labels, PROBED), "best_epoch": result.best_epoch,
            "seconds": round(time.time() - start, 1)}


def run_settings(args, method: str) -> dict:
    """What one cached (method, seed) run depends on; a cached run of other settings is refused by file name."""
    return {"method": method, **{k: getattr(args, k) for k in ("architectures", "datasets", "size", "zoo_epochs",
                                                               "zoo_checkpoints", "latent", "ssl_epochs")}}


def main(argv=None) -> dict:
    args = parse_args(argv)
    start = time.time()
    splits, origin = pooled_splits(args.architectures, args.datasets, args.root, args.size, args.zoo_epochs, None,
                                   progress=not args.no_progress, checkpoints=args.zoo_checkpoints)
    labels = {s: {**properties_of(part),
                  "architecture": np.array([float(args.architectures.index(a)) for a in origin[s]["architecture"]])}
              for s, part in splits.items()}
    specs = specs_by_architecture([build_classifier(a) for a in args.architectures])
    results: dict = {"architectures": args.architectures, "datasets": args.datasets,
                     "sizes": {s: len(p) for s, p in splits.items()}, "hyperrep": {"unsupported": hyperrep_refusal(splits)},
                     "methods": {}}
    stats = {s: global_statistics(part) for s, part in splits.items()}
    results["methods"]["s(W) global"] = {p: {k: summarise([v]) for k, v in r.items()}
                                         for p, r in probe_all(stats, labels, PROBED).items()}
    runs: dict[str, list] = {}      # seed-major: an interrupted run leaves whole seeds of every method
    for seed in range(args.seeds):
        for method in args.methods:
            key = f"{method}-seed{seed}"
            runs.setdefault(method, []).append(
                cached(args.out, key, lambda: learned(args, method, seed, splits, labels, specs,
                                                      checkpoint_path(args.out, key)),
                       run_settings(args, method)))
    for method in args.methods:
        results["methods"][method] = merge_seeds(runs[method])
    results.update(run_metadata("examples/heterogeneous_ssl.py", argv, start))
    write_results(args.out, results, format_table(results, args))
    return results


def format_table(results: dict, args) -> str:
    title = (f"Linear probes on a zoo of {', '.join(results['architectures'])} ({', '.join(results['datasets'])}); "
             f"test split of {results['sizes']['test']} networks; learned: mean ± std over {args.seeds} seeds")
    return "\n".join([title, "", render_probe(results), "",
                      f"HyperRep: not applicable ({results['hyperrep']['unsupported']})"])


if __name__ == "__main__":
    main()
