"""Batches that never hold a single network.

A BatchNorm in training mode cannot take statistics from one row (PyTorch refuses it), so a
training set whose size leaves one network over (``n % batch_size == 1``, e.g. 321 networks in
batches of 32) would fail on its last batch. :class:`NoSingletonBatches` merges that network
into the batch before it instead: every network is still seen once per pass.
"""
from __future__ import annotations

from collections.abc import Iterator, Sized

from torch.utils.data import BatchSampler, Sampler


class NoSingletonBatches(Sampler[list[int]]):
    """Batches of ``batch_size`` indices drawn from ``sampler``; a last batch of one index joins the one before.

    Args:
        sampler: the order (e.g. a seeded :class:`~torch.utils.data.DistributedSampler`; its ``set_epoch``
            is still called on it directly).
        batch_size: indices per batch, an int >= 1.
    """

    def __init__(self, sampler: Sampler[int] | Sized, batch_size: int) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
        self.sampler = sampler
        self.batch_size = batch_size

    def __iter__(self) -> Iterator[list[int]]:
        batches = list(BatchSampler(self.sampler, self.batch_size, drop_last=False))
        if len(batches) > 1 and len(batches[-1]) == 1:
            batches[-2].extend(batches.pop())
        return iter(batches)

    def __len__(self) -> int:
        n = len(self.sampler)
        count = -(-n // self.batch_size)
        last = n - (count - 1) * self.batch_size
        return count - 1 if count > 1 and last == 1 else count

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(batch_size={self.batch_size})"
