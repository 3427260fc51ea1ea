r"""Induced Set Attention Block over variable-size sets, linear in the set size.

.. math::
    \mathrm{ISAB}_m(X) = \mathrm{MAB}(X, H),\qquad H = \mathrm{MAB}(I, X),

with :math:`m` learned inducing points :math:`I`; cost :math:`O(N m)` instead of :math:`O(n^2)`.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..mab import MAB, element_to_set_attention, seed_segment_attention
from .base import SegmentSetFunction


class SegmentISAB(SegmentSetFunction):
    """Set-to-set for very large sets (e.g. the millions of chunks of a big layer)."""

    def __init__(self, hidden: int, heads: int = 4, num_inducing: int = 16, ff_mult: int = 2) -> None:
        super().__init__()
        self.inducing = nn.Parameter(torch.empty(num_inducing, hidden))
        self.induce = MAB(hidden, heads, ff_mult)
        self.attend = MAB(hidden, heads, ff_mult)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.inducing)
        self.induce.reset_parameters()
        self.attend.reset_parameters()

    def forward(self, x: Tensor, index: Tensor | None = None, ptr: Tensor | None = None,
                dim_size: int | None = None, dim: int = -2) -> Tensor:
        segments = self.segments(x, index, ptr, dim_size, dim)
        summary = seed_segment_attention(self.induce, self.inducing, x, segments)   # [S, m, h]
        return element_to_set_attention(self.attend, x, summary, segments)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(hidden={self.attend.hidden}, heads={self.attend.heads}, "
                f"num_inducing={self.inducing.size(0)})")
