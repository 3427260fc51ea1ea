r"""Set Attention Block over variable-size sets: :math:`\mathrm{SAB}(X) = \mathrm{MAB}(X, X)`."""
from __future__ import annotations

from torch import Tensor

from ..mab import MAB, pairwise_segment_attention
from .base import SegmentSetFunction


class SegmentSAB(SegmentSetFunction):
    r"""Set-to-set: each element attends to all elements of its set (cost :math:`\sum_s n_s^2`).

    Permutation-equivariant within every set; returns ``[N, hidden]`` (one row per element).
    """

    def __init__(self, hidden: int, heads: int = 4, ff_mult: int = 2) -> None:
        super().__init__()
        self.mab = MAB(hidden, heads, ff_mult)

    def reset_parameters(self) -> None:
        self.mab.reset_parameters()

    def forward(self, x: Tensor, index: Tensor | None = None, ptr: Tensor | None = None,
                dim_size: int | None = None, dim: int = -2) -> Tensor:
        return pairwise_segment_attention(self.mab, x, self.segments(x, index, ptr, dim_size, dim))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(hidden={self.mab.hidden}, heads={self.mab.heads})"
