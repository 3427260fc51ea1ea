"""A stack of set-to-set blocks followed by a set-to-vector pooling, over segments."""
from __future__ import annotations

from torch import Tensor, nn

from .base import SegmentSetFunction
from .isab import SegmentISAB
from .pma import SegmentPMA
from .sab import SegmentSAB

SET_TO_SET = ("sab", "isab")


class SegmentSetTransformer(SegmentSetFunction):
    r"""``PMA(Phi(X))`` with :math:`\Phi` = ``num_blocks`` SAB (or ISAB) blocks, one vector per set.

    Args:
        hidden: feature size of the elements and of the output.
        heads: attention heads.
        num_blocks: set-to-set blocks before pooling (the SNE paper uses 2).
        block: ``"sab"`` (exact, quadratic in set size) or ``"isab"`` (induced points, linear).
        num_inducing: inducing points of each ISAB block.
    """

    def __init__(self, hidden: int, heads: int = 4, num_blocks: int = 2, block: str = "sab",
                 num_inducing: int = 16, ff_mult: int = 2) -> None:
        super().__init__()
        if block not in SET_TO_SET:
            raise ValueError(f"block must be one of {SET_TO_SET}, got {block!r}")
        self.block = block
        make = (lambda: SegmentSAB(hidden, heads, ff_mult)) if block == "sab" else \
               (lambda: SegmentISAB(hidden, heads, num_inducing, ff_mult))
        self.blocks = nn.ModuleList(make() for _ in range(num_blocks))
        self.pool = SegmentPMA(hidden, heads, 1, ff_mult)

    def reset_parameters(self) -> None:
        for block in self.blocks:
            block.reset_parameters()
        self.pool.reset_parameters()

    def forward(self, x: Tensor, index: Tensor | None = None, ptr: Tensor | None = None,
                dim_size: int | None = None, dim: int = -2) -> Tensor:
        segments = self.segments(x, index, ptr, dim_size, dim)
        for block in self.blocks:
            x = block(x, segments.index, segments.ptr)
        return self.pool(x, segments.index, segments.ptr)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(block={self.block}, num_blocks={len(self.blocks)}, pool={self.pool})"
