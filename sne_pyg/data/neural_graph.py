"""Neural-graph view (Kofinas et al., ICLR 2024): neurons as nodes, weights as edge features.

Nodes are the input neurons of the first layer, then the output neurons (channels for
convolutions) of every Linear/Conv layer. An edge ``i -> j`` carries the weight(s) from input
neuron ``i`` to output neuron ``j``: one value for a linear layer, the flattened kernel for a
convolution, zero-padded to ``max_kernel`` values. Node features are the bias and, when a
normalisation layer follows, its weight, bias, running mean and running variance.
Values enter relative to their tensor's RMS, with the log RMS as one more feature (the same
scale-relative input every model of this package gets).

Supported: MLPs and CNNs (Linear, Conv1d/2d/3d with groups=1, BatchNorm/LayerNorm/GroupNorm
per channel), a convolution followed by a linear layer when the linear layer reads one value per
channel (global pooling). Not supported, with a ``ValueError`` naming the layer: attention,
embeddings and other layer types, flatten of spatial positions, grouped convolutions;
residual connections are not visible in converted data and are not added.
"""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.transforms import BaseTransform

from .layer_types import CONV_TYPES, NORM_TYPES, LayerType
from .network_data import NetworkData

NEURON_TYPES = (LayerType.LINEAR, *CONV_TYPES.values())
NODE_FEATURES = 6          # bias / rms, log rms, norm weight, norm bias, running mean, running var
ROLE_INPUT, ROLE_HIDDEN, ROLE_OUTPUT = 0, 1, 2


def _scaled(t: Tensor) -> tuple[Tensor, Tensor]:
    rms = t.double().pow(2).mean().sqrt().clamp_min(1e-12) if t.numel() else torch.tensor(1.0, dtype=torch.float64)
    return (t.double() / rms).float(), rms.log().float()


class NeuralGraphView(BaseTransform):
    """Add ``ng_x [N, 6]``, ``ng_edge_index [2, E]``, ``ng_edge_attr [E, max_kernel + 1]`` and node ids
    (``ng_node_role``, ``ng_node_layer``, ``ng_node_pos``, ``ng_node2net``) to a converted network."""

    def __init__(self, max_kernel: int = 9) -> None:
        self.max_kernel = max_kernel

    def forward(self, data: NetworkData) -> NetworkData:
        layout = data.layout
        node_feats, roles, levels, positions = [], [], [], []
        edges, attrs = [], []
        current: range | None = None        # node ids of the latest neuron layer's outputs
        current_feats: Tensor | None = None
        neuron_layer = 0
        for index, spec in enumerate(layout.layers):
            block = data.layer_values(index)
            if spec.type in NEURON_TYPES:
                in_features = spec.fan_in
                w_cols = spec.piece_cols[0]
                if w_cols % in_features:
                    raise ValueError(f"NeuralGraph view: layer {spec.name!r} is a grouped convolution")
                kernel = w_cols // in_features
                if kernel > self.max_kernel:
                    raise ValueError(f"NeuralGraph view: layer {spec.name!r} has {kernel}-value kernels; "
                                     f"raise max_kernel (now {self.max_kernel})")
                if current is None:         # input neurons of the network
                    current = range(0, in_features)
                    node_feats.append(torch.zeros(in_features, NODE_FEATURES))
                    roles.append(torch.full((in_features,), ROLE_INPUT))
                    levels.append(torch.zeros(in_features, dtype=torch.long))
                    positions.append(torch.arange(in_features))
                elif len(current) != in_features:
                    raise ValueError(f"NeuralGraph view: layer {spec.name!r} reads {in_features} inputs but the "
                                     f"previous layer has {len(current)} neurons (flatten of spatial positions "
                                     "or a branch is not supported)")
                if current_feats is not None:
                    node_feats.append(current_feats)
                neuron_layer += 1
                start = current.stop
                out = range(start, start + spec.rows)
                weights, w_rms = _scaled(block[:, :w_cols])
                weights = weights.view(spec.rows, in_features, kernel)
                dst = torch.arange(out.start, out.stop).repeat_interleave(in_features)
                src = torch.arange(current.start, current.stop).repeat(spec.rows)
                edge_attr = torch.zeros(dst.numel(), self.max_kernel + 1)
                edge_attr[:, :kernel] = weights.reshape(-1, kernel)
                edge_attr[:, -1] = w_rms
                edges.append(torch.stack([src, dst]))
                attrs.append(edge_attr)
                current_feats = torch.zeros(spec.rows, NODE_FEATURES)
                if len(spec.pieces) > 1:
                    bias, b_rms = _scaled(block[:, w_cols])
                    current_feats[:, 0], current_feats[:, 1] = bias, b_rms
                roles.append(torch.full((spec.rows,), ROLE_HIDDEN))
                levels.append(torch.full((spec.rows,), neuron_layer))
                positions.append(torch.arange(spec.rows))
                current = out
            elif spec.type in NORM_TYPES and current is not None and spec.rows == len(current) and spec.cols <= 4:
                current_feats[:, 2:2 + spec.cols] = block.float()
            else:
                raise ValueError(f"NeuralGraph view: layer {spec.name!r} of type {LayerType(spec.type).name} is not "
                                 "supported (MLPs and CNNs only: Linear, Conv, per-channel normalisation)")
        if current is None:
            raise ValueError("NeuralGraph view: the network has no Linear or Conv layer")
        node_feats.append(current_feats)
        roles[-1] = torch.full_like(roles[-1], ROLE_OUTPUT)
        num_nodes = current.stop
        data.ng_x = torch.cat(node_feats)
        data.ng_edge_index = torch.cat(edges, dim=1)
        data.ng_edge_attr = torch.cat(attrs)
        data.ng_node_role = torch.cat(roles)
        data.ng_node_layer = torch.cat(levels)
        data.ng_node_pos = torch.cat(positions)
        data.ng_node2net = torch.zeros(num_nodes, dtype=torch.long)
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(max_kernel={self.max_kernel})"
