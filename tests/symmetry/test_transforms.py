import pytest
import torch
from torch import nn
from torch_geometric.loader import DataLoader

from sne_pyg import convert
from sne_pyg.symmetry import (SymmetryError, apply_to_data, apply_to_module, derive_permutation_spec,
                              positive_scaling, random_permutation, sign_flip, spec_from_layout)
from sne_pyg.zoos import SirenINR
from tests import builders


def test_random_permutation_of_a_module_is_a_copy_with_the_same_function():
    model = builders.mlp()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    permuted = random_permutation(model, torch.Generator().manual_seed(0))
    assert type(permuted) is type(model) and permuted is not model
    assert list(permuted.state_dict()) == list(before)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in before.items())     # input untouched
    x = torch.randn(6, 3)
    assert torch.allclose(model(x), permuted(x), atol=1e-6)


@pytest.mark.parametrize("build", [builders.mlp, builders.cnn_bn, SirenINR])
def test_permuting_converted_data_equals_converting_the_permuted_module(build):
    torch.manual_seed(0)
    model = build()
    data = convert(model, chunk_size=7)
    module_spec, data_spec = derive_permutation_spec(model), spec_from_layout(data)
    assert [g.size for g in module_spec.groups] == [g.size for g in data_spec.groups]
    perms = module_spec.sample(torch.Generator().manual_seed(3))
    expected = convert(apply_to_module(model, module_spec, perms), chunk_size=7)
    got = apply_to_data(data, data_spec, perms)
    assert torch.equal(got.chunks, expected.chunks)
    assert not torch.equal(got.chunks, data.chunks)


def test_permuting_a_batch_keeps_every_network_function():
    models = [builders.mlp(seed=i) for i in range(3)] + [builders.cnn_bn()]
    batch = next(iter(DataLoader([convert(m, chunk_size=8) for m in models], batch_size=4)))
    permuted = random_permutation(batch, torch.Generator().manual_seed(1))
    assert not torch.equal(permuted.chunks, batch.chunks)
    assert torch.equal(permuted.chunk2layer, batch.chunk2layer)
    for i, model in enumerate(models):
        rebuilt = builders.cnn_bn(seed=5) if i == 3 else builders.mlp(seed=9)
        rebuilt.load_state_dict(permuted.get_example(i).to_state_dict())
        x = torch.randn(2, 1, 8, 8) if i == 3 else torch.randn(4, 3)
        with torch.no_grad():
            assert torch.allclose(rebuilt.eval()(x), model.eval()(x), atol=1e-5)


def test_sign_flip_for_odd_activations():
    for model, x in [(SirenINR(), torch.randn(9, 1)),
                     (nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)), torch.randn(5, 3))]:
        flipped = sign_flip(model, torch.Generator().manual_seed(0))
        assert any(not torch.equal(a, b) for a, b in zip(model.state_dict().values(), flipped.state_dict().values()))
        assert torch.allclose(model(x), flipped(x), atol=1e-5)
    with pytest.raises(SymmetryError, match="odd"):
        sign_flip(builders.mlp())                       # ReLU is not odd


def test_positive_scaling_for_relu():
    model = builders.mlp()
    scaled = positive_scaling(model, torch.Generator().manual_seed(0))
    x = torch.randn(5, 3)
    assert not torch.equal(model[0].weight, scaled[0].weight)
    assert torch.allclose(model(x), scaled(x), atol=1e-5)
    with pytest.raises(SymmetryError, match="ReLU"):
        positive_scaling(nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)))
    with pytest.raises(SymmetryError, match="ReLU"):
        positive_scaling(builders.cnn_bn())             # BatchNorm undoes a scale: not this symmetry


def test_layout_spec_refuses_what_it_cannot_read():
    with pytest.raises(SymmetryError, match="derive them from the module"):
        spec_from_layout(convert(builders.transformer_encoder()))


def test_permutation_drops_views_derived_from_the_old_values():
    from sne_pyg.data.neural_graph import NeuralGraphView
    model = builders.mlp()
    data = NeuralGraphView()(convert(model, chunk_size=8))
    permuted = random_permutation(data, torch.Generator().manual_seed(0))
    assert "ng_x" in data and "ng_x" not in permuted
    recomputed = NeuralGraphView()(permuted)
    assert not torch.equal(recomputed.ng_edge_attr, data.ng_edge_attr)   # same graph, permuted weights
    assert torch.equal(recomputed.ng_edge_attr.sort(0).values, data.ng_edge_attr.sort(0).values)
