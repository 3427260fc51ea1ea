r"""Weight-space self-attention (the Neural Functional Transformer of Zhou et al., NeurIPS 2023).

Every tensor ``x_t [B, *axes, C_t]`` (see :mod:`.tensors`) is projected entry by entry to queries,
keys and values of ``heads x head_dim``. Two equivariant attention terms are summed:

* **per neuron layer** :math:`d`: every tensor with an axis over :math:`d` is cut into *fibres* along
  that axis, one per index of its other axis (a single fibre if it has none); a fibre's query/key/value
  is the whole vector over the :math:`n_d` neurons, so the token of ``W_l``'s column :math:`k` is
  :math:`(W_l)_{:,k}`. Softmax attention among all fibres of layer :math:`d`,
  :math:`\mathrm{softmax}(q_a \cdot k_b / \sqrt{n_d c})`: the dot products sum over the neurons of
  :math:`d`, hence are unchanged when :math:`d` permutes (its fibres permute alike), and attention is
  permutation-equivariant in the tokens, hence in every other layer;
* **global**: one token per tensor, the mean of its queries/keys/values over all its axes; attention
  among these :math:`T` tokens, the result broadcast over the tensor.

The sum goes through a per-tensor output projection back to ``C_t`` channels.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def _attend(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """``q, k, v [B, H, T, D]`` -> ``[B, H, T, D]`` (scaled dot-product softmax attention)."""
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)), dim=-1)
    return weights @ v


class WeightSpaceAttention(nn.Module):
    """Equivariant multi-head self-attention over the tensors of a weight space.

    Args:
        dims: the neuron layers of each tensor's axes (at most two axes per tensor: a chain).
        channels: channels of each tensor.
        heads / head_dim: attention heads and their width.
    """

    def __init__(self, dims: list[tuple[int, ...]], channels: list[int], heads: int = 4, head_dim: int = 8) -> None:
        super().__init__()
        if any(len(d) > 2 for d in dims):
            raise ValueError("WeightSpaceAttention takes tensors over at most two neuron layers")
        self.dims = [tuple(d) for d in dims]
        self.channels, self.heads, self.head_dim = list(channels), heads, head_dim
        width = heads * head_dim
        self.qkv = nn.ModuleList(nn.Linear(c, 3 * width) for c in channels)
        self.out = nn.ModuleList(nn.Linear(width, c) for c in channels)
        self.layers = sorted({d for axes in self.dims for d in axes})

    def reset_parameters(self) -> None:
        for lin in [*self.qkv, *self.out]:
            lin.reset_parameters()

    def _split(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``[..., 3 H c]`` -> three ``[..., H, c]``."""
        q, k, v = x.unflatten(-1, (3, self.heads, self.head_dim)).unbind(-3)
        return q, k, v

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        qkv = [lin(x) for lin, x in zip(self.qkv, xs)]                       # [B, *axes, 3 H c]
        bsz = xs[0].size(0)
        mixed = [torch.zeros(*x.shape[:-1], self.heads * self.head_dim, dtype=x.dtype, device=x.device) for x in xs]

        # global term: one token per tensor
        tokens = torch.stack([t.mean(dim=list(range(1, t.dim() - 1))) if t.dim() > 2 else t for t in qkv], 1)
        q, k, v = (z.transpose(1, 2) for z in self._split(tokens))          # [B, H, T, c]
        glob = _attend(q, k, v).transpose(1, 2).flatten(2)                  # [B, T, H c]
        for t, x in enumerate(mixed):
            mixed[t] = x + glob[:, t].view(bsz, *([1] * (x.dim() - 2)), -1)

        # one attention per neuron layer over the fibres of every tensor along it
        for d in self.layers:
            members, fibres = [], []
            for t, axes in enumerate(self.dims):
                if d not in axes:
                    continue
                f = qkv[t].movedim(1 + axes.index(d), -2)                    # [B, (other), n_d, 3Hc]
                if len(axes) == 1:
                    f = f.unsqueeze(1)
                members.append((t, f.size(1)))
                fibres.append(f)
            f = torch.cat(fibres, 1)                                         # [B, T_d, n_d, 3Hc]
            q, k, v = (z.permute(0, 3, 1, 2, 4).flatten(3) for z in self._split(f))   # [B, H, T_d, n_d c]
            n_d = f.size(2)
            att = _attend(q, k, v).unflatten(-1, (n_d, self.head_dim))      # [B, H, T_d, n_d, c]
            att = att.permute(0, 2, 3, 1, 4).flatten(3)                      # [B, T_d, n_d, H c]
            start = 0
            for t, count in members:
                part = att[:, start:start + count]
                start += count
                axes = self.dims[t]
                part = part.squeeze(1) if len(axes) == 1 else part
                mixed[t] = mixed[t] + part.movedim(-2, 1 + axes.index(d))
        return [lin(m) for lin, m in zip(self.out, mixed)]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(tensors={len(self.dims)}, heads={self.heads}, head_dim={self.head_dim})"
