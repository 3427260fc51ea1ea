"""``torch.compile`` of SNE's chunk encoder: networks/s eager vs compiled, for inference and for training.

    python benchmarks/bench_compile.py [--quick] [--out DIR] [--hidden 64] [--backend inductor]

The chunk encoder (2 SAB + PMA over every chunk of 64 lifted values) is where SNE spends its time
(see ``bench_throughput``), so it is the part worth compiling. Two SNEs with the same weights read the
mixed MLP + CNN zoo of ``bench_throughput``: one eager, one whose ``chunk_encoder`` is wrapped by
``torch.compile`` (dynamic shapes: a network's last chunk block is smaller). Reported per mode: the
compilation time (the first pass over the zoo, minus an eager pass), the best pass of each model with the
two taking turns, the speed-up, and the largest difference of outputs (and, for training, of gradients)
between the two. ``--quick`` (CI) compiles with the ``aot_eager`` backend: the same tracing and
autograd graphs without generating kernels, so the smoke run checks the path in seconds; the speed-up
it reports means nothing.
"""
from __future__ import annotations

import copy
import time

import torch
from torch import nn
from torch_geometric.loader import DataLoader

from bench_throughput import zoos
from bench_training import _epoch as _training_pass
from common import cli, interleaved_best, print_table, write_json
from sne_pyg.nn import build_model
from sne_pyg.train import prepare_dataset


def compiled_copy(model: nn.Module, backend: str) -> nn.Module:
    """A copy of ``model`` (same weights) whose chunk encoder runs through ``torch.compile``."""
    twin = copy.deepcopy(model)
    twin.chunk_encoder = torch.compile(twin.chunk_encoder, backend=backend, dynamic=True)
    return twin


def _inference_pass(model: nn.Module, batches: list):
    def one_pass():
        with torch.no_grad():
            return [model(b) for b in batches]
    return one_pass


def _gradient_difference(eager: nn.Module, compiled: nn.Module, batch) -> tuple[float, float]:
    """Largest |difference| of the outputs and of the parameter gradients of one forward + backward."""
    outputs, grads = [], []
    for model in (eager, compiled):
        model.zero_grad(set_to_none=True)
        out = model(batch)
        out.sum().backward()
        outputs.append(out.detach())
        grads.append([torch.zeros_like(p) if p.grad is None else p.grad for p in model.parameters()])
    return ((outputs[0] - outputs[1]).abs().max().item(),
            max((a - b).abs().max().item() for a, b in zip(*grads)))


def measure(mode: str, zoo: list, hidden: int, batch_size: int, repeats: int, backend: str) -> dict:
    torch.manual_seed(0)
    eager = build_model("sne", hidden=hidden, out_dim=1)
    batches = list(DataLoader(prepare_dataset(eager, zoo), batch_size=batch_size))
    eager(batches[0]).sum().backward()                      # lazy layers exist before the copy and the optimiser
    eager.zero_grad(set_to_none=True)
    compiled = compiled_copy(eager, backend)
    if mode == "inference":
        eager.eval(), compiled.eval()
        passes = {name: _inference_pass(m, batches) for name, m in (("eager", eager), ("compiled", compiled))}
    else:
        eager.train(), compiled.train()
        passes = {name: _training_pass(m, torch.optim.Adam(m.parameters(), lr=1e-4), batches)
                  for name, m in (("eager", eager), ("compiled", compiled))}
    start = time.perf_counter()
    passes["eager"]()
    eager_first = time.perf_counter() - start
    start = time.perf_counter()
    passes["compiled"]()                                    # compiles (every new shape family) while it runs
    compile_seconds = time.perf_counter() - start - eager_first
    if mode == "inference":
        with torch.no_grad():
            out_diff = max((a - b).abs().max().item() for a, b in zip(passes["eager"](), passes["compiled"]()))
        grad_diff = None
    else:
        with torch.no_grad():                                # both trained one pass apart: compare at equal weights
            for mine, theirs in zip([*eager.parameters(), *eager.buffers()], [*compiled.parameters(), *compiled.buffers()]):
                mine.copy_(theirs)
        out_diff, grad_diff = _gradient_difference(eager, compiled, batches[0])
    best = interleaved_best(passes, repeats)
    speeds = {name: len(zoo) / seconds for name, seconds in best.items()}
    return {"mode": mode, "backend": backend, "networks": len(zoo), "eager_networks_per_s": speeds["eager"],
            "compiled_networks_per_s": speeds["compiled"], "speedup": speeds["compiled"] / speeds["eager"],
            "compile_seconds": compile_seconds, "max_output_difference": out_diff,
            "max_gradient_difference": grad_diff}


def run(quick: bool = False, out: str | None = None, hidden: int = 64, backend: str | None = None) -> list[dict]:
    backend = backend or ("aot_eager" if quick else "inductor")
    repeats, batch_size = (1, 8) if quick else (3, 16)
    hidden = min(hidden, 16) if quick else hidden           # the smoke run checks the path, not the speed
    zoo = zoos(quick)["mlp+cnn"]
    rows = [measure(mode, zoo, hidden, batch_size, repeats, backend) for mode in ("inference", "training")]
    write_json(out, "compile.json", {"hidden": hidden, "batch_size": batch_size, "threads": torch.get_num_threads(),
                                     "torch": torch.__version__, "rows": rows})
    print_table(["mode", "backend", "eager networks/s", "compiled networks/s", "speed-up", "compile (s)",
                 "max |out diff|", "max |grad diff|"],
                [[r["mode"], r["backend"], f"{r['eager_networks_per_s']:.1f}", f"{r['compiled_networks_per_s']:.1f}",
                  f"{r['speedup']:.2f}", f"{r['compile_seconds']:.1f}", f"{r['max_output_difference']:.1e}",
                  "-" if r["max_gradient_difference"] is None else f"{r['max_gradient_difference']:.1e}"]
                 for r in rows])
    return rows


if __name__ == "__main__":
    cli(run, __doc__, hidden=(int, 64, "hidden size of SNE"),
        backend=(str, None, "torch.compile backend (default: inductor; aot_eager with --quick)"))
