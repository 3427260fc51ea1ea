r"""DWSNet (Navon et al., ICML 2023): equivariant layers over the weight space of MLPs.

An MLP with weights :math:`W_l \in \mathbb{R}^{d_{l-1}\times d_l}` and biases
:math:`b_l \in \mathbb{R}^{d_l}` is acted on by independent permutations of every hidden layer
:math:`1..L-1`; input (:math:`d_0`) and output (:math:`d_L`) neurons are never permuted.

We first absorb the unpermuted dimensions into channels, so that every tensor of the weight
space is indexed only by *hidden* dimensions, each with its own permutation group:
:math:`W_1 \to [d_1, d_0 F]`, :math:`W_l \to [d_{l-1}, d_l, F]` (:math:`1<l<L`),
:math:`W_L \to [d_{L-1}, d_L F]`, :math:`b_l \to [d_l, F]` (:math:`l<L`), :math:`b_L \to [d_L F]`.

For tensors indexed by distinct dimensions of independent symmetric groups, every equivariant
linear map from input tensor :math:`A` to output tensor :math:`B` is a sum, over the subsets
:math:`K` of the dimensions the two share, of: mean-pool :math:`A` over its dimensions not in
:math:`K`, mix channels with a learned matrix, broadcast over :math:`B`'s dimensions not in :math:`K`.
Taking :math:`A, B` over all weights and biases gives the paper's four blocks
(weight→weight, weight→bias, bias→weight, bias→bias) in one rule; e.g. :math:`W_l \to W_l` has
the four terms identity, row-pool, column-pool and full pool, and :math:`W_{l+1} \to W_l` shares
dimension :math:`l`.
"""
from __future__ import annotations

import itertools

import torch
from torch import Tensor, nn
from torch_geometric.nn import MLP

from ...data.network_data import NetworkData
from ...data.views import weight_space_view
from ..encoder import NetworkEncoder
from ..features import module_dtype, scaled_values


def tensor_dims(num_layers: int) -> list[tuple[str, tuple[int, ...]]]:
    """Names and hidden dimensions of the weight-space tensors of an ``num_layers``-layer MLP."""
    out = []
    for l in range(1, num_layers + 1):
        w_dims = tuple(d for d in (l - 1, l) if 1 <= d <= num_layers - 1)
        b_dims = tuple(d for d in (l,) if d <= num_layers - 1)
        out += [(f"W{l}", w_dims), (f"b{l}", b_dims)]
    return out


def absorb(weights: list[Tensor], biases: list[Tensor]) -> list[Tensor]:
    """``[B, d_in, d_out, F]`` / ``[B, d_out, F]`` -> tensors over hidden dims only (see module doc)."""
    num = len(weights)
    out = []
    for l, (w, b) in enumerate(zip(weights, biases), start=1):
        bsz, d_in, d_out, f = w.shape
        first, last = l == 1, l == num
        if first and last:
            w = w.reshape(bsz, d_in * d_out * f)
        elif first:
            w = w.permute(0, 2, 1, 3).reshape(bsz, d_out, d_in * f)
        elif last:
            w = w.reshape(bsz, d_in, d_out * f)
        b = b.reshape(bsz, d_out * f) if last else b
        out += [w, b]
    return out


def absorbed_channels(sizes: list[int], features: int) -> list[int]:
    """Channel count of each absorbed tensor for layer widths ``sizes = [d_0, ..., d_L]``."""
    num = len(sizes) - 1
    out = []
    for l in range(1, num + 1):
        w = features * (sizes[0] if l == 1 else 1) * (sizes[-1] if l == num else 1)
        out += [w, features * (sizes[-1] if l == num else 1)]
    return out


