r"""The permutation-equivariant linear map between weight-space tensors (DWSNet, NFN NP/HNP).

A weight space is a tuple of tensors ``x_t [B, n_{d_1}, ..., n_{d_k}, C_t]`` whose axes are neuron
layers ``d`` (each acted on by its own symmetric group :math:`S_{n_d}`) and whose last axis holds
channels that no permutation touches. For such tensors the equivariant linear maps are known in closed
form (parameter sharing: one free parameter per orbit of the group on (output entry, input entry)
pairs): for output tensor :math:`o` and input tensor :math:`i` sharing the neuron layers :math:`S`,

.. math::
    y_o \mathrel{+}= \sum_{K \subseteq S} \operatorname{bcast}_{D_o \setminus K}\,
    \big(\operatorname{mean}_{D_i \setminus K}(x_i)\; A_{o,i,K}\big),

(pool the input over its layers not in :math:`K`, mix channels with :math:`A_{o,i,K} \in
\mathbb{R}^{C_i \times C_o}`, broadcast over the output's layers not in :math:`K`), plus a bias per
output tensor. For :math:`W_l \to W_l` these are the pointwise, row-mean, column-mean and full-mean
terms; :math:`W_{l+1} \to W_l` shares layer :math:`l`, and so on. The terms of one output that keep
the same layers :math:`K` share one ``nn.Linear`` over the concatenated pooled inputs.
"""
from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor, nn


class EquivariantLinear(nn.Module):
    """Every linear map between weight-space tensors that commutes with independent neuron permutations.

    Args:
        dims: for every tensor, the neuron layers indexing its axes (in axis order).
        c_in / c_out: channels of every input / output tensor.
        reduction: ``"mean"`` (the linear characterisation) or ``"max"`` (DWSNet's default: the same
            terms with max-pooling, still equivariant, no longer linear).
    """

    def __init__(self, dims: list[tuple[int, ...]], c_in: list[int], c_out: list[int], reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction(reduction)
        if not len(dims) == len(c_in) == len(c_out):
            raise ValueError(f"dims, c_in and c_out must describe the same tensors, got {len(dims)}, "
                             f"{len(c_in)}, {len(c_out)}")
        self.dims = [tuple(d) for d in dims]
        self.c_in, self.c_out = list(c_in), list(c_out)
        # groups[o]: [(kept layers in output order, [input tensors])], one nn.Linear each
        self.groups: list[list[tuple[tuple[int, ...], list[int]]]] = []
        self.maps = nn.ModuleList()
        for o, out_dims in enumerate(self.dims):
            by_kept: dict[tuple[int, ...], list[int]] = {}
            for i, in_dims in enumerate(self.dims):
                shared = [d for d in out_dims if d in in_dims]
                for r in range(len(shared) + 1):
                    for kept in itertools.combinations(shared, r):
                        by_kept.setdefault(kept, []).append(i)
            self.groups.append(list(by_kept.items()))
            self.maps.append(nn.ModuleList(nn.Linear(sum(self.c_in[i] for i in inputs), self.c_out[o], bias=False)
                                           for _, inputs in by_kept.items()))
        self.bias = nn.ParameterList(nn.Parameter(torch.zeros(c)) for c in self.c_out)
        self.reset_parameters()

    @property
    def num_terms(self) -> int:
        """Number of (output, input, kept layers) terms: the free parameters per channel pair."""
        return sum(len(inputs) for groups in self.groups for _, inputs in groups)

    def reset_parameters(self) -> None:
        """Uniform in ``±1/sqrt(fan_in)``, the fan-in counted over every term that feeds an output."""
        for maps in self.maps:
            fan_in = sum(lin.in_features for lin in maps)
            for lin in maps:
                nn.init.uniform_(lin.weight, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
        for b in self.bias:
            nn.init.zeros_(b)

    def forward(self, xs: list[Tensor]) -> list[Tensor]:
        sizes = {d: x.size(1 + a) for x, dims in zip(xs, self.dims) for a, d in enumerate(dims)}
        pooled: dict[tuple[int, tuple[int, ...]], Tensor] = {}

        def pool(i: int, kept: tuple[int, ...]) -> Tensor:
            """Input ``i`` averaged over its layers not in ``kept``, axes in ``kept``'s order."""
            if (i, kept) not in pooled:
                dims, x = self.dims[i], xs[i]
                drop = [1 + a for a, d in enumerate(dims) if d not in kept]
                x = reduce(x, drop, self.reduction) if drop else x
                left = [d for d in dims if d in kept]
                order = [left.index(d) + 1 for d in kept]
                pooled[(i, kept)] = x.permute(0, *order, x.dim() - 1) if order != sorted(order) else x
            return pooled[(i, kept)]

        outs = []
        for o, out_dims in enumerate(self.dims):
            out = self.bias[o].view([1] * (len(out_dims) + 1) + [-1])
            for (kept, inputs), lin in zip(self.groups[o], self.maps[o]):
                term = lin(torch.cat([pool(i, kept) for i in inputs], dim=-1))      # [B, *kept, C_o]
                shape = [term.size(0)] + [sizes[d] if d in kept else 1 for d in out_dims] + [term.size(-1)]
                out = out + term.reshape(shape)
            outs.append(out)
        return outs

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(tensors={len(self.dims)}, terms={self.num_terms}, "
                f"reduction={self.reduction!r})")


REDUCTIONS = ("mean", "max")


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def reduce(x: Tensor, dims: list[int], reduction: str) -> Tensor:
    """Mean or max of ``x`` over ``dims`` (both commute with permutations of the other axes)."""
    return x.mean(dim=dims) if reduction == "mean" else x.amax(dim=dims)
