r"""Batch normalisation whose statistics span the global batch of a data-parallel run.

With ``N`` processes each holding ``B/N`` networks, a plain ``BatchNorm1d`` normalises by the
statistics of its local share, so the model trained on ``N`` processes differs from the one
trained on one process with the same global batches. This layer all-reduces
:math:`(\sum x,\ \sum x^2,\ n)` across processes with an autograd-aware all-reduce:

.. math::
    \mu = \frac{1}{n}\sum_i x_i, \qquad \sigma^2 = \frac{1}{n}\sum_i x_i^2 - \mu^2, \qquad
    y = \gamma \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta,

summed over every process's rows, and gradients flow back through the reduction (the
gradient of a sum over processes is the sum of every process's gradient: an all-reduce again). It works on
gloo (CPU) as well as NCCL, unlike ``nn.SyncBatchNorm``, which needs GPU tensors. In one process,
in eval mode, or inside :func:`local_statistics` it is exactly ``nn.BatchNorm1d``.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.distributed as dist
from torch import Tensor, nn

from ..process_group import is_distributed


class SumAcrossProcesses(torch.autograd.Function):
    """``all_reduce(SUM)`` whose backward is ``all_reduce(SUM)`` of the incoming gradient."""

    @staticmethod
    def forward(ctx, tensor: Tensor) -> Tensor:
        out = tensor.clone()
        dist.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class GlobalBatchNorm1d(nn.BatchNorm1d):
    """``nn.BatchNorm1d`` with statistics over all processes' rows in distributed training."""

    synchronise: bool = True

    def forward(self, x: Tensor) -> Tensor:
        if not (self.training and self.synchronise and is_distributed()):
            return super().forward(x)
        count = x.new_full((1,), x.size(0))
        stats = SumAcrossProcesses.apply(torch.cat([x.sum(0), x.pow(2).sum(0), count]))
        h = x.size(1)
        n = stats[-1]
        mean = stats[:h] / n
        var = (stats[h:2 * h] / n - mean.pow(2)).clamp_min(0)
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                factor = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                unbiased = var * n / (n - 1).clamp_min(1)
                self.running_mean.mul_(1 - factor).add_(factor * mean)
                self.running_var.mul_(1 - factor).add_(factor * unbiased)
        y = (x - mean) * torch.rsqrt(var + self.eps)
        return y * self.weight + self.bias if self.affine else y


@contextmanager
def local_statistics(model: nn.Module):
    """Within the block, every :class:`GlobalBatchNorm1d` of ``model`` uses this process's rows only."""
    norms = [m for m in model.modules() if isinstance(m, GlobalBatchNorm1d)]
    for m in norms:
        m.synchronise = False
    try:
        yield
    finally:
        for m in norms:
            m.synchronise = True
