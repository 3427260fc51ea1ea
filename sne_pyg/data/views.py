"""Model-specific views computed from the canonical (batched) :class:`NetworkData`.

Every baseline reads the same converted zoo; these functions derive what each one needs
directly from the chunk tensor, so no model keeps its own copy of the weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..segment import ptr_from_sizes
from .layer_types import CONV_TYPES, LayerType
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


@dataclass
class WeightSpace:
    r"""The weight space of a batch of networks of one chain architecture (an MLP or a CNN).

    ``weights[l]``: ``[B, n_{l+1}, n_l, *kernel]`` (output neurons / channels first, as PyTorch stores
    them; a convolution's kernel positions trail); ``biases[l]``: ``[B, n_{l+1}]``. ``sizes`` are the
    neuron counts ``[n_0, ..., n_L]`` of the chain: layer ``l`` reads the ``n_l`` outputs of layer ``l-1``.
    """

    weights: list[Tensor]
    biases: list[Tensor]

    @property
    def sizes(self) -> list[int]:
        return [self.weights[0].size(2)] + [w.size(1) for w in self.weights]

    @property
    def kernels(self) -> list[tuple[int, ...]]:
        """The kernel shape of every layer (``()`` for a Linear layer)."""
        return [tuple(w.shape[3:]) for w in self.weights]


def weight_space_view(data: NetworkData, model: str = "DWSNet", convolutions: bool = False) -> WeightSpace:
    """Per layer ``weights [B, out, in, *kernel]`` and ``biases [B, out]`` of a chain of layers of one shape.

    Raises ``ValueError`` naming the layer unless every layer is a ``Linear`` (or, with
    ``convolutions``, a ``ConvNd``) with a bias whose inputs are the previous layer's outputs:
    a flatten of a spatial map into a Linear layer (more inputs than the convolution has channels)
    and a traced dataflow that is not a chain (residual connections) are refused, as the weight-space
    models (DWSNet, NFN, NFT) are defined for chains only. ``model`` names the caller in the errors.
    """
    same_architecture(data, model)
    layouts = data.layout if isinstance(data.layout, list) else [data.layout]
    layout = layouts[0]
    allowed = {LayerType.LINEAR} | (set(CONV_TYPES.values()) if convolutions else set())
    for spec in layout.layers:
        if spec.type not in allowed:
            what = "MLPs and CNNs (Linear and ConvNd layers only)" if convolutions else "MLPs (Linear layers only)"
            raise ValueError(f"{model} takes {what}; layer {spec.name!r} is {spec.type.name}")
        if len(spec.pieces) != 2:
            raise ValueError(f"{model} needs every layer to have a bias; layer {spec.name!r} has none")
    _check_chain(layout, model)
    flat = flat_view(data)
    weights, biases, start = [], [], 0
    for spec in layout.layers:
        block = flat[:, start:start + spec.numel].view(-1, spec.rows, spec.cols)   # [B, out, in * k + 1]
        weights.append(block[:, :, :-1].reshape(-1, *_weight_shape(layout, spec)))
        biases.append(block[:, :, -1])
        start += spec.numel
    return WeightSpace(weights, biases)


def _weight_shape(layout, spec) -> tuple[int, ...]:
    """``(out, in, *kernel)`` of a layer's weight as the layout stores it (rows = output neurons)."""
    piece = spec.pieces[0]
    shape = tuple(layout.params[piece.key].shape)
    if piece.kind == "rows" and len(shape) >= 2:
        return shape
    return (spec.rows, spec.piece_cols[0])


def _check_chain(layout, model: str) -> None:
    shapes = [_weight_shape(layout, spec) for spec in layout.layers]
    for prev, spec, shape, before in zip(layout.layers, layout.layers[1:], shapes[1:], shapes):
        if shape[1] != before[0]:
            hint = (" (a flatten of a spatial map: pool it globally before the Linear layer)"
                    if spec.type == LayerType.LINEAR and prev.type != LayerType.LINEAR else "")
            raise ValueError(f"{model} reads a chain of layers; layer {spec.name!r} takes {shape[1]} inputs but "
                             f"layer {prev.name!r} gives {before[0]} outputs{hint}")
    if layout.dataflow:
        for prev, spec in zip(layout.layers, layout.layers[1:]):
            reads = tuple(layout.dataflow.get(spec.name, ()))
            if reads and reads != (prev.name,):
                raise ValueError(f"{model} reads a chain of layers; layer {spec.name!r} reads {list(reads)} "
                                 f"(residual connections are not a chain)")
