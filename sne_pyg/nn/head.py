"""The prediction head shared by SNE and every baseline, so comparisons differ only in the encoder."""
from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn import MLP

from .norm import GlobalBatchNorm1d


class PredictionHead(nn.Module):
    """``BatchNorm -> MLP(hidden, hidden, out_dim)`` over one embedding per network.

    The BatchNorm (global over processes in distributed training) rescales differences between networks of one zoo, which are tiny compared
    with the shared part of their embeddings; the training loop recomputes its statistics
    before each evaluation (:func:`sne_pyg.train.recalibrate_batchnorm`).
    """

    def __init__(self, hidden: int, out_dim: int) -> None:
        super().__init__()
        self.norm = GlobalBatchNorm1d(hidden)
        self.mlp = MLP([hidden, hidden, out_dim], norm=None)

    def reset_parameters(self) -> None:
        self.norm.reset_parameters()
        self.mlp.reset_parameters()

    def forward(self, embedding: Tensor) -> Tensor:
        return self.mlp(self.norm(embedding))
