"""Where this process stands in a ``torch.distributed`` run (one process when none is initialised).

The lowest layer of the package holds these queries so that modules (``GlobalBatchNorm1d``)
and the training loop read them from one place; joining a process group and wrapping models
for data-parallel training live in :mod:`sne_pyg.train.distributed`.
"""
from __future__ import annotations

import torch.distributed as dist


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main_process() -> bool:
    """True on the process that writes files and prints (rank 0, or the only process)."""
    return rank() == 0
