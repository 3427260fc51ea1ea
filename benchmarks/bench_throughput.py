"""Encoding throughput (networks / s, inference) of SNE vs the baselines at equal hidden size.

    python benchmarks/bench_throughput.py [--quick] [--out DIR]

Four zoos: a heterogeneous one (MLPs, CNNs, small transformers: SNE and DeepSets), the subset that
NeuralGraph can read (MLPs and CNNs), MLPs of one shape (DWSNet, NFN NP/HNP, NFT too) and CNNs of one
shape without normalisation layers (the weight-space models other than DWSNet). Each model
encodes the whole zoo in batches, the models taking turns; the best of ``repeats`` passes is kept and
the ratio to SNE reported from the same process. NeuralGraph's view is computed beforehand (as a
dataset transform would), so only encoding is timed. Speeds are measured twice, each in a fresh
process: with glibc's default malloc, and with freed memory retained (sne_pyg.cpu_allocator), which
removes the page faults of re-allocating large tensors (they cost NeuralGraph more than SNE).
Memory is the working set of one pass in a fresh process (default malloc). ``--quick`` measures the two
zoos that hold every model (MLP+CNN, MLPs of one shape) at 4 networks per kind.
"""
from __future__ import annotations


import torch
from torch import nn
from torch_geometric.loader import DataLoader

from common import cli, interleaved_best, print_table, write_json
from isolated import peak_rss_gb, reset_peak_rss, run_isolated
from sne_pyg import convert
from sne_pyg.cpu_allocator import retain_freed_memory
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
    return {"mlp+cnn": graphable, "mlp+cnn+transformer": graphable + [convert(m, chunk_size) for m in transformers],
            "mlp, one shape": [convert(_mlp(48, 2, i), chunk_size) for i in range(2 * n)],
            "cnn, one shape": [convert(_plain_cnn(16, i), chunk_size) for i in range(2 * n)]}


