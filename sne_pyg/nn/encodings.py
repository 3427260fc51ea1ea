r"""Layer-type and layer-level (depth) encodings, added at every stage of SNE.

.. math::
    e(\ell) = E_{\mathrm{type}}[t_\ell] + W\,[\sin(\lambda_\ell\omega_i), \cos(\lambda_\ell\omega_i)]_i,
    \qquad \omega_i = 10000^{-2i/F},

where :math:`t_\ell` is the layer's :class:`~sne_pyg.data.LayerType` and :math:`\lambda_\ell` its
depth position. The sinusoidal level code has no maximum depth, so networks deeper than
any seen in training still get a well-defined encoding.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..data.layer_types import LayerType


def sinusoidal(position: Tensor, features: int) -> Tensor:
    """``[L] -> [L, features]`` sin/cos code of integer positions."""
    half = features // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, device=position.device) / half)
    angle = position.to(freq.dtype).unsqueeze(-1) * freq
    return torch.cat([angle.sin(), angle.cos()], dim=-1)


class StructureEncoding(nn.Module):
    """Encode each layer's type and depth level as a ``hidden``-dim vector."""

    def __init__(self, hidden: int, num_types: int = LayerType.count(), level_features: int = 32) -> None:
        super().__init__()
        self.level_features = level_features
        self.type_embedding = nn.Embedding(num_types, hidden)
        self.level_proj = nn.Linear(level_features, hidden)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.type_embedding.weight, std=0.02)
        self.level_proj.reset_parameters()

    def forward(self, layer_type: Tensor, layer_level: Tensor) -> Tensor:
        level = sinusoidal(layer_level, self.level_features).to(self.level_proj.weight.dtype)
        return self.type_embedding(layer_type) + self.level_proj(level)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(hidden={self.type_embedding.embedding_dim}, " \
               f"types={self.type_embedding.num_embeddings})"
