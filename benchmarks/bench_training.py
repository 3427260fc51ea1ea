"""Training throughput: networks/s of full training steps (forward, loss, backward, Adam) per model.

    python benchmarks/bench_training.py [--quick] [--out DIR] [--hidden 64]

Two zoos: the mixed MLP + CNN zoo of ``bench_throughput`` (the models that read mixed
architectures: SNE, DeepSets, NeuralGraph) and a sine-INR zoo (one architecture: every registered
model). Each model trains on the whole zoo in batches, the models taking turns in every repeat (a
drift of the machine hits all alike); the best pass is kept and SNE's ratio to each model is
reported from the same process. Model-specific views (NeuralGraph's graph) are built beforehand,
as a dataset transform would, so only training steps are timed.
"""
from __future__ import annotations


import torch
from torch import nn
from torch_geometric.loader import DataLoader

from bench_throughput import zoos
from common import cli, interleaved_best, print_table, write_json
from sne_pyg.nn import MODELS, build_model
from sne_pyg.train import prepare_dataset
from sne_pyg.zoos.sine_inr import generate_sine_inr_zoo

MIXED_MODELS = ["sne", "deepsets", "neural_graph"]


def training_zoos(quick: bool) -> dict[str, tuple[list, list[str]]]:
    mixed = zoos(quick)["mlp+cnn"]
    size, steps = (16, 20) if quick else (64, 200)
    inrs = generate_sine_inr_zoo(size, steps=steps, progress=False)
    return {"mlp+cnn": (mixed, MIXED_MODELS), "sine-INR": (inrs, list(MODELS))}


def training_networks_per_second(models: dict[str, nn.Module], zoo: list, batch_size: int,
                                 repeats: int) -> dict[str, float]:
    batches, optimizers = {}, {}
    for name, model in models.items():
        model.train()
        batches[name] = list(DataLoader(prepare_dataset(model, zoo), batch_size=batch_size))
        model(batches[name][0]).sum().backward()            # lazy layers exist before the optimiser
        optimizers[name] = torch.optim.Adam(model.parameters(), lr=1e-4)
    best = interleaved_best({name: _epoch(model, optimizers[name], batches[name]) for name, model in models.items()},
                            repeats)
    return {name: len(zoo) / seconds for name, seconds in best.items()}


def _epoch(model: nn.Module, optimizer: torch.optim.Optimizer, batches: list):
    def one_epoch():
        for batch in batches:
            optimizer.zero_grad(set_to_none=True)
            out = model(batch)
            loss = nn.functional.mse_loss(out, torch.zeros_like(out))
            loss.backward()
            optimizer.step()
    return one_epoch


def run(quick: bool = False, out: str | None = None, hidden: int = 64) -> list[dict]:
    repeats, batch_size = (1, 8) if quick else (3, 16)
    rows = []
    for zoo_name, (zoo, names) in training_zoos(quick).items():
        torch.manual_seed(0)
        models = {name: build_model(name, hidden=hidden, out_dim=1) for name in names}
        speeds = training_networks_per_second(models, zoo, batch_size, repeats)
        for name, speed in speeds.items():
            rows.append({"zoo": zoo_name, "networks": len(zoo), "model": name, "train_networks_per_s": speed,
                         "sne_speedup": speeds["sne"] / speed})
    write_json(out, "training.json", {"hidden": hidden, "batch_size": batch_size, "threads": torch.get_num_threads(),
                                      "rows": rows})
    print_table(["zoo", "model", "training networks/s", "SNE speed / this"],
                [[r["zoo"], r["model"], f"{r['train_networks_per_s']:.1f}", f"{r['sne_speedup']:.2f}"] for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__, hidden=(int, 64, "hidden size of every model"))
