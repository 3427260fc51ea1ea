"""``NeuralFunctional``: a stack of equivariant linear layers with ReLU between them (DWSNet, NFN NP/HNP)."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from .encoder import WeightSpaceEncoder
from .linear import EquivariantLinear
from .tensors import TensorLayout


class NeuralFunctional(WeightSpaceEncoder):
    """``layers`` equivariant linear layers of ``channels`` per channel group, ReLU between them
    (unregistered base of :class:`NFN_NP`, :class:`NFN_HNP` and DWSNet)."""

    def __init__(self, hidden: int = 64, out_dim: int | None = 1, layers: int = 3, channels: int = 16) -> None:
        super().__init__()

    @property
    def width(self) -> int:
        """Channels per channel group of every hidden tensor."""
        return self.config["channels"]

    def build_blocks(self, layout: TensorLayout) -> tuple[nn.ModuleList, list[int]]:
        widths = [self.input_features] + [self.width] * self.config["layers"]
        blocks = nn.ModuleList(EquivariantLinear(list(layout.dims), layout.channels(a), layout.channels(b),
                                                 self.reduction)
                               for a, b in zip(widths[:-1], widths[1:]))
        return blocks, layout.channels(widths[-1])

    def run_blocks(self, xs: list[Tensor]) -> list[Tensor]:
        for k, block in enumerate(self.blocks):
            xs = block(xs)
            if k < len(self.blocks) - 1:
                xs = [torch.relu(x) for x in xs]
        return xs
