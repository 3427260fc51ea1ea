"""Neural-graph view (Kofinas et al., ICLR 2024): neurons as nodes, weights as edge features.

Nodes are the input neurons of the first layer, then the output neurons (channels for
convolutions) of every Linear/Conv layer. An edge ``i -> j`` carries the weight(s) from input
neuron ``i`` to output neuron ``j``: one value for a linear layer, the flattened kernel for a
convolution, in ``max_kernel`` slots laid out as the official code lays them: a kernel centred in the
square (cubic) grid of ``max_kernel`` cells (a 3x3 kernel in the middle of 5x5 slots), a single value
(a Linear weight, a 1x1 kernel, a residual's identity weight) in the centre slot ``max_kernel // 2``.
Node features are the bias and, when a normalisation layer follows, its weight, bias, running mean
and running variance. ``ng_node_act`` is the id of the activation after each hidden neuron's layer
(:func:`~sne_pyg.data.activations.activation_id`; 0 for input and output neurons and where the layout
records none: convert with ``activations=derive_activations(model)``).
Values enter relative to their tensor's RMS, with the log RMS as one more feature (the same
scale-relative input every model of this package gets).

Supported: MLPs and CNNs (Linear, Conv1d/2d/3d with groups=1, BatchNorm/LayerNorm/GroupNorm
per channel), a convolution followed by a linear layer when the linear layer reads one value per
channel (global pooling), and residual connections when the data was converted with
``convert(module, dataflow=derive_dataflow(module))``: a layer reading ``x + f(x)`` reads the nodes of
``f``'s last layer, and identity edges (weight 1) join the nodes of ``x`` to them. Without recorded dataflow the
layers are taken as a chain. Not supported, with a ``ValueError`` naming the layer: attention,
embeddings and other layer types, flatten of spatial positions, grouped convolutions.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor
from torch_geometric.transforms import BaseTransform

from .activations import activation_id
from .layer_types import CONV_TYPES, NORM_TYPES, LayerType
from .network_data import NetworkData

NEURON_TYPES = (LayerType.LINEAR, *CONV_TYPES.values())
NODE_FEATURES = 6          # bias / rms, log rms, norm weight, norm bias, running mean, running var
ROLE_INPUT, ROLE_HIDDEN, ROLE_OUTPUT = 0, 1, 2


def _scaled(t: Tensor) -> tuple[Tensor, Tensor]:
    rms = t.double().pow(2).mean().sqrt().clamp_min(1e-12) if t.numel() else torch.tensor(1.0, dtype=torch.float64)
    return (t.double() / rms).float(), rms.log().float()


def kernel_slots(kernel_shape: tuple[int, ...], max_kernel: int) -> Tensor:
    """The slot of each value of a kernel (row-major) among an edge's ``max_kernel`` slots.

    The slots form a grid of side ``max_kernel ** (1/d)`` for a ``d``-dimensional kernel; the kernel
    sits in its middle, the odd cell of padding after it (``F.pad`` with ``full // 2`` before). A single
    value goes to the centre slot ``max_kernel // 2``; a kernel without such a grid (a side that does
    not fit, ``max_kernel`` not a ``d``-th power) fills the first slots.
    """
    count = math.prod(kernel_shape)
    if count == 1:
        return torch.tensor([max_kernel // 2])
    d = len(kernel_shape)
    side = round(max_kernel ** (1 / d))
    if side ** d != max_kernel or any(s > side for s in kernel_shape):
        return torch.arange(count)
    axes = torch.meshgrid(*[torch.arange(s) + (side - s) // 2 for s in kernel_shape], indexing="ij")
    return sum(axis * side ** (d - 1 - i) for i, axis in enumerate(axes)).reshape(-1)


def _kernel_shape(layout, spec, kernel: int) -> tuple[int, ...]:
    """The spatial shape of a layer's edge kernel: a convolution's own, a flatten's positions as a square
    when they form one, else a row."""
    if spec.type != LayerType.LINEAR:
        shape = tuple(layout.params[spec.pieces[0].key].shape[2:])
        if math.prod(shape) == kernel:
            return shape
    side = math.isqrt(kernel)
    return (side, side) if side * side == kernel else (kernel,)


def largest_kernel(networks) -> int:
    """Values per edge kernel of the widest convolution (or flattened channel) among ``networks``:
    the ``max_kernel`` a NeuralGraph needs to read all of them (kernels are zero-padded to it)."""
    widest = 1
    for data in networks:
        for layout in data.layout if isinstance(data.layout, list) else [data.layout]:
            rows, previous = {}, INPUT
            for spec in layout.layers:
                if spec.type not in NEURON_TYPES or not spec.fan_in:
                    continue
                kernel = spec.piece_cols[0] // spec.fan_in
                source_rows = rows.get(_sources(layout, spec, previous)[-1])
                if spec.type == LayerType.LINEAR and source_rows and spec.fan_in % source_rows == 0:
                    kernel = spec.fan_in // source_rows          # a flatten of channels x positions
                widest = max(widest, kernel)
                rows[spec.name], previous = spec.rows, spec.name
    return widest


class NeuralGraphView(BaseTransform):
    """Add ``ng_x [N, 6]``, ``ng_edge_index [2, E]``, ``ng_edge_attr [E, max_kernel + 1]`` and node ids
    (``ng_node_role``, ``ng_node_layer``, ``ng_node_pos``, ``ng_node_act``, ``ng_node2net``) to a converted
    network."""

    def __init__(self, max_kernel: int = 9) -> None:
        self.max_kernel = max_kernel

    def forward(self, data: NetworkData) -> NetworkData:
        graph = _Graph(self.max_kernel)
        activations = data.layout.activations or {}
        previous = INPUT
        for _, spec, block in data.layer_blocks():
            sources = _sources(data.layout, spec, previous)
            if spec.type in NEURON_TYPES:
                in_features = spec.fan_in
                w_cols = spec.piece_cols[0]
                if w_cols % in_features:
                    raise ValueError(f"NeuralGraph view: layer {spec.name!r} is a grouped convolution")
                kernel = w_cols // in_features
                inputs = graph.input_nodes(spec, sources, in_features)
                if len(inputs) != in_features:
                    if spec.type != LayerType.LINEAR or in_features % len(inputs):
                        raise ValueError(f"NeuralGraph view: layer {spec.name!r} reads {in_features} inputs but "
                                         f"its source has {len(inputs)} neurons (not a flatten of whole channels)")
                    # a Linear after a flatten reads C channels x P positions (channel-major): the P weights
                    # from one channel to one neuron become that edge's kernel, as a convolution's would
                    kernel, in_features = in_features // len(inputs), len(inputs)
                if kernel > self.max_kernel:
                    raise ValueError(f"NeuralGraph view: layer {spec.name!r} has {kernel}-value kernels; "
                                     f"raise max_kernel (now {self.max_kernel})")
                out = graph.add_nodes(spec.name, spec.rows, activation_id(activations.get(spec.name)))
                weights, w_rms = _scaled(block[:, :w_cols])
                edge_attr = torch.zeros(spec.rows * in_features, self.max_kernel + 1)
                slots = kernel_slots(_kernel_shape(data.layout, spec, kernel), self.max_kernel)
                edge_attr[:, slots] = weights.reshape(-1, kernel)
                edge_attr[:, -1] = w_rms
                graph.add_edges(torch.arange(inputs.start, inputs.stop).repeat(spec.rows),
                                torch.arange(out.start, out.stop).repeat_interleave(in_features), edge_attr)
                if len(spec.pieces) > 1:
                    bias, b_rms = _scaled(block[:, w_cols])
                    graph.feats[spec.name][:, 0], graph.feats[spec.name][:, 1] = bias, b_rms
                previous = spec.name
            elif spec.type in NORM_TYPES and len(sources) == 1 and sources[0] in graph.nodes \
                    and sources[0] != INPUT and spec.rows == len(graph.nodes[sources[0]]) and spec.cols <= 4:
                graph.feats[sources[0]][:, 2:2 + spec.cols] = block.float()
            else:
                raise ValueError(f"NeuralGraph view: layer {spec.name!r} of type {LayerType(spec.type).name} is not "
                                 "supported (MLPs and CNNs only: Linear, Conv, per-channel normalisation)")
        return graph.write_to(data)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(max_kernel={self.max_kernel})"


INPUT = "<input>"


def _sources(layout, spec, previous: str) -> tuple[str, ...]:
    """The layers whose (summed) outputs ``spec`` reads: recorded dataflow, else the previous layer."""
    if layout.dataflow is None:
        return (previous,)
    sources = layout.dataflow.get(spec.name)
    if sources is None or "<opaque>" in sources:
        raise ValueError(f"NeuralGraph view: the input of layer {spec.name!r} is not a sum of layer outputs "
                         f"(dataflow: {sources})")
    return sources


class _Graph:
    """The neuron graph of one network while it is built (node groups in creation order)."""

    def __init__(self, max_kernel: int) -> None:
        self.max_kernel = max_kernel
        self.nodes: dict[str, range] = {}       # neuron layer (or INPUT) -> its node ids
        self.feats: dict[str, Tensor] = {}
        self.activation: dict[str, int] = {}
        self.edges: list[Tensor] = []
        self.attrs: list[Tensor] = []
        self.identity_pairs: set[tuple[str, str]] = set()
        self.num_nodes = 0

    def add_nodes(self, name: str, count: int, activation: int = 0) -> range:
        self.nodes[name] = range(self.num_nodes, self.num_nodes + count)
        self.activation[name] = activation
        self.feats[name] = torch.zeros(count, NODE_FEATURES)
        self.num_nodes += count
        return self.nodes[name]

    def add_edges(self, src: Tensor, dst: Tensor, attr: Tensor) -> None:
        self.edges.append(torch.stack([src, dst]))
        self.attrs.append(attr)

    def input_nodes(self, spec, sources: tuple[str, ...], in_features: int) -> range:
        """The nodes a layer reads: one source's outputs, or for a residual sum the latest source's
        outputs with identity edges (weight 1) from every other source."""
        for source in sources:
            if source == INPUT and source not in self.nodes:
                self.add_nodes(INPUT, in_features)
            elif source not in self.nodes:
                raise ValueError(f"NeuralGraph view: layer {spec.name!r} reads {source!r}, which is not a "
                                 "Linear/Conv layer before it")
        target = max(sources, key=lambda n: self.nodes[n].start)
        nodes = self.nodes[target]
        for source in sources:
            if source == target or (source, target) in self.identity_pairs:
                continue
            if len(self.nodes[source]) != len(nodes):
                raise ValueError(f"NeuralGraph view: residual sum of {source!r} and {target!r} with different widths")
            self.identity_pairs.add((source, target))
            skip = torch.zeros(len(nodes), self.max_kernel + 1)
            skip[:, self.max_kernel // 2] = 1.0   # weight 1 in the centre slot (its rms is 1, log rms 0)
            self.add_edges(torch.arange(self.nodes[source].start, self.nodes[source].stop),
                           torch.arange(nodes.start, nodes.stop), skip)
        return nodes

    def write_to(self, data: NetworkData) -> NetworkData:
        layers = [name for name in self.nodes if name != INPUT]
        if not layers:
            raise ValueError("NeuralGraph view: the network has no Linear or Conv layer")
        roles, levels, acts = [], [], []
        for name, ids in self.nodes.items():      # creation order = node id order
            role = ROLE_INPUT if name == INPUT else ROLE_OUTPUT if name == layers[-1] else ROLE_HIDDEN
            roles.append(torch.full((len(ids),), role))
            acts.append(torch.full((len(ids),), self.activation[name] if role == ROLE_HIDDEN else 0))
            levels.append(torch.full((len(ids),), 0 if name == INPUT else layers.index(name) + 1))
        data.ng_x = torch.cat(list(self.feats.values()))
        data.ng_edge_index = torch.cat(self.edges, dim=1)
        data.ng_edge_attr = torch.cat(self.attrs)
        data.ng_node_role = torch.cat(roles)
        data.ng_node_layer = torch.cat(levels)
        data.ng_node_act = torch.cat(acts)
        data.ng_node_pos = torch.cat([torch.arange(len(ids)) for ids in self.nodes.values()])
        data.ng_node2net = torch.zeros(self.num_nodes, dtype=torch.long)
        return data
