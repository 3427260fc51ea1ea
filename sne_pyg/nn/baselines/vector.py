"""Baselines that embed a fixed-length vector per network with an MLP."""
from __future__ import annotations

from collections.abc import Callable

from torch import Tensor
from torch_geometric.nn import MLP

from ...data.network_data import NetworkData
from ..encoder import NetworkEncoder
from ..features import module_dtype


class VectorBaseline(NetworkEncoder):
    """``MLP(view(batch))`` for a view giving one vector per network; input size read on the first batch."""

    view: Callable[[NetworkData], Tensor]

    def __init__(self, hidden: int = 64, out_dim: int | None = 1, layers: int = 2) -> None:
        super().__init__()
        self.encoder = MLP([-1] + [hidden] * layers, norm=None, plain_last=False)

    def encode(self, data: NetworkData) -> Tensor:
        return self.encoder(type(self).view(data).to(module_dtype(self)))

