"""Permutation symmetries of a network as data: groups of parameter axes permuted together.

A :class:`Group` of size ``n`` lists :class:`AxisRef` s. Applying a permutation ``pi`` of
``range(n)`` moves, on every referenced axis, the ``block`` consecutive positions of element
``pi[g]`` (starting at ``offset``) to the slot of element ``g``. A hidden linear neuron is
``(W_l, 0)`` + ``(b_l, 0)`` + ``(W_{l+1}, 1)``; a channel before a flatten of ``s`` spatial
positions is a block of ``s`` inputs of the next linear layer; a head of attention is a block of
``head_dim`` rows of q, k and v and columns of the output projection.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

# roles of a reference, used to decide which extra symmetries (sign flip, scaling) are valid
PRODUCER = "producer"      # rows of the layer that computes the neurons (weight rows, bias)
CONSUMER = "consumer"      # input axis of a layer that reads the neurons
CARRIER = "carrier"        # per-channel parameters the neurons pass through (norms)


@dataclass(frozen=True)
class AxisRef:
    key: str
    axis: int
    offset: int = 0
    block: int = 1
    role: str = CARRIER


@dataclass
class Group:
    """Neurons (or heads) that may be permuted together; ``activations`` lists what they pass through."""

    size: int
    refs: list[AxisRef] = field(default_factory=list)
    name: str = ""
    activations: set[str] = field(default_factory=set)

    def __repr__(self) -> str:
        return f"Group({self.name!r}, size={self.size}, refs={len(self.refs)}, activations={sorted(self.activations)})"


@dataclass
class PermutationSpec:
    groups: list[Group]
    notes: list[str] = field(default_factory=list)   # why some neurons were left fixed

    def sample(self, generator: torch.Generator | None = None) -> list[Tensor]:
        """One random permutation per group."""
        return [torch.randperm(g.size, generator=generator) for g in self.groups]

    def apply(self, state: dict[str, Tensor], perms: list[Tensor]) -> dict[str, Tensor]:
        """A new state_dict with every group's permutation applied (the input is not modified)."""
        out = dict(state)
        for group, perm in zip(self.groups, perms):
            for ref in group.refs:
                out[ref.key] = permute_axis(out[ref.key], ref, perm)
        return out

    def __repr__(self) -> str:
        return f"PermutationSpec({len(self.groups)} groups: {[g.name for g in self.groups]})"


def permute_axis(tensor: Tensor, ref: AxisRef, perm: Tensor) -> Tensor:
    """Move block ``perm[g]`` of ``ref.axis`` to slot ``g`` (positions outside the group stay)."""
    n = perm.numel()
    positions = torch.arange(tensor.shape[ref.axis])
    inner = torch.arange(ref.block)
    target = ref.offset + (torch.arange(n)[:, None] * ref.block + inner).flatten()
    source = ref.offset + (perm[:, None] * ref.block + inner).flatten()
    positions[target] = source
    return tensor.index_select(ref.axis, positions.to(tensor.device))


def scale_axis(tensor: Tensor, ref: AxisRef, factors: Tensor) -> Tensor:
    """Multiply block ``g`` of ``ref.axis`` by ``factors[g]``."""
    scale = torch.ones(tensor.shape[ref.axis], dtype=tensor.dtype, device=tensor.device)
    scale[ref.offset:ref.offset + factors.numel() * ref.block] = factors.to(tensor).repeat_interleave(ref.block)
    shape = [1] * tensor.dim()
    shape[ref.axis] = -1
    return tensor * scale.view(shape)
