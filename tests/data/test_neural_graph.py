import pytest
import torch
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


def test_flatten_positions_become_the_edge_kernel():
    """Linear(C*P) after a flatten of C channels: one edge per (channel, neuron) carrying its P weights."""
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
            assert torch.allclose(g.ng_edge_attr[i, :4], lin[o, 4 * c:4 * c + 4] / rms, atol=1e-6)
            assert torch.all(g.ng_edge_attr[i, 4:-1] == 0)
    assert sum(dst in out_nodes for _, dst in edges) == 3 * 2


def test_residual_connections_become_identity_edges():
    from tests.symmetry.test_derive import ResidualMLP
    torch.manual_seed(0)
    model = ResidualMLP()                      # h = inp(x); h = h + b(relu(a(h))); out(relu(h))
    g = NeuralGraphView()(convert(model, chunk_size=8, dataflow=derive_dataflow(model)))
    # nodes: 4 inputs, inp 8 (4..11), a 6 (12..17), b 8 (18..25), out 2 (26..27)
    src, dst = g.ng_edge_index
    skip = g.ng_edge_attr[:, 0] == 1.0
    skip &= (g.ng_edge_attr[:, 1:] == 0).all(1)
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
