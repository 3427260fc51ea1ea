import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.loader import DataLoader

from sne_pyg import convert
from sne_pyg.symmetry import derive_dataflow
from sne_pyg.data.neural_graph import ROLE_HIDDEN, ROLE_INPUT, ROLE_OUTPUT, NeuralGraphView
from tests import builders


def test_two_layer_mlp_graph_by_hand():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
        model[0].bias.copy_(torch.tensor([0.5, -0.5, 1.0]))
        model[2].weight.copy_(torch.tensor([[7.0, 8.0, 9.0]]))
        model[2].bias.copy_(torch.tensor([2.0]))
    g = NeuralGraphView(max_kernel=1)(convert(model, chunk_size=4))
    # nodes: inputs 0,1; hidden 2,3,4; output 5
    assert g.ng_node_role.tolist() == [ROLE_INPUT] * 2 + [ROLE_HIDDEN] * 3 + [ROLE_OUTPUT]
    assert g.ng_node_layer.tolist() == [0, 0, 1, 1, 1, 2]
    src, dst = g.ng_edge_index.tolist()
    assert list(zip(src, dst)) == [(0, 2), (1, 2), (0, 3), (1, 3), (0, 4), (1, 4), (2, 5), (3, 5), (4, 5)]
    w1_rms = torch.tensor([1.0, 2, 3, 4, 5, 6]).pow(2).mean().sqrt()
    w2_rms = torch.tensor([7.0, 8, 9]).pow(2).mean().sqrt()
    expected = torch.cat([torch.arange(1.0, 7.0) / w1_rms, torch.tensor([7.0, 8, 9]) / w2_rms])
    assert torch.allclose(g.ng_edge_attr[:, 0], expected)
    assert torch.allclose(g.ng_edge_attr[:6, 1], w1_rms.log().expand(6))
    b1_rms = torch.tensor([0.5, -0.5, 1.0]).pow(2).mean().sqrt()
    assert torch.allclose(g.ng_x[:, 0], torch.tensor([0, 0, 0.5 / b1_rms, -0.5 / b1_rms, 1.0 / b1_rms, 1.0]))
    assert torch.all(g.ng_x[:2] == 0)


def test_cnn_kernels_and_batchnorm_become_features():
    model = builders.cnn_bn()
    g = NeuralGraphView()(convert(model, chunk_size=8))
    conv, bn = model[0], model[1]
    # edges of the first conv: input channel 0 -> output channel j, 9 kernel values each
    first = g.ng_edge_attr[:4, :9]
    rms = conv.weight.pow(2).mean().sqrt()
    assert torch.allclose(first, (conv.weight[:, 0].reshape(4, 9) / rms).detach(), atol=1e-6)
    hidden = g.ng_x[1:5]       # 1 input channel, then conv0's 4 channels
    assert torch.allclose(hidden[:, 2], bn.weight.detach())
    assert torch.allclose(hidden[:, 4], bn.running_mean)
    assert torch.allclose(hidden[:, 5], bn.running_var)


def test_batching_offsets_the_graph():
    zoo = [NeuralGraphView()(convert(m, chunk_size=8)) for m in (builders.mlp(), builders.cnn_bn())]
    batch = next(iter(DataLoader(zoo, batch_size=2)))
    n0 = zoo[0].ng_x.size(0)
    assert torch.equal(batch.ng_edge_index, torch.cat([zoo[0].ng_edge_index, zoo[1].ng_edge_index + n0], 1))
    assert batch.ng_node2net.tolist() == [0] * n0 + [1] * zoo[1].ng_x.size(0)


@pytest.mark.parametrize("model,match", [(builders.transformer_encoder(), "ATTN_QUERY"),
                                         (nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(9, 1)),
                                          "flatten"),
                                         (nn.Sequential(nn.Conv2d(1, 2, 5)), "max_kernel")])
def test_unsupported_structures_are_named(model, match):
    with pytest.raises(ValueError, match=match):
        NeuralGraphView()(convert(model, chunk_size=8))


