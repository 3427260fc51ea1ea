r"""A batch's weight space as tensors indexed by the neuron layers a symmetry group permutes.

Layer :math:`l` of a chain (:math:`1 \le l \le L`) has ``W_l [B, n_l, n_{l-1}, *kernel]`` and
``b_l [B, n_l]``; every entry carries ``F`` features, the kernel positions become channels:
``W_l -> [B, n_l, n_{l-1}, k_l F]`` over layers ``(l, l-1)``, ``b_l -> [B, n_l, F]`` over ``(l,)``.

Two groups (Zhou et al., NeurIPS 2023):

* ``"np"`` (neuron permutations): every layer ``0..L`` permutes, inputs and outputs included;
* ``"hnp"`` (hidden neuron permutations, DWSNet's group): input (``0``) and output (``L``) neurons are
  fixed, so their axes are *absorbed* into the channels: ``W_1 -> [B, n_1, n_0 k_1 F]``,
  ``W_L -> [B, n_{L-1}, n_L k_L F]``, ``b_L -> [B, n_L F]``; every remaining axis is a hidden layer.

``multiplicity[t]`` is the number of channel groups of tensor ``t`` (``k_l``, times the absorbed
neuron counts): a hidden feature width ``c`` gives tensor ``t`` ``multiplicity[t] * c`` channels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ...data.views import WeightSpace
from ..features import scaled_values
from .linear import reduce

GROUPS = ("np", "hnp")


@dataclass(frozen=True)
class TensorLayout:
    """Names, neuron layers (axis order) and channel multiplicities of a weight space's tensors."""

    names: tuple[str, ...]
    dims: tuple[tuple[int, ...], ...]
    multiplicity: tuple[int, ...]

    def channels(self, width: int) -> list[int]:
        return [m * width for m in self.multiplicity]

    def to_dict(self) -> dict:
        return {"names": list(self.names), "dims": [list(d) for d in self.dims],
                "multiplicity": list(self.multiplicity)}

    @classmethod
    def from_dict(cls, state: dict) -> "TensorLayout":
        return cls(tuple(state["names"]), tuple(tuple(d) for d in state["dims"]), tuple(state["multiplicity"]))


def check_group(group: str) -> str:
    if group not in GROUPS:
        raise ValueError(f"group must be one of {GROUPS}, got {group!r}")
    return group


def scaled_entries(space: WeightSpace, dtype: torch.dtype) -> tuple[list[Tensor], list[Tensor]]:
    """Every weight and bias -> ``[..., 2]`` features ``(v / rms, log rms)``, the RMS per network and tensor."""
    def feats(t: Tensor) -> Tensor:
        t = t.to(dtype)
        return scaled_values(t, t.pow(2).flatten(1).mean(1).sqrt())
    return [feats(w) for w in space.weights], [feats(b) for b in space.biases]


def weight_space_tensors(weights: list[Tensor], biases: list[Tensor], group: str) -> tuple[list[Tensor], TensorLayout]:
    """Per-entry features (``weights[l] [B, n_l, n_{l-1}, *kernel, F]``, ``biases[l] [B, n_l, F]``) -> the
    tensors of ``group`` (see the module doc) and their :class:`TensorLayout`."""
    check_group(group)
    num = len(weights)
    fixed = {0, num} if group == "hnp" else set()
    xs, names, dims, mult = [], [], [], []
    for l, (w, b) in enumerate(zip(weights, biases), start=1):
        bsz, rows, cols = w.shape[:3]
        kernel = math.prod(w.shape[3:-1])
        w = w.reshape(bsz, rows, cols, -1)                           # kernel positions x features
        for name, x, axes, m in ((f"W{l}", w, (l, l - 1), kernel), (f"b{l}", b, (l,), 1)):
            x, axes, m = _absorb(x, axes, fixed, m)
            xs.append(x)
            names.append(name)
            dims.append(axes)
            mult.append(m)
    return xs, TensorLayout(tuple(names), tuple(dims), tuple(mult))


def _absorb(x: Tensor, axes: tuple[int, ...], fixed: set[int], multiplicity: int
            ) -> tuple[Tensor, tuple[int, ...], int]:
    """Move the axes of ``fixed`` layers into the channels (the last axis), in axis order before it."""
    keep = [a for a, d in enumerate(axes) if d not in fixed]
    move = [a for a, d in enumerate(axes) if d in fixed]
    if not move:
        return x, axes, multiplicity
    order = [0] + [1 + a for a in keep] + [1 + a for a in move] + [x.dim() - 1]
    x = x.permute(order)
    absorbed = math.prod(x.shape[1 + len(keep):-1])
    x = x.reshape(*x.shape[:1 + len(keep)], -1)
    return x, tuple(axes[a] for a in keep), multiplicity * absorbed


def invariant_pool(xs: list[Tensor], reduction: str = "mean") -> Tensor:
    """``[B, sum C_t]``: every tensor's mean (or max) over its neuron axes (invariant to the group)."""
    return torch.cat([reduce(x, list(range(1, x.dim() - 1)), reduction) if x.dim() > 2 else x for x in xs], dim=-1)
