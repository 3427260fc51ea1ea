"""Zoo generation speed: vectorised groups vs a plain loop over runs, and 2 torchrun processes vs 1.

    python benchmarks/bench_zoo.py [--quick] [--out DIR]

Per architecture, the same runs (hyperparameters, initialisations, minibatch order) are trained by
the vectorised generator (runs of one activation and optimiser stacked under ``vmap``, groups of 32)
and by a plain loop that trains them one at a time (groups of one); the ratio of their networks/s is
the vectorisation speed-up, measured side by side in one process. Then ``sne-pyg zoo`` makes one
zoo in one process and (``torchrun --nproc_per_node 2``) in two, each process with one thread, and the
wall-clock ratio is reported; the two zoos are compared bit for bit.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import torch

from common import cli, print_table, write_json
from sne_pyg.data import ZooFolder
from sne_pyg.zoos.classifier_zoo import generate_classifier_zoo

ARCHITECTURES = ("mlp", "arch1", "arch2", "transformer")


def networks_per_second(architecture: str, runs: int, epochs: int, group_size: int) -> tuple[float, int]:
    start = time.perf_counter()
    networks = generate_classifier_zoo(architecture, "digits", runs, epochs=epochs, checkpoints=(epochs,),
                                       group_size=group_size, progress=False)
    return len(networks) / (time.perf_counter() - start), len(networks)


def vectorisation_rows(quick: bool) -> list[dict]:
    runs, epochs = (4, 1) if quick else (48, 2)
    networks_per_second("mlp", 2, 1, 32)              # warm-up: the dataset and the first vmap trace
    rows = []
    for architecture in ARCHITECTURES:
        grouped, n = networks_per_second(architecture, runs, epochs, 32)
        looped, _ = networks_per_second(architecture, runs, epochs, 1)
        rows.append({"architecture": architecture, "runs": runs, "epochs": epochs, "networks": n,
                     "vectorised_networks_per_s": grouped, "loop_networks_per_s": looped, "speedup": grouped / looped})
    return rows


def _zoo_command(out: str, size: int, epochs: int, processes: int) -> list[str]:
    zoo = ["-m", "sne_pyg.cli", "zoo", "arch1-digits", "--size", str(size), "--steps", str(epochs), "--fractions",
           "0.6,0.2,0.2", "--no-progress", "--out", out]
    if processes == 1:
        return [sys.executable, *zoo]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes), *zoo]


def sharding_row(quick: bool) -> dict:
    size, epochs = (16, 1) if quick else (256, 4)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        for processes in (1, 2):
            out = os.path.join(tmp, f"p{processes}")
            start = time.perf_counter()
            done = subprocess.run(_zoo_command(out, size, epochs, processes), env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"zoo generation with {processes} process(es) failed: {done.stderr[-2000:]}")
            seconds[processes] = time.perf_counter() - start
        folders = [os.path.join(tmp, f"p{processes}") for processes in (1, 2)]
        identical = all(torch.equal(a.chunks, b.chunks) for split in ("train", "val", "test")
                        for a, b in zip(*(ZooFolder(folder, split) for folder in folders)))
    return {"zoo": "arch1-digits", "runs": size, "epochs": epochs, "one_process_s": seconds[1],
            "two_processes_s": seconds[2], "speedup": seconds[1] / seconds[2], "bit_identical": identical}


def run(quick: bool = False, out: str | None = None) -> dict:
    rows = vectorisation_rows(quick)
    sharded = sharding_row(quick)
    write_json(out, "zoo.json", {"threads": torch.get_num_threads(), "vectorisation": rows, "sharding": sharded})
    print_table(["architecture", "runs x epochs", "vectorised networks/s", "loop networks/s", "speed-up"],
                [[r["architecture"], f"{r['runs']} x {r['epochs']}", f"{r['vectorised_networks_per_s']:.1f}",
                  f"{r['loop_networks_per_s']:.1f}", f"{r['speedup']:.2f}"] for r in rows])
    print_table(["zoo", "runs x epochs", "1 process (s)", "2 processes (s)", "speed-up", "bit-identical"],
                [[sharded["zoo"], f"{sharded['runs']} x {sharded['epochs']}", f"{sharded['one_process_s']:.1f}",
                  f"{sharded['two_processes_s']:.1f}", f"{sharded['speedup']:.2f}", str(sharded["bit_identical"])]])
    return {"vectorisation": rows, "sharding": sharded}


if __name__ == "__main__":
    cli(run, __doc__)
