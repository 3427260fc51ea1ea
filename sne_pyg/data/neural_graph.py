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
channel (global pooling), and residual connections when the data was converted with
``convert(module, dataflow=True)``: a layer reading ``x + f(x)`` reads the nodes of ``f``'s last layer,
and identity edges (weight 1) join the nodes of ``x`` to them. Without recorded dataflow the
layers are taken as a chain. Not supported, with a ``ValueError`` naming the layer: attention,
embeddings and other layer types, flatten of spatial positions, grouped convolutions.
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
        self._nodes: dict[str, range] = {}          # neuron layer (or "<input>") -> its node ids
        self._feats: dict[str, Tensor] = {}
        self._roles, self._levels, self._positions, self._order = {}, {}, {}, []
        edges, attrs, identity_pairs = [], [], set()
        previous = "<input>"
        for _, spec, block in data.layer_blocks():
            sources = self._sources(layout, spec, previous)
            if spec.type in NEURON_TYPES:
                in_features = spec.fan_in
                w_cols = spec.piece_cols[0]
                if w_cols % in_features:
                    raise ValueError(f"NeuralGraph view: layer {spec.name!r} is a grouped convolution")
                kernel = w_cols // in_features
                if kernel > self.max_kernel:
                    raise ValueError(f"NeuralGraph view: layer {spec.name!r} has {kernel}-value kernels; "
                                     f"raise max_kernel (now {self.max_kernel})")
                inputs = self._input_nodes(spec, sources, in_features, edges, attrs, identity_pairs)
                out = self._add_nodes(spec.name, spec.rows, ROLE_HIDDEN, len(self._order) + 1)
                weights, w_rms = _scaled(block[:, :w_cols])
                weights = weights.view(spec.rows, in_features, kernel)
                dst = torch.arange(out.start, out.stop).repeat_interleave(in_features)
                src = torch.arange(inputs.start, inputs.stop).repeat(spec.rows)
                edge_attr = torch.zeros(dst.numel(), self.max_kernel + 1)
                edge_attr[:, :kernel] = weights.reshape(-1, kernel)
                edge_attr[:, -1] = w_rms
                edges.append(torch.stack([src, dst]))
                attrs.append(edge_attr)
                if len(spec.pieces) > 1:
                    bias, b_rms = _scaled(block[:, w_cols])
                    self._feats[spec.name][:, 0], self._feats[spec.name][:, 1] = bias, b_rms
                previous = spec.name
            elif spec.type in NORM_TYPES and len(sources) == 1 and sources[0] in self._nodes \
                    and sources[0] != "<input>" and spec.rows == len(self._nodes[sources[0]]) and spec.cols <= 4:
                self._feats[sources[0]][:, 2:2 + spec.cols] = block.float()
            else:
                raise ValueError(f"NeuralGraph view: layer {spec.name!r} of type {LayerType(spec.type).name} is not "
                                 "supported (MLPs and CNNs only: Linear, Conv, per-channel normalisation)")
        if not self._order:
            raise ValueError("NeuralGraph view: the network has no Linear or Conv layer")
        self._roles[self._order[-1]].fill_(ROLE_OUTPUT)
        names = (["<input>"] if "<input>" in self._nodes else []) + self._order
        names.sort(key=lambda n: self._nodes[n].start)
        data.ng_x = torch.cat([self._feats[n] for n in names])
        data.ng_edge_index = torch.cat(edges, dim=1)
        data.ng_edge_attr = torch.cat(attrs)
        data.ng_node_role = torch.cat([self._roles[n] for n in names])
        data.ng_node_layer = torch.cat([self._levels[n] for n in names])
        data.ng_node_pos = torch.cat([self._positions[n] for n in names])
        data.ng_node2net = torch.zeros(data.ng_x.size(0), dtype=torch.long)
        return data

    @staticmethod
    def _sources(layout, spec, previous: str) -> tuple[str, ...]:
        if layout.dataflow is None:
            return (previous,)
        sources = layout.dataflow.get(spec.name)
        if sources is None or "<opaque>" in sources:
            raise ValueError(f"NeuralGraph view: the input of layer {spec.name!r} is not a sum of layer outputs "
                             f"(dataflow: {sources})")
        return sources

    def _add_nodes(self, name: str, count: int, role: int, level: int) -> range:
        start = sum(len(r) for r in self._nodes.values())
        self._nodes[name] = range(start, start + count)
        self._feats[name] = torch.zeros(count, NODE_FEATURES)
        self._roles[name] = torch.full((count,), role)
        self._levels[name] = torch.full((count,), level)
        self._positions[name] = torch.arange(count)
        if name != "<input>":
            self._order.append(name)
        return self._nodes[name]

    def _input_nodes(self, spec, sources, in_features, edges, attrs, identity_pairs) -> range:
        """The nodes a layer reads: one source's outputs, or for a residual sum the latest source's
        outputs with identity edges (weight 1) from every other source."""
        for source in sources:
            if source == "<input>" and source not in self._nodes:
                self._add_nodes("<input>", in_features, ROLE_INPUT, 0)
            elif source not in self._nodes:
                raise ValueError(f"NeuralGraph view: layer {spec.name!r} reads {source!r}, which is not a "
                                 "Linear/Conv layer before it")
        target = max(sources, key=lambda n: self._nodes[n].start)
        nodes = self._nodes[target]
        for source in sources:
            if source == target or (source, target) in identity_pairs:
                continue
            if len(self._nodes[source]) != len(nodes):
                raise ValueError(f"NeuralGraph view: residual sum of {source!r} and {target!r} with different widths")
            identity_pairs.add((source, target))
            edges.append(torch.stack([torch.arange(self._nodes[source].start, self._nodes[source].stop),
                                      torch.arange(nodes.start, nodes.stop)]))
            skip = torch.zeros(len(nodes), self.max_kernel + 1)
            skip[:, 0] = 1.0                    # weight 1 (its rms is 1, log rms 0)
            attrs.append(skip)
        if len(nodes) != in_features:
            raise ValueError(f"NeuralGraph view: layer {spec.name!r} reads {in_features} inputs but "
                             f"{target!r} has {len(nodes)} neurons (flatten of spatial positions or a branch "
                             "is not supported)")
        return nodes

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(max_kernel={self.max_kernel})"
