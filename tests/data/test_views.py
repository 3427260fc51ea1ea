import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from sne_pyg import convert
from sne_pyg.data.views import element_view, flat_view, statistics_view, weight_space_view
from tests import builders


def _batch(models, c=8):
    return next(iter(DataLoader([convert(m, chunk_size=c) for m in models], batch_size=len(models))))


def test_element_view_is_every_parameter_in_order():
    models = [builders.mlp(), builders.cnn_bn()]
    view = element_view(_batch(models, c=7))
    expected, nets = [], []
    for i, model in enumerate(models):
        for data_layer in convert(model, chunk_size=7).layout.layers:
            module_params = [model.state_dict()[p.key] for p in data_layer.pieces]
            block = torch.cat([p.view(p.shape[0], -1) if p.dim() else p.view(1, 1) for p in module_params], 1)
            expected.append(block.flatten())
            nets.append(torch.full((block.numel(),), i))
    assert torch.equal(view.values, torch.cat(expected))
    assert torch.equal(view.net, torch.cat(nets))
    assert view.net_ptr.tolist() == [0, len(torch.cat(nets)) - (view.net == 1).sum().item(), view.values.numel()]


def test_flat_view_needs_one_architecture():
    assert flat_view(_batch([builders.mlp(0), builders.mlp(1)])).shape == (2, 7 * 4 + 5 * 8 + 2 * 6)
    with pytest.raises(ValueError, match="one architecture"):
        flat_view(_batch([builders.mlp(), builders.cnn_bn()]))


def test_statistics_equal_numpy_per_tensor():
    models = [builders.cnn_bn(0), builders.cnn_bn(1)]
    stats = statistics_view(_batch(models))
    for row, model in zip(stats, models):
        expected = []
        for key, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            v = t.double().numpy().ravel()
            expected += [v.mean(), v.var(), *np.quantile(v, [0, 0.25, 0.5, 0.75, 1])]
        assert np.allclose(row.double().numpy(), expected, atol=1e-6)


def test_weight_space_view_and_its_errors():
    model = builders.mlp()
    weights, biases = weight_space_view(_batch([model, builders.mlp(1)]))
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for w, b, lin in zip(weights, biases, linears):
        assert torch.equal(w[0], lin.weight.t())         # DWSNet convention: [d_in, d_out]
        assert torch.equal(b[0], lin.bias)
    with pytest.raises(ValueError, match="MLPs"):
        weight_space_view(_batch([builders.cnn_bn()]))
    no_bias = torch.nn.Sequential(torch.nn.Linear(3, 4, bias=False))
    with pytest.raises(ValueError, match="bias"):
        weight_space_view(_batch([no_bias]))
