"""Model-specific views computed from the canonical (batched) :class:`NetworkData`.

Every baseline reads the same converted zoo; these functions derive what each one needs
directly from the chunk tensor, so no model keeps its own copy of the weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..segment import ptr_from_sizes
from .layer_types import LayerType
from .network_data import NetworkData


@dataclass
class ElementView:
    """Every real (unpadded) parameter value of a batch, in layout order.

    ``values [E]``, ``layer [E]`` (global layer id), ``net [E]`` (network id), ``net_ptr [B+1]``.
    """

    values: Tensor
    layer: Tensor
    net: Tensor
    net_ptr: Tensor


def element_view(data: NetworkData) -> ElementView:
    mask = data.chunk_mask
    values = data.chunks[mask]
    layer = torch.repeat_interleave(data.chunk2layer, data.chunk_len, output_size=values.numel())
    net = data.layer2net.index_select(0, layer)
    per_net = torch.zeros(data.num_networks, dtype=torch.long, device=values.device)
    per_net.index_add_(0, data.layer2net, data.layer_numel)
    return ElementView(values, layer, net, ptr_from_sizes(per_net))


def same_architecture(data: NetworkData, model: str) -> None:
    """Raise a clear error unless every network of the batch has the same layer shapes."""
    b, per = data.num_networks, data.net_num_layers
    if b > 1 and not bool((per == per[0]).all()):
        raise ValueError(f"{model} needs networks of one architecture; this batch mixes "
                         f"{sorted(set(per.tolist()))} layers per network (use SNE, DeepSets or NeuralGraph)")
    shape = torch.stack([data.layer_rows, data.layer_cols, data.layer_type], 1).view(b, -1, 3)
    if b > 1 and not bool((shape == shape[:1]).all()):
        raise ValueError(f"{model} needs networks of one architecture; this batch mixes layer shapes")


def flat_view(data: NetworkData) -> Tensor:
    """``[B, P]``: each network's parameters as one vector (one architecture per batch)."""
    same_architecture(data, "a flat-vector model")
    return element_view(data).values.view(data.num_networks, -1)


STATISTICS = ("mean", "var", "q0", "q25", "q50", "q75", "q100")
_QUANTILES = (0.0, 0.25, 0.5, 0.75, 1.0)


def tensor_statistics(values: Tensor) -> Tensor:
    """``[7]``: mean, variance (population) and the 0/25/50/75/100% quantiles of one tensor."""
    v = values.double().flatten()
    q = torch.quantile(v, torch.tensor(_QUANTILES, dtype=v.dtype, device=v.device))
    return torch.cat([v.mean().view(1), v.var(unbiased=False).view(1), q])


def statistics_view(data: NetworkData) -> Tensor:
    """``[B, T * 7]``: per state_dict tensor statistics (Unterthiner et al. 2020), one architecture."""
    same_architecture(data, "StatNN")
    per_net: list[list[Tensor]] = [[] for _ in range(data.num_networks)]
    for net, spec, block in data.layer_blocks():
        col = 0
        for width in spec.piece_cols:
            per_net[net].append(tensor_statistics(block[:, col:col + width]))
            col += width
    return torch.stack([torch.cat(feats) for feats in per_net]).to(data.chunks.dtype)


def weight_space_view(data: NetworkData) -> tuple[list[Tensor], list[Tensor]]:
    """DWSNet input: per layer ``weights [B, d_in, d_out]`` and ``biases [B, d_out]`` of MLPs of one shape.

    Raises ``ValueError`` unless every layer is a ``Linear`` with a bias and the batch has one shape.
    """
    same_architecture(data, "DWSNet")
    layers = data.num_layers // data.num_networks
    types = data.layer_type[:layers]
    if not bool((types == LayerType.LINEAR).all()):
        names = [LayerType(int(t)).name for t in types]
        raise ValueError(f"DWSNet takes MLPs (Linear layers only), this network has {names}")
    layouts = data.layout if isinstance(data.layout, list) else [data.layout]
    if any(len(spec.pieces) != 2 for spec in layouts[0].layers):
        raise ValueError("DWSNet needs every Linear layer to have a bias")
    flat = flat_view(data)
    weights, biases, start = [], [], 0
    for spec in layouts[0].layers:
        block = flat[:, start:start + spec.numel].view(-1, spec.rows, spec.cols)   # [B, out, in + 1]
        weights.append(block[:, :, :-1].transpose(1, 2))                          # [B, in, out]
        biases.append(block[:, :, -1])
        start += spec.numel
    return weights, biases
