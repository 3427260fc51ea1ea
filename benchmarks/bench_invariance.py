"""Logit Invariance ablation on the sine-INR zoo: accuracy and invariance gap per model.

    python benchmarks/bench_invariance.py [--quick] [--out DIR]

For SNE, SNE + Logit Invariance, DeepSets, NeuralGraph and DWSNet: test MSE of the frequency and
the invariance gap, mean |f(theta) - f(g . theta)| (frequency units) over random hidden-neuron
permutations g of the test networks, with the models in eval mode. Writes ``invariance.json``.
"""
from __future__ import annotations

import time

import torch
from torch_geometric.loader import DataLoader

from common import cli, print_table, write_json
from sne_pyg.nn import build_model
from sne_pyg.symmetry import permute_batch
from sne_pyg.train import TargetScaler, TrainConfig, evaluate, fit, prepare_dataset, targets_of
from sne_pyg.zoos import SineINRZoo

VARIANTS = {  # name: (registered model, Logit Invariance weight)
    "sne": ("sne", 0.0),
    "sne+li": ("sne", 1.0),
    "deepsets": ("deepsets", 0.0),
    "neural_graph": ("neural_graph", 0.0),
    "dwsnet": ("dwsnet", 0.0),
    "nfn_np": ("nfn_np", 0.0),
    "nfn_hnp": ("nfn_hnp", 0.0),
    "nft": ("nft", 0.0),
}


@torch.no_grad()
def invariance_gap(model, dataset, scaler: TargetScaler, draws: int, seed: int = 0) -> float:
    """Mean absolute change of the prediction under random permutations of each network."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    total, count = 0.0, 0
    for batch in DataLoader(dataset, batch_size=64):
        reference = scaler.decode(model(batch))
        for _ in range(draws):
            total += float((scaler.decode(model(permute_batch(batch, generator))) - reference).abs().sum())
            count += reference.numel()
    return total / count


def run(quick: bool = False, out: str | None = None, root: str = "data_cache", epochs: int | None = None,
        li_weight: float | None = None) -> dict:
    size, steps, default_epochs, hidden, draws = (60, 200, 4, 16, 2) if quick else (400, 1000, 40, 32, 5)
    epochs = epochs or default_epochs
    zoo = {s: SineINRZoo(root, s, size=size, steps=steps, progress=False) for s in ("train", "val", "test")}
    scaler = TargetScaler(targets_of(zoo["train"]))
    rows = {}
    for name, (model_name, default_weight) in VARIANTS.items():
        weight = default_weight if li_weight is None or not default_weight else li_weight
        start = time.time()
        torch.manual_seed(0)
        model = build_model(model_name, hidden=hidden, out_dim=1)
        splits = {k: prepare_dataset(model, v) for k, v in zoo.items()}
        config = TrainConfig(epochs=epochs, li_weight=weight, patience=max(epochs // 3, 3), progress=False)
        fit(model, splits["train"], splits["val"], config, scaler)
        rows[name] = {"test_mse": evaluate(model, splits["test"], scaler=scaler)["mse"],
                      "invariance_gap": invariance_gap(model, splits["test"], scaler, draws),
                      "li_weight": weight, "seconds": round(time.time() - start, 1)}
    write_json(out, "invariance.json", {"quick": quick, "zoo": {k: len(v) for k, v in zoo.items()}, "epochs": epochs,
                                        "permutation_draws": draws, "rows": rows})
    print_table(["model", "test MSE", "invariance gap", "time (s)"],
                [[name, f"{r['test_mse']:.4f}", f"{r['invariance_gap']:.2e}", f"{r['seconds']:.1f}"]
                 for name, r in rows.items()])
    return rows


if __name__ == "__main__":
    cli(run, __doc__, root=(str, "data_cache", "zoo cache folder"),
        epochs=(int, None, "training epochs (default 40, quick 4)"),
        li_weight=(float, None, "Logit Invariance weight of sne+li (default 1)"))
