"""Encoding throughput (networks / s, inference) of SNE vs the baselines at equal hidden size.

    python benchmarks/bench_throughput.py [--quick] [--out DIR]

Two zoos: a heterogeneous one (MLPs, CNNs, small transformers: SNE and DeepSets) and the subset that
NeuralGraph can read (MLPs and CNNs: SNE, DeepSets, NeuralGraph). Each model encodes the whole zoo
in batches; the best of ``repeats`` timings is kept and the ratio to SNE reported from the same run.
NeuralGraph's view is computed beforehand (as a dataset transform would), so only encoding is timed.
"""
from __future__ import annotations

import time

import torch
from torch import nn
from torch_geometric.loader import DataLoader

from common import cli, print_table, write_json
from isolated import peak_rss_gb, reset_peak_rss, run_isolated
from sne_pyg import convert
from sne_pyg.nn import build_model
from sne_pyg.train import prepare_dataset


def _mlp(width: int, depth: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    dims = [16] + [width] * depth + [10]
    layers = []
    for a, b in zip(dims[:-1], dims[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def _cnn(channels: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, channels, 3), nn.BatchNorm2d(channels), nn.ReLU(),
                         nn.Conv2d(channels, channels, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(channels, 10))


def _transformer(d: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.TransformerEncoder(nn.TransformerEncoderLayer(d, 4, 2 * d, batch_first=True), 2,
                                 enable_nested_tensor=False)


def zoos(quick: bool, chunk_size: int = 64) -> dict[str, list]:
    n = 4 if quick else 16
    mlps = [_mlp(32 + 16 * (i % 3), 2 + i % 2, i) for i in range(n)]
    cnns = [_cnn(8 + 8 * (i % 2), i) for i in range(n)]
    transformers = [_transformer(32, i) for i in range(n // 2)]
    graphable = [convert(m, chunk_size) for m in mlps + cnns]
    return {"mlp+cnn": graphable, "mlp+cnn+transformer": graphable + [convert(m, chunk_size) for m in transformers]}


@torch.no_grad()
def networks_per_second(model: nn.Module, dataset, batch_size: int, repeats: int) -> float:
    model.eval()
    batches = list(DataLoader(dataset, batch_size=batch_size))
    model(batches[0])                                     # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            model(batch)
        best = min(best, time.perf_counter() - start)
    return len(dataset) / best


def data_megabytes(dataset) -> float:
    """Bytes of every tensor the model reads (the converted networks plus its view, e.g. the neuron graph)."""
    return sum(t.numel() * t.element_size() for d in dataset for _, t in d if isinstance(t, torch.Tensor)) / 2**20


BUDGET = 512     # chunks the "sne, chunk budget" variant encodes at once
MODEL_SETTINGS = {"sne": ("sne", {}), f"sne, chunk budget {BUDGET}": ("sne", {"chunk_batch_size": BUDGET}),
                  "deepsets": ("deepsets", {}), "neural_graph": ("neural_graph", {})}


def build(label: str, hidden: int) -> nn.Module:
    torch.manual_seed(0)
    name, options = MODEL_SETTINGS[label]
    return build_model(name, hidden=hidden, out_dim=1, **options)


def memory_task(zoo_name: str, model_name: str, hidden: int, batch_size: int, quick: bool) -> dict:
    """In a fresh process: the RSS high-water mark of one inference pass over the zoo, above the RSS
    once the networks and the model's view of them are in memory (the encoding's working set)."""
    zoo = zoos(quick)[zoo_name]
    model = build(model_name, hidden).eval()
    dataset = prepare_dataset(model, zoo)
    batches = list(DataLoader(dataset, batch_size=batch_size))
    with torch.no_grad():
        model(batches[0])                                 # lazy layers exist before the measurement
        start = reset_peak_rss()
        for batch in batches:
            model(batch)
    return {"working_set_mb": (peak_rss_gb() - start) * 1024, "data_mb": data_megabytes(dataset)}


def run(quick: bool = False, out: str | None = None, hidden: int = 64) -> list[dict]:
    repeats, batch_size = (1, 8) if quick else (3, 16)
    rows = []
    for zoo_name, zoo in zoos(quick).items():
        models = list(MODEL_SETTINGS)[:3] + (["neural_graph"] if zoo_name == "mlp+cnn" else [])
        speeds, memory = {}, {}
        for name in models:
            model = build(name, hidden)
            speeds[name] = networks_per_second(model, prepare_dataset(model, zoo), batch_size, repeats)
            memory[name] = run_isolated(memory_task, threads=torch.get_num_threads(), zoo_name=zoo_name,
                                        model_name=name, hidden=hidden, batch_size=batch_size, quick=quick)
        for name, speed in speeds.items():
            rows.append({"zoo": zoo_name, "networks": len(zoo), "model": name, "networks_per_s": speed,
                         "sne_speedup": speeds["sne"] / speed, "working_set_mb": memory[name]["working_set_mb"],
                         "data_mb": memory[name]["data_mb"],
                         "sne_memory_fraction": memory["sne"]["working_set_mb"] / memory[name]["working_set_mb"]})
    write_json(out, "throughput.json", {"hidden": hidden, "threads": torch.get_num_threads(), "rows": rows})
    print_table(["zoo", "model", "networks/s", "SNE speed / this", "working set MB", "SNE memory / this",
                 "data + view MB"],
                [[r["zoo"], r["model"], f"{r['networks_per_s']:.1f}", f"{r['sne_speedup']:.2f}",
                  f"{r['working_set_mb']:.1f}", f"{r['sne_memory_fraction']:.2f}", f"{r['data_mb']:.1f}"]
                 for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__, hidden=(int, 64, "hidden size of every model"))