def _plain_cnn(channels: int, seed: int) -> nn.Module:
    """The Arch1 pattern (convolutions, global pooling, Linear): a chain the weight-space models read."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, channels, 3), nn.ReLU(), nn.Conv2d(channels, channels, 3, stride=2), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 10))


def networks_per_second(models: dict[str, nn.Module], zoo: list, batch_size: int, repeats: int) -> dict[str, float]:
    """Inference networks/s of each model over the whole zoo; the models take turns in every repeat
    (so a drift of the machine hits all alike) and the best pass of each is kept."""
    batches = {}
    with torch.no_grad():
        for name, model in models.items():
            model.eval()
            batches[name] = list(DataLoader(prepare_dataset(model, zoo), batch_size=batch_size))
            model(batches[name][0])                       # warm-up (lazy layers, first allocations)
        best = interleaved_best({name: _passes(model, batches[name]) for name, model in models.items()}, repeats)
    return {name: len(zoo) / seconds for name, seconds in best.items()}


def _passes(model: nn.Module, batches: list):
    def one_pass():
        for batch in batches:
            model(batch)
    return one_pass


def speed_task(zoo_name: str, model_names: list[str], hidden: int, batch_size: int, repeats: int, quick: bool,
               allocator: str) -> dict:
    """In a fresh process (allocator settings are process-wide): networks/s of every model on one zoo."""
    if allocator == RETAIN and not retain_freed_memory():
        raise RuntimeError("this C library does not take the malloc settings")
    zoo = zoos(quick)[zoo_name]
    return {"networks": len(zoo),
            "networks_per_s": networks_per_second({name: build(name, hidden) for name in model_names}, zoo,
                                                  batch_size, repeats)}


def data_megabytes(dataset) -> float:
    """Bytes of every tensor the model reads (the converted networks plus its view, e.g. the neuron graph)."""
    return sum(t.numel() * t.element_size() for d in dataset for _, t in d if isinstance(t, torch.Tensor)) / 2**20


ONE_BLOCK = "sne, one chunk block"
MODEL_SETTINGS = {"sne": ("sne", {}), ONE_BLOCK: ("sne", {"chunk_batch_size": None}),
                  "deepsets": ("deepsets", {}), "neural_graph": ("neural_graph", {}), "dwsnet": ("dwsnet", {}),
                  "nfn_np": ("nfn_np", {}), "nfn_hnp": ("nfn_hnp", {}), "nft": ("nft", {})}
# which models read which zoo: NeuralGraph has no attention, the weight-space models read one architecture
# (DWSNet MLPs only)
WEIGHT_SPACE = ["nfn_np", "nfn_hnp", "nft"]
ZOO_MODELS = {"mlp+cnn": ["sne", ONE_BLOCK, "deepsets", "neural_graph"],
              "mlp+cnn+transformer": ["sne", ONE_BLOCK, "deepsets"],
              "mlp, one shape": ["sne", "deepsets", "neural_graph", "dwsnet", *WEIGHT_SPACE],
              "cnn, one shape": ["sne", "deepsets", "neural_graph", *WEIGHT_SPACE]}
# --quick (CI): the two zoos that between them hold every model; each model and allocator costs a fresh
# process (~6 s of imports), so the other two would double the smoke run without reaching new code
QUICK_ZOOS = ("mlp+cnn", "mlp, one shape")
DEFAULT, RETAIN = "glibc default", "retain freed memory"


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
    threads = torch.get_num_threads()
    rows = []
    for zoo_name, models in ZOO_MODELS.items():
        if quick and zoo_name not in QUICK_ZOOS:
            continue
        memory = {name: run_isolated(memory_task, threads=threads, zoo_name=zoo_name, model_name=name,
                                     hidden=hidden, batch_size=batch_size, quick=quick) for name in models}
        for allocator in (DEFAULT, RETAIN):
            result = run_isolated(speed_task, threads=threads, zoo_name=zoo_name, model_names=models, hidden=hidden,
                                  batch_size=batch_size, repeats=repeats, quick=quick, allocator=allocator)
            if not result["ok"]:
                raise RuntimeError(f"throughput on {zoo_name} ({allocator}): {result['error']}")
            speeds = result["networks_per_s"]
            for name, speed in speeds.items():
                rows.append({"zoo": zoo_name, "networks": result["networks"], "allocator": allocator, "model": name,
                             "networks_per_s": speed, "sne_speedup": speeds["sne"] / speed,
                             "working_set_mb": memory[name]["working_set_mb"], "data_mb": memory[name]["data_mb"],
                             "sne_memory_fraction": _ratio(memory["sne"]["working_set_mb"],
                                                           memory[name]["working_set_mb"])})
    write_json(out, "throughput.json", {"hidden": hidden, "threads": threads, "rows": rows})
    if out:
        plot(rows, f"{out}/throughput.png")
    print_table(["zoo", "allocator", "model", "networks/s", "SNE speed / this", "working set MB",
                 "SNE memory / this", "data + view MB"],
                [[r["zoo"], r["allocator"], r["model"], f"{r['networks_per_s']:.1f}", f"{r['sne_speedup']:.2f}",
                  f"{r['working_set_mb']:.1f}",
                  "-" if r["sne_memory_fraction"] is None else f"{r['sne_memory_fraction']:.2f}", f"{r['data_mb']:.1f}"]
                 for r in rows])
    return rows


def _ratio(a: float, b: float) -> float | None:
    """``a / b``, or None where ``b`` is 0 (a small model's pass can add no resident memory at all)."""
    return a / b if b else None


def plot(rows: list[dict], path: str) -> None:
    """One panel per zoo: networks/s of every model (log scale), one bar per allocator setting."""
    from matplotlib.ticker import NullFormatter

    from sne_pyg.plots import plt, save_figure
    zoo_names = list(dict.fromkeys(r["zoo"] for r in rows))
    fig, axes = plt.subplots(1, len(zoo_names), figsize=(4.5 * len(zoo_names), 3.6), squeeze=False)
    top = 2 * max(r["networks_per_s"] for r in rows)
    for ax, zoo_name in zip(axes[0], zoo_names):
        models = list(dict.fromkeys(r["model"] for r in rows if r["zoo"] == zoo_name))
        for offset, allocator in ((-0.2, DEFAULT), (0.2, RETAIN)):
            speed = {r["model"]: r["networks_per_s"] for r in rows if r["zoo"] == zoo_name and r["allocator"] == allocator}
            ax.barh([i + offset for i in range(len(models))], [speed[m] for m in models], height=0.4, label=allocator)
        ax.set_yticks(range(len(models)), models)
        ax.set_xscale("log")
        ax.set_xlim(1, top)                       # bars on a log axis all start at 1 network/s
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("networks / s (inference)")
        ax.set_title(zoo_name)
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=8)
    save_figure(fig, path, rect=(0, 0.07, 1, 1))


if __name__ == "__main__":
    cli(run, __doc__, hidden=(int, 64, "hidden size of every model"))
