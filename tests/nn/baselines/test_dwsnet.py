import pytest
import torch
from torch_geometric.loader import DataLoader

from sne_pyg import convert
from sne_pyg.nn.baselines import DWSNet
from tests import builders

WIDTHS = (3, 6, 5, 4, 2)


def _batch(models):
    return next(iter(DataLoader([convert(m, chunk_size=8) for m in models], batch_size=len(models))))


def test_permuted_mlp_is_the_same_function():
    model = builders.mlp(widths=WIDTHS)
    x = torch.randn(9, 3)
    assert torch.allclose(model(x), builders.permute_mlp_hidden(model)(x), atol=1e-6)
    assert not torch.allclose(model(x), builders.permute_mlp_hidden(model, wrong=True)(x), atol=1e-3)


def test_model_is_invariant_and_can_tell_networks_apart():
    model = builders.mlp(widths=WIDTHS)
    batch = _batch([model, builders.permute_mlp_hidden(model), builders.permute_mlp_hidden(model, wrong=True)])
    net = DWSNet(hidden=16).double().eval()
    out = net(batch)
    assert torch.allclose(out[0], out[1], atol=1e-5)
    assert not torch.allclose(out[0], out[2], atol=1e-4)


def test_gradients_and_clear_errors():
    net = DWSNet(hidden=8)
    batch = _batch([builders.mlp(0, WIDTHS), builders.mlp(1, WIDTHS)])
    net.train()
    net(batch).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    with pytest.raises(ValueError, match="built for"):
        net(_batch([builders.mlp(0)]))
    with pytest.raises(ValueError, match="MLPs"):
        DWSNet()(_batch([builders.cnn_bn()]))
