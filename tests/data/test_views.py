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
    space = weight_space_view(_batch([model, builders.mlp(1)]))
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for w, b, lin in zip(space.weights, space.biases, linears):
        assert torch.equal(w[0], lin.weight)              # [out, in], as PyTorch stores it
        assert torch.equal(b[0], lin.bias)
    assert space.sizes == [3, 7, 5, 2] and space.kernels == [(), (), ()]
    with pytest.raises(ValueError, match="MLPs"):
        weight_space_view(_batch([builders.cnn_bn()]))
    with pytest.raises(ValueError, match="layer '1' is BATCHNORM"):
        weight_space_view(_batch([builders.cnn_bn()]), convolutions=True)
    no_bias = torch.nn.Sequential(torch.nn.Linear(3, 4, bias=False))
    with pytest.raises(ValueError, match="bias"):
        weight_space_view(_batch([no_bias]))


def test_weight_space_view_of_a_cnn_keeps_every_kernel():
    torch.manual_seed(0)
    cnn = torch.nn.Sequential(torch.nn.Conv2d(2, 3, (3, 2)), torch.nn.ReLU(), torch.nn.Conv1d(3, 4, 1),
                              torch.nn.AdaptiveAvgPool1d(1), torch.nn.Flatten(), torch.nn.Linear(4, 5))
    state = cnn.state_dict()
    space = weight_space_view(_batch([cnn]), convolutions=True)
    for l, key in enumerate(["0", "2", "5"]):
        assert torch.equal(space.weights[l][0], state[f"{key}.weight"])
        assert torch.equal(space.biases[l][0], state[f"{key}.bias"])
    assert space.sizes == [2, 3, 4, 5] and space.kernels == [(3, 2), (1,), ()]


def test_weight_space_view_refuses_what_is_not_a_chain():
    flatten = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(2 * 4 * 4, 3))
    with pytest.raises(ValueError, match="layer '2' takes 32 inputs but layer '0' gives 2 outputs .*flatten"):
        weight_space_view(_batch([flatten]), convolutions=True)

    class Residual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c = torch.nn.Linear(3, 4), torch.nn.Linear(4, 4), torch.nn.Linear(4, 2)

        def forward(self, x):
            h = self.a(x)
            return self.c(h + self.b(h))
    from sne_pyg.symmetry import derive_dataflow
    model = Residual()
    data = convert(model, chunk_size=8, dataflow=derive_dataflow(model, torch.randn(2, 3)))
    with pytest.raises(ValueError, match="layer 'c' reads .*residual"):
        weight_space_view(next(iter(DataLoader([data], batch_size=1))))
    assert len(weight_space_view(_batch([model])).weights) == 3        # without a traced dataflow: read as a chain
