"""Baselines that embed a fixed-length vector per network with an MLP."""
from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn
from torch_geometric.nn import MLP

from ...data.network_data import NetworkData
from ..checkpoint import Checkpointable
from ..head import PredictionHead, module_dtype


class VectorBaseline(Checkpointable, nn.Module):
    """``MLP(view(batch))`` for a view giving one vector per network; input size read on the first batch."""

    view: Callable[[NetworkData], Tensor]

    def __init__(self, hidden: int = 64, out_dim: int | None = 1, layers: int = 2) -> None:
        super().__init__()
        self.config = dict(hidden=hidden, out_dim=out_dim, layers=layers)
        self.encoder = MLP([-1] + [hidden] * layers, norm=None, plain_last=False)
        self.head = None if out_dim is None else PredictionHead(hidden, out_dim)

    def encode(self, data: NetworkData) -> Tensor:
        return self.encoder(type(self).view(data).to(module_dtype(self)))

    def forward(self, data: NetworkData) -> Tensor:
        z = self.encode(data)
        return z if self.head is None else self.head(z)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(hidden={self.config['hidden']}, out_dim={self.config['out_dim']})"
