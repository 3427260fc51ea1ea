"""Stand-in for *your* checkpoints: a folder of trained networks and a CSV of what to predict.

    python examples/my_checkpoints.py --out my_checkpoints [--count 60]

Trains ``count`` small MLPs (2 -> 16 -> 16 -> 1, tanh) on a toy regression with learning rates
drawn log-uniformly from [1e-3, 1e-1], saves each as ``.pt`` or ``.safetensors``, and writes
``labels.csv`` with the columns ``file``, ``log10_lr`` and ``final_loss``: the format
``sne-pyg convert checkpoints`` reads. Replace it with your own folder.
"""
from __future__ import annotations

import argparse
import csv
import math
import os

import torch
from safetensors.torch import save_file
from torch import nn


def train_one(lr: float, seed: int, steps: int = 60) -> tuple[nn.Module, float]:
    torch.manual_seed(seed)
    x = torch.randn(256, 2)
    y = torch.sin(2 * x[:, :1]) * x[:, 1:]
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return model, float(nn.functional.mse_loss(model(x), y))


def main(argv=None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="my_checkpoints")
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    generator = torch.Generator().manual_seed(args.seed)
    rows = []
    for i in range(args.count):
        log_lr = -3 + 2 * float(torch.rand(1, generator=generator))
        model, loss = train_one(10 ** log_lr, seed=args.seed * 100_003 + i)
        name = f"net{i:03d}.safetensors" if i % 2 else f"net{i:03d}.pt"
        path = os.path.join(args.out, name)
        if name.endswith(".pt"):
            torch.save(model.state_dict(), path)
        else:
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
        rows.append([name, f"{log_lr:.6f}", f"{loss:.6g}" if math.isfinite(loss) else "nan"])
    with open(os.path.join(args.out, "labels.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "log10_lr", "final_loss"])
        writer.writerows(rows)
    print(f"wrote {args.count} checkpoints and labels.csv to {args.out}")
    return [r[0] for r in rows]


if __name__ == "__main__":
    main()
