r"""``WeightSpaceEncoder``: the shared body of the models that read a chain's weight space (DWSNet, NFN, NFT).

``encode``: :func:`~sne_pyg.data.views.weight_space_view` -> scale-relative features per entry
(:math:`(v/\mathrm{rms}, \log\mathrm{rms})`, as every model here sees) -> the tensors of the
subclass's symmetry ``group`` -> the subclass's equivariant blocks -> :func:`invariant_pool` (mean, or
the subclass's ``reduction``) -> MLP
readout to ``hidden``. The blocks depend on the tensor layout (depth, kernel sizes and, for
``"hnp"``, the input and output widths), so they are built from the first batch; a batch of another
layout raises a clear error. The layout is saved with the weights (``lazy_state``).
"""
from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn import MLP

from ...data.network_data import NetworkData
from ...data.views import weight_space_view
from ..encoder import NetworkEncoder
from ..features import module_dtype
from .tensors import TensorLayout, invariant_pool, scaled_entries, weight_space_tensors


class WeightSpaceEncoder(NetworkEncoder):
    """Base of the weight-space models: subclasses set ``group``/``convolutions`` and implement
    :meth:`build_blocks` (modules for a :class:`TensorLayout`) and :meth:`run_blocks`."""

    group: str = "hnp"
    convolutions: bool = True
    reduction: str = "mean"
    input_features: int = 2

    def __init__(self, hidden: int = 64, out_dim: int | None = 1) -> None:
        super().__init__()
        self.layout: TensorLayout | None = None
        self.blocks = nn.ModuleList()
        self.readout: nn.Module | None = None

    # subclass hooks
    def build_blocks(self, layout: TensorLayout) -> tuple[nn.ModuleList, list[int]]:
        """The equivariant blocks for ``layout`` and the channels of each tensor they output."""
        raise NotImplementedError

    def run_blocks(self, xs: list[Tensor]) -> list[Tensor]:
        raise NotImplementedError

    # shared machinery
    def build(self, layout: TensorLayout, device=None, dtype=None) -> None:
        self.layout = layout
        self.blocks, channels = self.build_blocks(layout)
        hidden = self.config["hidden"]
        self.readout = MLP([sum(channels), hidden, hidden], norm=None)
        self.to(device=device, dtype=dtype)

    def lazy_state(self) -> dict:
        """The tensor layout the blocks were built for (saved with the weights)."""
        return {} if self.layout is None else {"layout": self.layout.to_dict()}

    def restore_lazy_state(self, state: dict) -> None:
        self.build(TensorLayout.from_dict(state["layout"]), dtype=module_dtype(self))

    def tensors(self, data: NetworkData) -> tuple[list[Tensor], TensorLayout]:
        """The batch as this model's weight-space tensors (features per entry in the last axis)."""
        space = weight_space_view(data, type(self).__name__, convolutions=self.convolutions)
        return weight_space_tensors(*scaled_entries(space, module_dtype(self)), self.group)

    def encode(self, data: NetworkData) -> Tensor:
        xs, layout = self.tensors(data)
        if self.layout is None:
            self.build(layout, data.chunks.device, module_dtype(self))
        elif layout != self.layout:
            raise ValueError(f"this {type(self).__name__} was built for weight-space tensors {self.layout.dims} "
                             f"with channel groups {self.layout.multiplicity}, got {layout.dims} / "
                             f"{layout.multiplicity} (one architecture per model)")
        return self.readout(invariant_pool(self.run_blocks(xs), self.reduction))

    def extra_repr(self) -> str:
        return "" if self.layout is None else f"tensors={list(self.layout.names)}"
