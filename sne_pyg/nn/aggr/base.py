"""Common base of SNE's segment set functions (PyG ``Aggregation`` subclasses)."""
from __future__ import annotations

from torch import Tensor
from torch_geometric.nn.aggr import Aggregation

from ...segment import Segments


class SegmentSetFunction(Aggregation):
    """A set function over sorted sets given by ``ptr`` (preferred) or a sorted ``index``.

    Sets are never padded to the largest one: every operation is a segment operation
    over the flat ``[N, hidden]`` input (see :mod:`sne_pyg.segment`).
    """

    def segments(self, x: Tensor, index: Tensor | None, ptr: Tensor | None, dim_size: int | None,
                 dim: int) -> Segments:
        self.assert_two_dimensional_input(x, dim)
        if ptr is not None:
            return Segments(ptr, index)
        if dim_size is None:
            dim_size = int(index.max()) + 1 if index.numel() else 0
        return Segments.from_index(index, dim_size)
