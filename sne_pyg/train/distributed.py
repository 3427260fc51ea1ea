"""Data-parallel training with ``torch.distributed`` (launched by ``torchrun``), one process otherwise.

Everything here is a thin layer over PyTorch: ``init_process_group`` (gloo on CPU, NCCL on GPU)
from the environment ``torchrun`` sets, ``DistributedSampler`` for the global batch order,
``DistributedDataParallel`` for the gradient all-reduce, and collective ops for metrics.
With one process every helper degrades to the plain single-process behaviour, and the batch
order is the same one ``DistributedSampler`` gives any number of processes, so a run on N
processes sees exactly the global batches of a run on one.
"""
from __future__ import annotations

import datetime
import os

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from ..process_group import is_distributed, is_main_process, rank, world_size

__all__ = ["is_distributed", "world_size", "rank", "is_main_process", "init_from_environment", "local_device",
           "shutdown", "global_order_sampler", "local_batch_size", "wrap", "unwrap", "model_device",
           "all_reduce_sum", "gather_by_index"]


def init_from_environment(device: str = "cpu", timeout: datetime.timedelta | None = None) -> bool:
    """Join the process group ``torchrun`` describes in the environment (``WORLD_SIZE`` > 1).

    Returns whether this run is distributed. gloo serves CPU tensors, NCCL CUDA tensors; on
    CUDA each process takes the GPU of its ``LOCAL_RANK``. ``timeout``: how long collectives
    (a barrier) wait for the slowest process (PyTorch's default, 30 minutes, when None).
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    if not dist.is_initialized():
        cuda = str(device).startswith("cuda")
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        options = {} if timeout is None else {"timeout": timeout}
        dist.init_process_group(backend="nccl" if cuda else "gloo", **options)
    return is_distributed()


def local_device(device: str) -> str:
    """``cuda`` -> ``cuda:LOCAL_RANK`` in a distributed run; anything else unchanged."""
    if device == "cuda" and is_distributed():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return device


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def global_order_sampler(dataset, shuffle: bool, seed: int) -> DistributedSampler:
    """This process's share of one seeded global order (``set_epoch`` reshuffles it per epoch).

    Global batch ``k`` of a one-process run with batch size ``B`` is exactly the union of local
    batch ``k`` (size ``B / N``) over the ``N`` processes of a distributed run.
    """
    return DistributedSampler(dataset, num_replicas=world_size(), rank=rank(), shuffle=shuffle, seed=seed,
                              drop_last=False)


def local_batch_size(global_batch_size: int) -> int:
    n = world_size()
    if global_batch_size % n:
        raise ValueError(f"batch size {global_batch_size} is not divisible by the {n} processes; "
                         f"choose a multiple of {n}")
    return global_batch_size // n


def wrap(model: nn.Module, find_unused_parameters: bool = False) -> nn.Module:
    """``DistributedDataParallel(model)`` in a distributed run (gradients averaged across processes);
    ``find_unused_parameters`` for models whose loss leaves some parameters out (a decoder at beta 1)."""
    if not is_distributed():
        return model
    device = model_device(model)
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None,
                                   find_unused_parameters=find_unused_parameters)


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def model_device(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def all_reduce_sum(values: list[float]) -> list[float]:
    """Sum of ``values`` over all processes (a float64 all-reduce; unchanged in one process)."""
    if not is_distributed():
        return values
    t = torch.tensor(values, dtype=torch.float64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t)
    return t.cpu().tolist()


def gather_by_index(index: Tensor, *tensors: Tensor) -> tuple[Tensor, ...]:
    """Reassemble per-process rows into dataset order: rows of each ``tensor`` belong to the
    dataset positions ``index``; duplicates (``DistributedSampler`` pads) are dropped."""
    if not is_distributed():
        order = index.argsort()
        return tuple(t[order] for t in tensors)
    pieces: list = [None] * world_size()
    dist.all_gather_object(pieces, (index.cpu(), [t.cpu() for t in tensors]))
    all_index = torch.cat([p[0] for p in pieces])
    all_rows = [torch.cat([p[1][k] for p in pieces]) for k in range(len(tensors))]
    _, first = _first_occurrence(all_index)
    return tuple(rows[first] for rows in all_rows)


def _first_occurrence(index: Tensor) -> tuple[Tensor, Tensor]:
    """Sorted unique values of ``index`` and the position of the first occurrence of each."""
    order = index.argsort(stable=True)
    sorted_index = index[order]
    keep = torch.ones_like(sorted_index, dtype=torch.bool)
    keep[1:] = sorted_index[1:] != sorted_index[:-1]
    return sorted_index[keep], order[keep]
