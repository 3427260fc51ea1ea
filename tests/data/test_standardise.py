import pytest
import torch

from sne_pyg import convert
from sne_pyg.data.standardise import WeightStandardiser
from sne_pyg.symmetry import apply_to_data, spec_from_layout
from tests import builders


def _cnns(n=5):
    """cnn_bn networks whose BatchNorm weights and biases vary too (fresh ones are constant 1 and 0)."""
    modules = [builders.cnn_bn(seed) for seed in range(n)]
    with torch.no_grad():
        for m in modules:
            for norm in (m[1], m[4]):
                norm.weight.uniform_(0.5, 1.5)
                norm.bias.normal_()
    return modules


def _zoo(n=5, chunk_size=7):
    return [convert(m, chunk_size=chunk_size) for m in _cnns(n)]


def _pooled(modules, key):
    """Mean and population std of one state_dict entry over the modules (computed without the library)."""
    values = torch.cat([m.state_dict()[key].double().flatten() for m in modules])
    return values.mean(), values.std(unbiased=False)


def test_every_entry_is_z_scored_with_its_pooled_training_statistics():
    modules = _cnns()
    zoo = [convert(m, chunk_size=7) for m in modules]
    standardise = WeightStandardiser().fit(zoo[:4])
    encoded = zoo[0].layout.params
    for key in encoded:
        mean, std = _pooled(modules[:4], key)
        assert standardise.mean[key] == pytest.approx(float(mean), abs=1e-9)
        assert standardise.std[key] == pytest.approx(float(std), rel=1e-9)
    held_out = standardise(zoo[4]).to_state_dict()                      # a network outside the fit
    for key in encoded:
        mean, std = _pooled(modules[:4], key)
        expected = (modules[4].state_dict()[key].double() - mean) / std
        assert torch.allclose(held_out[key].double(), expected, atol=1e-5), key
    assert torch.equal(held_out["1.num_batches_tracked"], modules[4].state_dict()["1.num_batches_tracked"])  # skipped


def test_the_fitted_networks_have_mean_zero_and_std_one_per_entry_and_padding_stays_zero():
    zoo = _zoo()
    standardise = WeightStandardiser().fit(zoo)
    out = standardise.transform(zoo)
    for key in zoo[0].layout.params:
        values = torch.cat([d.to_state_dict()[key].double().flatten() for d in out])
        assert abs(float(values.mean())) < 1e-5 and abs(float(values.std(unbiased=False)) - 1) < 1e-5
    for before, after in zip(zoo, out):
        assert not bool(after.chunks[~after.chunk_mask].any())          # padding zero
        assert not torch.equal(before.chunks, after.chunks)              # the input is untouched, a copy changed
        assert torch.equal(before.chunks, _zoo()[zoo.index(before)].chunks)


def test_standardising_commutes_with_permuting_neurons():
    zoo = _zoo()
    standardise = WeightStandardiser().fit(zoo)
    data = zoo[2]
    spec = spec_from_layout(data)
    perms = spec.sample(torch.Generator().manual_seed(3))
    assert any(not torch.equal(p, torch.arange(len(p))) for p in perms)
    first = standardise(apply_to_data(data, spec, perms))
    second = apply_to_data(standardise(data), spec, perms)
    assert torch.allclose(first.chunks, second.chunks, atol=1e-6)


def test_a_constant_entry_is_shifted_not_divided_by_zero():
    modules = [builders.mlp(seed) for seed in range(3)]
    for m in modules:
        torch.nn.init.constant_(m[0].bias, 0.25)
    zoo = [convert(m, chunk_size=8) for m in modules]
    standardise = WeightStandardiser().fit(zoo)
    assert standardise.std["0.bias"] < 1e-8
    out = standardise(zoo[0]).to_state_dict()
    assert torch.all(out["0.bias"] == 0) and torch.isfinite(out["0.weight"]).all()


def test_bad_use_is_refused_with_the_reason():
    mlps = [convert(builders.mlp(seed), chunk_size=7) for seed in range(2)]
    with pytest.raises(RuntimeError, match="fit"):
        WeightStandardiser()(mlps[0])
    with pytest.raises(ValueError, match="at least one network"):
        WeightStandardiser().fit([])
    standardise = WeightStandardiser().fit(mlps)
    with pytest.raises(KeyError, match="'1.weight'"):             # cnn_bn's BatchNorm: no MLP has it
        standardise(convert(builders.cnn_bn(0), chunk_size=7))
    assert repr(standardise) == "WeightStandardiser(entries=6, eps=1e-08)"
