"""SNE's neuron context: each element's row, column, outgoing and incoming statistics, against a hand computation
from the module's own weights, its invariance under hidden-neuron permutations, and what it tells apart."""
import copy

import pytest
import torch

from sne_pyg import SNE, convert
from sne_pyg.nn.features import layer_rms
from sne_pyg.nn.neuron_context import NeuronContext
from tests import builders


def _mean_rms(values: torch.Tensor) -> list[float]:
    return [values.mean().item(), values.pow(2).mean().sqrt().item()]


def test_features_match_a_hand_computation_from_the_weights():
    net = builders.mlp()                                            # 3 -> 7 -> 5 -> 2, every Linear with a bias
    data = convert(net, chunk_size=8)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    matrices = [torch.cat([m.weight, m.bias[:, None]], 1).detach().double() for m in linears]   # row i = [W_i | b_i]
    matrices = [m / m.pow(2).mean().sqrt() for m in matrices]                                 # v / rms of the layer
    expected = []
    for l, m in enumerate(matrices):
        for i in range(m.size(0)):
            for j in range(m.size(1)):
                outgoing = _mean_rms(matrices[l + 1][:, i]) if l + 1 < len(matrices) else [0.0, 0.0]
                incoming = _mean_rms(matrices[l - 1][j]) if l > 0 and j < m.size(1) - 1 else [0.0, 0.0]
                expected.append(_mean_rms(m[i]) + _mean_rms(m[:, j]) + outgoing + incoming)
    context = NeuronContext(data, layer_rms(data))
    features = context.features(slice(0, data.chunks.size(0)))
    valid = torch.arange(8) < data.chunk_len[:, None]
    assert torch.allclose(features[valid].double(), torch.tensor(expected, dtype=torch.float64), atol=1e-6)
    assert features[~valid].abs().sum() == 0                       # padding gets zeros
    # blocks of any size give the same statistics and features
    small = NeuronContext(data, layer_rms(data), block=3)
    assert torch.allclose(small.features(slice(2, 9)), features[2:9], atol=1e-6)


def _permuted_hidden(net, generator):
    """The same function with the 7 and 5 hidden neurons permuted."""
    other = copy.deepcopy(net)
    linears = [m for m in other if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for a, b in zip(linears[:-1], linears[1:]):
            perm = torch.randperm(a.out_features, generator=generator)
            a.weight.copy_(a.weight[perm]), a.bias.copy_(a.bias[perm])
            b.weight.copy_(b.weight[:, perm])
    return other


def test_hidden_neuron_permutations_change_nothing_when_every_layer_is_one_chunk():
    net = builders.mlp()
    other = _permuted_hidden(net, torch.Generator().manual_seed(0))
    x = torch.randn(4, 3)
    assert torch.allclose(net(x), other(x), atol=1e-6)
    torch.manual_seed(0)
    model = SNE(hidden=16, out_dim=None, heads=2, neuron_context=True).double().eval()
    with torch.no_grad():
        a, b = model(convert(net, chunk_size=64)), model(convert(other, chunk_size=64))
    assert torch.allclose(a, b, atol=1e-10)


def test_the_context_tells_apart_networks_whose_layers_hold_the_same_values():
    """Swapping two weights of one layer between neurons keeps each layer's bag of values (so SNE without the
    context, one chunk per layer, cannot see it) but changes which neurons they connect."""
    net = builders.mlp()
    other = copy.deepcopy(net)
    with torch.no_grad():
        w = other[2].weight                                           # the 7 -> 5 layer
        w[0, 0], w[1, 3] = w[1, 3].clone(), w[0, 0].clone()
    x = torch.randn(4, 3)
    assert not torch.allclose(net(x), other(x))
    outputs = {}
    for context in (False, True):
        torch.manual_seed(0)
        model = SNE(hidden=16, out_dim=None, heads=2, neuron_context=context).double().eval()
        with torch.no_grad():
            outputs[context] = (model(convert(net, chunk_size=64)), model(convert(other, chunk_size=64)))
    assert torch.allclose(*outputs[False], atol=1e-10)
    assert not torch.allclose(*outputs[True], atol=1e-6)


def test_a_norm_layer_links_to_the_convolution_that_reads_it():
    data = convert(builders.cnn_bn(), chunk_size=16)               # conv, BN, conv, BN, Linear
    context = NeuronContext(data, layer_rms(data))
    assert context.next_linked.tolist() == [False, True, False, True, False]
    assert context.group.tolist()[1:] == [0, 9, 0, 1]               # 3x3 kernels: 9 columns per input channel


def test_bad_option_is_named():
    with pytest.raises(ValueError, match="neuron_context"):
        SNE(hidden=8, neuron_context="yes")
