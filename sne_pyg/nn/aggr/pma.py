r"""Pooling by Multihead Attention over variable-size sets: :math:`\mathrm{PMA}_k(X) = \mathrm{MAB}(S, X)`."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..mab import MAB, seed_segment_attention
from .base import SegmentSetFunction


class SegmentPMA(SegmentSetFunction):
    """Set-to-vector: ``k`` learned seeds attend over each set; returns ``[num_sets, k * hidden]``.

    Permutation-invariant within every set; an empty set maps to ``MAB`` of the seeds alone.
    """

    def __init__(self, hidden: int, heads: int = 4, num_seeds: int = 1, ff_mult: int = 2) -> None:
        super().__init__()
        self.seeds = nn.Parameter(torch.empty(num_seeds, hidden))
        self.mab = MAB(hidden, heads, ff_mult)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.seeds)
        self.mab.reset_parameters()

    def forward(self, x: Tensor, index: Tensor | None = None, ptr: Tensor | None = None,
                dim_size: int | None = None, dim: int = -2) -> Tensor:
        pooled = seed_segment_attention(self.mab, self.seeds, x, self.segments(x, index, ptr, dim_size, dim))
        return pooled.flatten(1)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(hidden={self.mab.hidden}, heads={self.mab.heads}, " \
               f"num_seeds={self.seeds.size(0)})"
