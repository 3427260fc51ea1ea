r"""Input features every encoder shares, so models differ in their architecture, not in what they see.

Each value enters relative to its layer's root mean square together with that scale,
:math:`(v / \mathrm{rms}_\ell,\ \log \mathrm{rms}_\ell)`.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from ..data.network_data import NetworkData
from ..segment import element_blocks, segment_sum


def layer_rms(data: NetworkData, block: int = 8192) -> Tensor:
    """``[L]`` root mean square of each layer's real values (padded slots are masked out); squares
    are summed in float64, ``block`` chunks at a time (no float64 copy of a whole large network)."""
    positions = torch.arange(data.chunk_size, device=data.chunks.device)
    squares = torch.cat([data.chunks[part].double().pow(2).masked_fill(positions >= data.chunk_len[part, None], 0.0)
                         .sum(1) for part in element_blocks(data.chunks.size(0), block)])
    total = segment_sum(squares, data.layer_ptr)
    return (total / data.layer_numel.clamp(min=1)).sqrt()


def scaled_values(values: Tensor, rms: Tensor, eps: float = 1e-12) -> Tensor:
    r"""Lift input ``[..., 2]`` (``rms`` broadcast over trailing dims of ``values``): each value relative to its layer's scale, and the scale itself,
    :math:`(v / \mathrm{rms}_\ell,\ \log \mathrm{rms}_\ell)`. Layers of any magnitude
    (SIREN hidden weights are ~0.01, norm gains ~1) then reach the set functions on one scale.
    """
    rms = rms.clamp_min(eps).view(*rms.shape, *([1] * (values.dim() - rms.dim())))
    return torch.stack([values / rms, rms.log().expand_as(values)], dim=-1)


def module_dtype(module: nn.Module) -> torch.dtype:
    """Dtype of the first materialised floating parameter (lazy layers have none yet)."""
    for p in module.parameters():
        if not isinstance(p, nn.parameter.UninitializedParameter) and p.is_floating_point():
            return p.dtype
    return torch.get_default_dtype()
