"""Lower precision for SNE: networks/s under ``torch.autocast(bfloat16)`` against float32, and the output error.

    python benchmarks/bench_precision.py [--quick] [--out DIR] [--hidden 64]

Issue 19 allows a ``precision`` setting if lower precision is what reaches the inference target. This
measures whether it would: one SNE on the mixed MLP + CNN zoo of ``bench_throughput``, passes in float32
and under CPU bfloat16 autocast taking turns (best pass of each), for inference and for training steps,
with the largest output difference relative to the largest float32 output (inference) and the relative
difference of the first step's loss gradient norm (training).
"""
from __future__ import annotations

import torch
from torch import nn
from torch_geometric.loader import DataLoader

from bench_compile import _inference_pass, _training_pass
from bench_throughput import zoos
from common import cli, interleaved_best, print_table, write_json
from sne_pyg.nn import build_model
from sne_pyg.train import prepare_dataset

DTYPE = torch.bfloat16


def autocast(fn):
    """``fn`` run under CPU autocast to :data:`DTYPE` (matrix products and attention in bfloat16)."""
    def run():
        with torch.autocast("cpu", dtype=DTYPE):
            return fn()
    return run


def _gradient_norm(model: nn.Module, batch, low: bool) -> float:
    model.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=DTYPE, enabled=low):
        out = model(batch)
    out.float().sum().backward()
    return float(torch.sqrt(sum((p.grad.float() ** 2).sum() for p in model.parameters() if p.grad is not None)))


def measure(mode: str, zoo: list, hidden: int, batch_size: int, repeats: int) -> dict:
    torch.manual_seed(0)
    model = build_model("sne", hidden=hidden, out_dim=1)
    batches = list(DataLoader(prepare_dataset(model, zoo), batch_size=batch_size))
    model(batches[0]).sum().backward()                      # lazy layers exist before the optimiser
    if mode == "inference":
        model.eval()
        exact = _inference_pass(model, batches)
        passes = {"float32": exact, "bfloat16": autocast(exact)}
        with torch.no_grad():
            reference = torch.cat(exact())
            low = torch.cat(autocast(exact)()).float()
        error = float((low - reference).abs().max() / reference.abs().max())
    else:
        model.train()
        gradient = _gradient_norm(model, batches[0], False)
        error = abs(_gradient_norm(model, batches[0], True) - gradient) / gradient
        step = _training_pass(model, torch.optim.Adam(model.parameters(), lr=1e-4), batches)
        passes = {"float32": step, "bfloat16": autocast(step)}
    best = interleaved_best(passes, repeats)
    speeds = {name: len(zoo) / seconds for name, seconds in best.items()}
    return {"mode": mode, "networks": len(zoo), "float32_networks_per_s": speeds["float32"],
            "bfloat16_networks_per_s": speeds["bfloat16"], "speedup": speeds["bfloat16"] / speeds["float32"],
            "relative_error": error}


def run(quick: bool = False, out: str | None = None, hidden: int = 64) -> list[dict]:
    repeats, batch_size = (1, 8) if quick else (3, 16)
    hidden = min(hidden, 16) if quick else hidden           # the smoke run checks the path, not the speed
    zoo = zoos(quick)["mlp+cnn"]
    rows = [measure(mode, zoo, hidden, batch_size, repeats) for mode in ("inference", "training")]
    write_json(out, "precision.json", {"hidden": hidden, "batch_size": batch_size, "threads": torch.get_num_threads(),
                                       "dtype": str(DTYPE), "rows": rows})
    print_table(["mode", "float32 networks/s", "bfloat16 networks/s", "speed-up", "relative error"],
                [[r["mode"], f"{r['float32_networks_per_s']:.1f}", f"{r['bfloat16_networks_per_s']:.1f}",
                  f"{r['speedup']:.2f}", f"{r['relative_error']:.1e}"] for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__, hidden=(int, 64, "hidden size of SNE"))
