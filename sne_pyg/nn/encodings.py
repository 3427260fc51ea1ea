r"""Layer-type and layer-level (depth) encodings, added at every stage of SNE.

.. math::
    e(\ell) = E_{\mathrm{type}}[t_\ell] + W\,[\sin(\lambda_\ell\omega_i), \cos(\lambda_\ell\omega_i)]_i,
    \qquad \omega_i = 10000^{-2i/F},

where :math:`t_\ell` is the layer's :class:`~sne_pyg.data.LayerType` and :math:`\lambda_\ell` its
depth position. The sinusoidal level code has no maximum depth, so networks deeper than
any seen in training still get a well-defined encoding.

:class:`ElementPositionEncoding` codes where an element sits inside its chunk,
:math:`p(j) = W\,[\sin(j\omega_i), \cos(j\omega_i)]_i`, so a chunk is a set of (value, position)
pairs rather than a bag of values: without it a weight and the bias of the same neuron, which the
layout places side by side, cannot be told apart.
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
    """Encode each layer's type and depth level as a ``hidden``-dim vector.

    ``use_type=False`` / ``use_level=False`` leave that term out (ablations); with neither the
    encoding is zero and the module has no parameters.
    """

    def __init__(self, hidden: int, num_types: int = LayerType.count(), level_features: int = 32,
                 use_type: bool = True, use_level: bool = True) -> None:
        super().__init__()
        self.hidden, self.level_features = hidden, level_features
        self.type_embedding = nn.Embedding(num_types, hidden) if use_type else None
        self.level_proj = nn.Linear(level_features, hidden) if use_level else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.type_embedding is not None:
            nn.init.normal_(self.type_embedding.weight, std=0.02)
        if self.level_proj is not None:
            self.level_proj.reset_parameters()

    def forward(self, layer_type: Tensor, layer_level: Tensor) -> Tensor:
        out = None
        if self.type_embedding is not None:
            out = self.type_embedding(layer_type)
        if self.level_proj is not None:
            level = self.level_proj(sinusoidal(layer_level, self.level_features).to(self.level_proj.weight.dtype))
            out = level if out is None else out + level
        if out is None:
            return torch.zeros(layer_type.size(0), self.hidden, device=layer_type.device)
        return out

    def __repr__(self) -> str:
        terms = [name for name, part in (("type", self.type_embedding), ("level", self.level_proj)) if part is not None]
        return f"{self.__class__.__name__}(hidden={self.hidden}, terms={'+'.join(terms) or 'none'})"


class ElementPositionEncoding(nn.Module):
    """``c -> [c, hidden]``: a code of each element's position ``0 .. c-1`` inside its chunk (sinusoidal,
    then a learned projection; no maximum chunk size)."""

    def __init__(self, hidden: int, features: int = 32) -> None:
        super().__init__()
        self.features = features
        self.proj = nn.Linear(features, hidden)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.proj.reset_parameters()

    def forward(self, chunk_size: int) -> Tensor:
        positions = torch.arange(chunk_size, device=self.proj.weight.device)
        return self.proj(sinusoidal(positions, self.features).to(self.proj.weight.dtype))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(hidden={self.proj.out_features}, features={self.features})"
