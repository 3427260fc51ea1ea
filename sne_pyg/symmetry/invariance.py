r"""Logit Invariance (Andreis et al.): a regulariser that teaches a model weight-space symmetries.

.. math::
    \mathcal{L}_{LI}(\theta) = \frac{1}{K}\sum_{k=1}^{K} \big\| f(\theta) - f(g_k \cdot \theta) \big\|^2,
    \qquad g_k \sim \text{the network's symmetry group},

averaged over the networks of a batch. It is zero for a model that is invariant by construction
(DWSNet, NeuralGraph, DeepSets) and positive for SNE, which does not tie weights.

:math:`f(\theta)` and every :math:`f(g_k\cdot\theta)` are computed in **one** forward pass over the
stacked batch, so batch-dependent layers (the BatchNorm of the prediction head) normalise them
alike; with separate passes, training drove the train-mode term down while the invariance measured
in eval mode got worse.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch

from ..data.network_data import with_chunks
from .transforms import permute_batch


def forward_with_invariance(model: nn.Module, batch, samples: int = 1, generator: torch.Generator | None = None,
                            transform: Callable = permute_batch) -> tuple[Tensor, Tensor]:
    """``(model(batch), Logit Invariance loss)`` from one forward pass over the batch and ``samples``
    transformed copies of it (one pass also keeps data-parallel training to one forward per step).

    ``transform(batch, generator)`` returns the transformed batch (default: independent random
    permutations of every network).
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    size = batch.num_graphs
    # the transforms drop views derived from the old values (NeuralGraph's ``ng_*``); the original drops
    # them too, so every version has the same keys to stack and the model derives them for all alike
    versions = [with_chunks(batch, batch.chunks)] + [transform(batch, generator) for _ in range(samples)]
    stacked = Batch.from_data_list([v.get_example(i) for v in versions for i in range(size)])
    out = model(stacked.to(batch.chunks.device)).view(samples + 1, size, -1)
    return out[0], (out[1:] - out[:1]).pow(2).sum(-1).mean()


def logit_invariance_loss(model: nn.Module, batch, samples: int = 1, generator: torch.Generator | None = None,
                          transform: Callable = permute_batch) -> Tensor:
    """Mean squared difference between ``model(batch)`` and ``model(g . batch)`` over ``samples`` draws."""
    return forward_with_invariance(model, batch, samples, generator, transform)[1]
