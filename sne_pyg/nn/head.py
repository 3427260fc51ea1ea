"""The prediction head shared by SNE and every baseline, so comparisons differ only in the encoder."""
from __future__ import annotations

import torch
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


def module_dtype(module: nn.Module) -> torch.dtype:
    """Dtype of the first materialised floating parameter (lazy layers have none yet)."""
    for p in module.parameters():
        if not isinstance(p, nn.parameter.UninitializedParameter) and p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()