class DWSLayer(nn.Module):
    """One equivariant linear layer between weight spaces of MLPs with layer widths ``sizes``."""

    def __init__(self, sizes: list[int], in_features: int, out_features: int) -> None:
        super().__init__()
        self.sizes = list(sizes)
        self.tensors = tensor_dims(len(sizes) - 1)
        c_in = absorbed_channels(sizes, in_features)
        c_out = absorbed_channels(sizes, out_features)
        self.terms: list[tuple[int, int, tuple[int, ...]]] = []
        self.maps = nn.ModuleList()
        for o, (_, out_dims) in enumerate(self.tensors):
            for i, (_, in_dims) in enumerate(self.tensors):
                shared = [d for d in in_dims if d in out_dims]
                for r in range(len(shared) + 1):
                    for kept in itertools.combinations(shared, r):
                        self.terms.append((o, i, kept))
                        self.maps.append(nn.Linear(c_in[i], c_out[o], bias=False))
        self.bias = nn.ParameterList(nn.Parameter(torch.zeros(c)) for c in c_out)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lin in self.maps:
            nn.init.normal_(lin.weight, std=(1.0 / (lin.in_features * len(self.tensors))) ** 0.5)
        for b in self.bias:
            nn.init.zeros_(b)

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        pooled: dict[tuple[int, tuple[int, ...]], Tensor] = {}
        outs: list[Tensor | None] = [None] * len(self.tensors)
        for (o, i, kept), lin in zip(self.terms, self.maps):
            in_dims, out_dims = self.tensors[i][1], self.tensors[o][1]
            if (i, kept) not in pooled:
                axes = [1 + in_dims.index(d) for d in in_dims if d not in kept]
                pooled[(i, kept)] = xs[i].mean(dim=axes) if axes else xs[i]
            term = lin(pooled[(i, kept)])                       # [B, *kept, C_out]
            shape = [term.size(0)] + [self.sizes[d] if d in kept else 1 for d in out_dims] + [term.size(-1)]
            term = term.view(shape)
            outs[o] = term if outs[o] is None else outs[o] + term
        return [out + b for out, b in zip(outs, self.bias)]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(sizes={self.sizes}, terms={len(self.terms)})"


class DWSNet(NetworkEncoder, name="dwsnet"):
    """Stacked :class:`DWSLayer` + ReLU, invariant mean-pooling of every tensor, MLP; MLP zoos of one shape.

    The input of every weight is its value relative to its tensor's RMS and the log RMS (the
    same scale-relative features SNE and DeepSets use). The layer widths are read from the
    first batch (a lazily built stack); a batch of another shape raises a clear error.
    """

    def __init__(self, hidden: int = 64, out_dim: int | None = 1, layers: int = 3, features: int = 16) -> None:
        super().__init__()
        self.sizes: list[int] | None = None
        self.blocks = nn.ModuleList()
        self.readout: nn.Module | None = None

    def build(self, sizes: list[int], device=None, dtype=None) -> None:
        f, n = self.config["features"], self.config["layers"]
        widths = [2] + [f] * n
        self.sizes = list(sizes)
        self.blocks = nn.ModuleList(DWSLayer(sizes, a, b) for a, b in zip(widths[:-1], widths[1:]))
        pooled = sum(absorbed_channels(sizes, f))
        self.readout = MLP([pooled, self.config["hidden"], self.config["hidden"]], norm=None)
        self.to(device=device, dtype=dtype)

    def lazy_state(self) -> dict:
        """The layer widths the stack was built for (saved with the weights)."""
        return {} if self.sizes is None else {"sizes": self.sizes}

    def restore_lazy_state(self, state: dict) -> None:
        self.build(state["sizes"], dtype=module_dtype(self))

    def encode(self, data: NetworkData) -> Tensor:
        weights, biases = weight_space_view(data)
        sizes = [weights[0].size(1)] + [w.size(2) for w in weights]
        if self.sizes is None:
            self.build(sizes, data.chunks.device, module_dtype(self))
        elif sizes != self.sizes:
            raise ValueError(f"this DWSNet was built for layer widths {self.sizes}, got {sizes}")
        dtype = self.readout.lins[0].weight.dtype
        xs = absorb(*_scale_features(weights, biases, dtype))
        for k, block in enumerate(self.blocks):
            xs = block(xs)
            if k < len(self.blocks) - 1:
                xs = [torch.relu(x) for x in xs]
        invariant = [x.mean(dim=list(range(1, x.dim() - 1))) if x.dim() > 2 else x for x in xs]
        return self.readout(torch.cat(invariant, dim=-1))

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"


def _scale_features(weights: list[Tensor], biases: list[Tensor], dtype) -> tuple[list[Tensor], list[Tensor]]:
    """Each tensor -> ``[..., 2]`` features ``(v / rms, log rms)`` with its per-network RMS."""
    def feats(t: Tensor) -> Tensor:
        t = t.to(dtype)
        return scaled_values(t, t.pow(2).flatten(1).mean(1).sqrt())
    return [feats(w) for w in weights], [feats(b) for b in biases]
