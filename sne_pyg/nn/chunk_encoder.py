r"""Chunk-level set encoder: every chunk is a set of ``c`` lifted scalars.

Chunks all have the same size ``c``, so this level runs dense over ``[C, c, hidden]``:
``PMA(SAB(...SAB(X)))`` with padded elements masked out of every key set, so neither the
padding values nor the amount of padding reach the chunk vector.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from .fused import fused_inference
from .mab import MAB, dense_masked_attention, folded_seed_pooling


class ChunkEncoder(nn.Module):
    """``[C, c, hidden]`` elements + ``[C, c]`` validity mask -> ``[C, hidden]`` chunk vectors."""

    def __init__(self, hidden: int, heads: int = 4, num_blocks: int = 2, ff_mult: int = 2) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(MAB(hidden, heads, ff_mult) for _ in range(num_blocks))
        self.seed = nn.Parameter(torch.empty(1, 1, hidden))
        self.pool = MAB(hidden, heads, ff_mult)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for block in self.blocks:
            block.reset_parameters()
        nn.init.xavier_uniform_(self.seed.view(1, -1))
        self.pool.reset_parameters()

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        for block in self.blocks:
            x = dense_masked_attention(block, x, x, mask)
        if fused_inference(x):
            return folded_seed_pooling(self.pool, self.seed[0], x, mask).squeeze(1)
        seeds = self.seed.expand(x.size(0), -1, -1)
        return dense_masked_attention(self.pool, seeds, x, mask).squeeze(1)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(hidden={self.seed.size(-1)}, num_blocks={len(self.blocks)})"


class MeanChunkEncoder(nn.Module):
    r"""The mean-pooling ablation of :class:`ChunkEncoder`: :math:`z = \frac{1}{|m|}\sum_{j: m_j} x_j`
    over each chunk's valid elements (no parameters)."""

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        weights = mask.to(x.dtype).unsqueeze(-1)
        return (x * weights).sum(1) / weights.sum(1).clamp_min(1)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"
