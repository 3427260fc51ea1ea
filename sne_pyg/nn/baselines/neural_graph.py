r"""NeuralGraph (NG-GNN, Kofinas et al., ICLR 2024) over the neural-graph view.

Each layer is PNA-style message passing with edge features:

.. math::
    m_{ij} &= \mathrm{MLP}([h_i, h_j]) \odot (1 + \gamma(e_{ij})) + \beta(e_{ij})
        \quad \text{(FiLM by the edge)} \\
    h_i' &= h_i + \mathrm{MLP}\big([h_i,\ \mathrm{agg}_j m_{ij},\ \log(1+\deg_i)\,\mathrm{agg}_j m_{ij}]\big),
        \quad \mathrm{agg} = [\mathrm{mean}, \max, \mathrm{std}] \\
    e_{ij}' &= e_{ij} + \mathrm{MLP}([h_i, h_j, e_{ij}])

over edges in both directions (a direction flag is an edge feature). Input and output neurons
get positional embeddings of their index; hidden neurons only of their layer, so the model is
invariant to hidden-neuron permutations. Hidden neurons also get an embedding of their layer's
activation function where the conversion recorded it (``ng_node_act``, as the official code does for
zoos that mix activations; zero where none is recorded). Readout: mean and max over the nodes of each network.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.loader import DataLoader
from torch_geometric.nn import MLP, MessagePassing
from torch_geometric.nn.aggr import MultiAggregation
from torch_geometric.utils import degree

from ...data.activations import ACTIVATION_NAMES
from ...data.network_data import NetworkData
from ...data.neural_graph import NODE_FEATURES, ROLE_HIDDEN, NeuralGraphView
from ...segment import segment_max, segment_mean, ptr_from_sizes
from ..encodings import sinusoidal
from ..encoder import NetworkEncoder, reset_children


class NGLayer(MessagePassing):
    """One FiLM-modulated, PNA-aggregated message-passing layer with an edge update."""

    def __init__(self, hidden: int, update_edges: bool = True) -> None:
        super().__init__(aggr=MultiAggregation(["mean", "max", "std"]))
        self.message_mlp = MLP([2 * hidden, hidden, hidden], norm=None)
        self.film = nn.Linear(hidden, 2 * hidden)
        self.update_mlp = MLP([hidden + 6 * hidden, hidden, hidden], norm=None)
        self.node_norm = nn.LayerNorm(hidden)
        self.update_edges = update_edges
        if update_edges:   # the last layer's edges are read by nobody
            self.edge_mlp = MLP([3 * hidden, hidden, hidden], norm=None)
            self.edge_norm = nn.LayerNorm(hidden)

    def reset_parameters(self) -> None:
        reset_children(self)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> tuple[Tensor, Tensor]:
        agg = self.propagate(edge_index, x=x, edge_attr=edge_attr)
        log_deg = torch.log1p(degree(edge_index[1], x.size(0), dtype=x.dtype)).unsqueeze(-1)
        x_new = x + self.update_mlp(torch.cat([x, agg, agg * log_deg], dim=-1))
        if not self.update_edges:
            return self.node_norm(x_new), edge_attr
        src, dst = edge_index
        e_new = edge_attr + self.edge_mlp(torch.cat([x_new[dst], x_new[src], edge_attr], dim=-1))
        return self.node_norm(x_new), self.edge_norm(e_new)

    def message(self, x_i: Tensor, x_j: Tensor, edge_attr: Tensor) -> Tensor:
        gamma, beta = self.film(edge_attr).chunk(2, dim=-1)
        return self.message_mlp(torch.cat([x_i, x_j], dim=-1)) * (1 + gamma) + beta


class NeuralGraph(NetworkEncoder, name="neural_graph"):
    """NG-GNN: a batch of converted MLPs/CNNs -> one row per network.

    The neural-graph view is read from ``ng_*`` attributes when a dataset was built with
    :class:`~sne_pyg.data.neural_graph.NeuralGraphView` as (pre_)transform, and computed here
    otherwise (slower). ``layers=4`` as in the paper.
    """

    def __init__(self, hidden: int = 64, out_dim: int | None = 1, layers: int = 4, max_kernel: int = 9) -> None:
        super().__init__()
        self.view = NeuralGraphView(max_kernel)
        self.node_in = nn.Linear(NODE_FEATURES, hidden)
        self.edge_in = nn.Linear(max_kernel + 2, hidden)       # kernel values, log rms, direction
        self.role = nn.Embedding(3, hidden)
        self.level = nn.Linear(32, hidden)
        self.position = nn.Linear(32, hidden)
        self.convs = nn.ModuleList(NGLayer(hidden, update_edges=i < layers - 1) for i in range(layers))
        self.readout = MLP([2 * hidden, hidden, hidden], norm=None)
        # starts at zero without drawing random numbers: every other parameter gets the initial values it
        # had before this embedding existed, and a zoo without recorded activations computes the same
        self.activation = nn.Embedding(len(ACTIVATION_NAMES) + 1, hidden, padding_idx=0,
                                       _weight=torch.zeros(len(ACTIVATION_NAMES) + 1, hidden))

    def reset_parameters(self) -> None:
        super().reset_parameters()
        nn.init.zeros_(self.activation.weight)

    def prepare(self, data: NetworkData) -> NetworkData:
        """Add the neural-graph view once (training loops call this on every network)."""
        return data if "ng_x" in data else self.view(data.clone())

    def graph(self, data: NetworkData) -> NetworkData:
        """``data`` with its neural-graph view, built on the CPU (like a dataset transform) and moved to
        ``data``'s device."""
        if "ng_x" in data:
            return data
        device = data.chunks.device
        if device.type != "cpu":
            return self.graph(data.cpu()).to(device)
        if data.num_networks == 1 and not isinstance(data.layout, list):
            return self.view(data.clone())
        examples = [self.view(data.get_example(i)) for i in range(data.num_networks)]
        return next(iter(DataLoader(examples, batch_size=len(examples))))

    def encode(self, data: NetworkData) -> Tensor:
        g = self.graph(data)
        dtype = self.node_in.weight.dtype
        hidden_node = (g.ng_node_role == ROLE_HIDDEN).unsqueeze(-1)
        position = torch.where(hidden_node, 0.0, self.position(sinusoidal(g.ng_node_pos, 32).to(dtype)))
        x = (self.node_in(g.ng_x.to(dtype)) + self.role(g.ng_node_role)
             + self.level(sinusoidal(g.ng_node_layer, 32).to(dtype)) + position)
        if "ng_node_act" in g:
            x = x + self.activation(g.ng_node_act)
        forward_edges, attr = g.ng_edge_index, g.ng_edge_attr.to(dtype)
        edge_index = torch.cat([forward_edges, forward_edges.flip(0)], dim=1)
        direction = torch.cat([attr.new_zeros(attr.size(0), 1), attr.new_ones(attr.size(0), 1)])
        e = self.edge_in(torch.cat([torch.cat([attr, attr]), direction], dim=-1))
        for conv in self.convs:
            x, e = conv(x, edge_index, e)
        sizes = torch.bincount(g.ng_node2net, minlength=g.num_networks)
        ptr = ptr_from_sizes(sizes)
        return self.readout(torch.cat([segment_mean(x, ptr), segment_max(x, ptr)], dim=-1))

