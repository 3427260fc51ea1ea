"""Zoo generation in independent groups, resumable, and shared across ``torchrun`` processes and machines.

A zoo is made of ``count`` groups (runs trained together, or a batch of INRs), each a deterministic
function of its index. With a work folder every finished group is written there atomically and a
later call reuses it. Under ``torchrun`` with a work folder (``WORLD_SIZE`` processes joined with
:func:`sne_pyg.train.distributed.init_from_environment`), process ``r`` makes the missing groups
``k`` with ``k % WORLD_SIZE == r``; after a barrier the main process reads every group in order and
returns the whole zoo, which is the one process's zoo bit for bit (each group is computed alike
wherever it runs; tested with 2 CPU processes). Across machines the work folder must be shared.
"""
from __future__ import annotations

import os
from collections.abc import Callable

import torch.distributed as dist

from ..data import NetworkData
from ..data.dataset import read_networks, write_networks
from ..process_group import is_distributed, rank, world_size


def make_groups(count: int, make: Callable[[int], list[NetworkData]], work_dir: str | None,
                done: Callable[[int], None] = lambda k: None) -> list[NetworkData] | None:
    """The networks of groups ``0..count-1`` in order (``None`` on processes other than the main one).

    ``make(k)`` builds group ``k``; ``done(k)`` is called after each group this process made or read.
    Without ``work_dir`` every process makes every group (nothing is shared or kept).
    """
    if work_dir is None:                  # nothing to share through: this process makes every group
        return [net for k in range(count) for net in _made(make, k, done)]
    os.makedirs(work_dir, exist_ok=True)
    distributed = is_distributed()
    me, world = rank(), world_size()
    parts: dict[int, list[NetworkData]] = {}
    for k in range(count):
        path = group_path(work_dir, k)
        if os.path.exists(path):
            if me == 0:
                parts[k] = read_networks(path)
        elif k % world == me:
            part = make(k)
            if part:
                write_networks(part, path)
            parts[k] = part
        else:
            continue
        done(k)
    if distributed:
        dist.barrier()
        if me != 0:
            return None
        for k in range(count):
            if k not in parts:
                path = group_path(work_dir, k)
                parts[k] = read_networks(path) if os.path.exists(path) else []   # a group with no finite run
    return [net for k in range(count) for net in parts[k]]


def _made(make, k: int, done) -> list[NetworkData]:
    part = make(k)
    done(k)
    return part


def group_path(work_dir: str, k: int) -> str:
    return os.path.join(work_dir, f"group{k:04d}.pt")
