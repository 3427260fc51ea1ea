r"""Neural Functional Transformer (Zhou et al., "Neural Functional Transformers", NeurIPS 2023).

Each entry of the weight space (:mod:`sne_pyg.nn.weight_space.tensors`) is embedded per tensor to
``width`` channels per channel group; ``blocks`` pre-norm transformer blocks follow,

.. math::
    x \leftarrow x + \mathrm{Attn}(\mathrm{LN}(x)), \qquad x \leftarrow x + \mathrm{FF}(\mathrm{LN}(x)),

with :class:`~sne_pyg.nn.weight_space.WeightSpaceAttention` (per-neuron-layer fibre attention plus a
global term), layer norm over each entry's channels and a per-entry feed-forward network (all
equivariant), then invariant mean pooling and an MLP. ``group="hnp"`` (default) keeps the input and
output neurons in order by absorbing them into channels (the paper reaches the same group by adding
input/output position encodings to its NP attention); ``group="np"`` permutes them too.
"""
from __future__ import annotations

from torch import Tensor, nn

from ..weight_space import WeightSpaceAttention, WeightSpaceEncoder
from ..weight_space.tensors import TensorLayout, check_group


class _PerTensor(nn.Module):
    """One module per tensor, applied entry by entry (equivariant: it never mixes entries)."""

    def __init__(self, modules: list[nn.Module]) -> None:
        super().__init__()
        self.per_tensor = nn.ModuleList(modules)

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        return [m(x) for m, x in zip(self.per_tensor, xs)]


class NFTBlock(nn.Module):
    """Pre-norm block: weight-space attention and a per-entry feed-forward network, each residual."""

    def __init__(self, layout: TensorLayout, width: int, heads: int, ff_factor: int = 2) -> None:
        super().__init__()
        channels = layout.channels(width)
        self.norm1 = _PerTensor([nn.LayerNorm(c) for c in channels])
        self.attention = WeightSpaceAttention(list(layout.dims), channels, heads, max(width // heads, 1))
        self.norm2 = _PerTensor([nn.LayerNorm(c) for c in channels])
        self.ff = _PerTensor([nn.Sequential(nn.Linear(c, ff_factor * c), nn.GELU(), nn.Linear(ff_factor * c, c))
                              for c in channels])

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        xs = [x + a for x, a in zip(xs, self.attention(self.norm1(xs)))]
        return [x + f for x, f in zip(xs, self.ff(self.norm2(xs)))]


class NFT(WeightSpaceEncoder, name="nft"):
    """Neural Functional Transformer over the weight space of an MLP or CNN (one architecture per model)."""

    def __init__(self, hidden: int = 64, out_dim: int | None = 1, blocks: int = 2, width: int = 16, heads: int = 4,
                 group: str = "hnp") -> None:
        super().__init__()
        self.group = check_group(group)

    def build_blocks(self, layout: TensorLayout) -> tuple[nn.ModuleList, list[int]]:
        width = self.config["width"]
        embed = _PerTensor([nn.Linear(a, b) for a, b in zip(layout.channels(self.input_features),
                                                             layout.channels(width))])
        body = [NFTBlock(layout, width, self.config["heads"]) for _ in range(self.config["blocks"])]
        final = _PerTensor([nn.LayerNorm(c) for c in layout.channels(width)])
        return nn.ModuleList([embed, *body, final]), layout.channels(width)

    def run_blocks(self, xs: list[Tensor]) -> list[Tensor]:
        for block in self.blocks:
            xs = block(xs)
        return xs