def _centred(kernel: torch.Tensor, side: int) -> torch.Tensor:
    """The official layout, written independently: zero-pad a 2-D kernel to side x side, ``full // 2`` before."""
    fh, fw = side - kernel.shape[0], side - kernel.shape[1]
    return F.pad(kernel, (fw // 2, fw - fw // 2, fh // 2, fh - fh // 2)).flatten()


def test_flatten_positions_become_the_edge_kernel():
    """Linear(C*P) after a flatten of C channels: one edge per (channel, neuron) carrying its P weights
    (the 2x2 positions laid out as a kernel in the 3x3 slots)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 2))
    g = NeuralGraphView()(convert(model, chunk_size=8))
    conv_nodes, out_nodes = range(1, 4), range(4, 6)      # node 0: the input channel
    edges = g.ng_edge_index.t().tolist()
    lin = model[4].weight.detach()
    rms = lin.pow(2).mean().sqrt()
    for i, (src, dst) in enumerate(edges):
        if dst in out_nodes:
            c, o = src - conv_nodes.start, dst - out_nodes.start
            assert src in conv_nodes
            expected = _centred(lin[o, 4 * c:4 * c + 4].reshape(2, 2) / rms, 3)
            assert torch.allclose(g.ng_edge_attr[i, :-1], expected, atol=1e-6)
    assert sum(dst in out_nodes for _, dst in edges) == 3 * 2


def test_residual_connections_become_identity_edges():
    from tests.symmetry.test_derive import ResidualMLP
    torch.manual_seed(0)
    model = ResidualMLP()                      # h = inp(x); h = h + b(relu(a(h))); out(relu(h))
    g = NeuralGraphView()(convert(model, chunk_size=8, dataflow=derive_dataflow(model)))
    # nodes: 4 inputs, inp 8 (4..11), a 6 (12..17), b 8 (18..25), out 2 (26..27)
    src, dst = g.ng_edge_index
    centre = 9 // 2                            # the identity weight sits in the centre slot
    skip = g.ng_edge_attr[:, centre] == 1.0
    skip &= (g.ng_edge_attr[:, torch.arange(10) != centre] == 0).all(1)
    assert torch.equal(src[skip], torch.arange(4, 12)) and torch.equal(dst[skip], torch.arange(18, 26))
    # 'out' reads the summed stream, represented by b's nodes
    out_edges = dst >= 26
    assert set(src[out_edges].tolist()) == set(range(18, 26))
    # without recorded dataflow the layers form a chain and no identity edge exists
    chain = NeuralGraphView()(convert(model, chunk_size=8))
    assert chain.ng_edge_index.size(1) == g.ng_edge_index.size(1) - 8


def test_dataflow_view_equals_chain_view_without_skips():
    model = builders.cnn_bn()
    with_flow = NeuralGraphView()(convert(model, chunk_size=8, dataflow=derive_dataflow(model)))
    chain = NeuralGraphView()(convert(model, chunk_size=8))
    for key in ("ng_x", "ng_edge_index", "ng_edge_attr", "ng_node_role", "ng_node_layer"):
        assert torch.equal(with_flow[key], chain[key]), key


def test_dataflow_must_be_a_mapping_of_sources():
    with pytest.raises(TypeError, match="derive_dataflow"):
        convert(builders.mlp().state_dict(), dataflow=True)
    data = convert(builders.mlp(), dataflow={"2": ["0"]})
    assert data.layout.dataflow == {"2": ("0",)}


def test_largest_kernel_is_the_smallest_max_kernel_that_reads_every_network():
    from sne_pyg.data.neural_graph import largest_kernel
    nets = [convert(builders.mlp(), chunk_size=8),
            convert(nn.Sequential(nn.Conv2d(1, 3, 3), nn.Flatten(), nn.Linear(12, 2)), chunk_size=8),
            convert(nn.Sequential(nn.Conv2d(1, 2, 5), nn.Conv2d(2, 2, 3)), chunk_size=8)]
    assert [largest_kernel([n]) for n in nets] == [1, 9, 25]
    assert largest_kernel(nets) == 25
    for net in nets:
        k = largest_kernel([net])
        NeuralGraphView(max_kernel=k)(net.clone())
        if k > 1:
            with pytest.raises(ValueError, match="max_kernel"):
                NeuralGraphView(max_kernel=k - 1)(net.clone())


def test_mixed_kernels_are_centred_and_linear_weights_sit_in_the_centre_slot():
    """A 3x3 kernel among 5x5 slots sits in the middle (as the official code pads it); a Linear weight
    and a 1x1 kernel sit in the centre slot; nothing else is written."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 5), nn.ReLU(), nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Conv2d(3, 2, 1),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 2))
    g = NeuralGraphView(max_kernel=25)(convert(model, chunk_size=8))
    src, dst = g.ng_edge_index
    layer_of_dst = g.ng_node_layer[dst]
    for layer, module in ((1, model[0]), (2, model[2]), (3, model[4])):
        w = module.weight.detach()
        rms = w.pow(2).mean().sqrt()
        edges = (layer_of_dst == layer).nonzero().flatten()
        assert len(edges) == w.shape[0] * w.shape[1]
        first_in = int(src[edges].min())
        first_out = int(dst[edges].min())
        for e in edges.tolist():
            o, i = int(dst[e]) - first_out, int(src[e]) - first_in
            assert torch.allclose(g.ng_edge_attr[e, :-1], _centred(w[o, i] / rms, 5), atol=1e-6)
    lin = model[7].weight.detach()
    edges = (layer_of_dst == 4).nonzero().flatten()
    values = g.ng_edge_attr[edges, :-1]
    assert torch.all(values[:, torch.arange(25) != 12] == 0)
    assert torch.allclose(values[:, 12].sort().values, (lin / lin.pow(2).mean().sqrt()).flatten().sort().values)


def test_residual_cnn_identity_edges_sit_in_the_centre_slot():
    class ResidualCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem, self.a, self.b = nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1)
            self.head = nn.Linear(4, 2)

        def forward(self, x):
            h = torch.relu(self.stem(x))
            h = torch.relu(h + self.b(torch.relu(self.a(h))))
            return self.head(h.mean((2, 3)))

    torch.manual_seed(0)
    model = ResidualCNN()
    g = NeuralGraphView(max_kernel=9)(convert(model, chunk_size=8, dataflow=derive_dataflow(model)))
    src, dst = g.ng_edge_index
    stem, b = torch.arange(1, 5), torch.arange(9, 13)       # node 0: the input channel; a: 5..8
    identity = (g.ng_node_layer[src] == 1) & (g.ng_node_layer[dst] == 3)
    assert torch.equal(src[identity], stem) and torch.equal(dst[identity], b)
    expected = torch.zeros(int(identity.sum()), 10)
    expected[:, 4] = 1.0
    assert torch.equal(g.ng_edge_attr[identity], expected)


def test_activations_are_recorded_and_embedded_on_hidden_neurons_only():
    from sne_pyg.data.activations import ACTIVATION_NAMES, activation_id, derive_activations
    from tests.symmetry.test_derive import ResidualMLP, cnn_flatten
    assert derive_activations(cnn_flatten()) == {"0": "relu", "3": "relu", "6": "tanh"}
    # reused torch.relu on a residual sum belongs to the sum's latest layer (b), as the view's nodes do
    assert derive_activations(ResidualMLP()) == {"a": "relu", "b": "relu"}
    model = cnn_flatten()
    g = NeuralGraphView(max_kernel=16)(convert(model, chunk_size=8, activations=derive_activations(model)))
    by_layer = {int(layer): set(g.ng_node_act[g.ng_node_layer == layer].tolist()) for layer in g.ng_node_layer.unique()}
    relu, tanh = activation_id("relu"), activation_id("tanh")
    assert by_layer == {0: {0}, 1: {relu}, 2: {relu}, 3: {tanh}, 4: {0}}
    assert relu == 1 + ACTIVATION_NAMES.index("relu")
    plain = NeuralGraphView(max_kernel=16)(convert(model, chunk_size=8))
    assert torch.all(plain.ng_node_act == 0)
    with pytest.raises(ValueError, match="'9' is not a layer"):
        convert(model, activations={"9": "relu"})
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        convert(model, activations={"0": "swish"})


def test_the_activation_embedding_changes_only_hidden_neurons_of_recorded_layers():
    """With zero-initialised activation embeddings a recorded activation changes nothing; once the
    embedding is non-zero, networks that differ only in activation get different embeddings."""
    from sne_pyg.data.activations import derive_activations
    from sne_pyg.nn.baselines.neural_graph import NeuralGraph
    torch.manual_seed(0)
    relu_net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    tanh_net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    tanh_net.load_state_dict(relu_net.state_dict())
    nets = [NeuralGraphView(1)(convert(m, chunk_size=4, activations=derive_activations(m))) for m in (relu_net, tanh_net)]
    batch = next(iter(DataLoader(nets, batch_size=2)))
    torch.manual_seed(1)
    model = NeuralGraph(hidden=8, out_dim=None, layers=2, max_kernel=1).eval()
    z = model(batch)
    assert torch.equal(z[0], z[1])                       # same weights, zero embedding
    torch.nn.init.normal_(model.activation.weight)
    z = model(batch)
    assert not torch.allclose(z[0], z[1])
    model.reset_parameters()
    assert torch.all(model.activation.weight == 0)
