import pytest
import torch
from torch_geometric.loader import DataLoader

from sne_pyg import convert
from sne_pyg.nn.baselines import DeepSets, FlatMLP, StatNN
from tests import builders


def _batch(models, c=8):
    return next(iter(DataLoader([convert(m, chunk_size=c) for m in models], batch_size=len(models))))


def test_deepsets_takes_mixed_architectures_and_is_batch_independent():
    models = [builders.mlp(), builders.cnn_bn(), builders.transformer_encoder()]
    torch.manual_seed(0)
    net = DeepSets(hidden=16).double().eval()
    out = net(_batch(models))
    alone = torch.cat([net(convert(m, chunk_size=8)) for m in models])
    assert out.shape == (3, 1)
    assert torch.allclose(out, alone, atol=1e-6)


def test_deepsets_ignores_the_arrangement_of_values_within_a_layer():
    model = builders.mlp()
    shuffled = builders.mlp()
    with torch.no_grad():
        for p in shuffled.parameters():
            p.copy_(p.flatten()[torch.randperm(p.numel())].view_as(p))
    net = DeepSets(hidden=16).double().eval()
    out = net(_batch([model, shuffled]))
    assert torch.allclose(out[0], out[1], atol=1e-6)


@pytest.mark.parametrize("cls", [FlatMLP, StatNN])
def test_fixed_architecture_models(cls):
    net = cls(hidden=16)
    net.train()
    out = net(_batch([builders.mlp(0), builders.mlp(1), builders.mlp(2)]))
    assert out.shape == (3, 1)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    with pytest.raises(ValueError, match="one architecture"):
        net(_batch([builders.mlp(), builders.cnn_bn()]))
