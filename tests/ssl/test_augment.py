"""Augmentations of converted networks and the contrastive losses."""
import math

import pytest
import torch
from torch_geometric.transforms import Compose

from sne_pyg import convert
from sne_pyg.ssl import GaussianNoise, PermuteNeurons, RandomErasing, nt_xent, positive_pair_loss
from tests import builders


def test_a_permuted_view_computes_the_same_function():
    model = builders.cnn_bn(seed=1).eval()
    data = convert(model, 16)
    view = PermuteNeurons(seed=3)(data)
    assert not torch.equal(view.chunks, data.chunks)
    rebuilt = builders.cnn_bn(seed=9).eval()
    rebuilt.load_state_dict(view.to_state_dict())
    x = torch.randn(4, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(rebuilt(x), model(x), atol=1e-5)
    assert torch.equal(view.chunks[~view.chunk_mask], torch.zeros_like(view.chunks[~view.chunk_mask]))


def test_per_architecture_specs_permute_a_zoo_of_mlps_cnns_and_transformers():
    """One transform for a heterogeneous zoo: the transformer's spec comes from its module (its layout gives
    none), the MLP's from its layout; each permuted view computes its network's function."""
    from sne_pyg.ssl import specs_by_architecture
    from sne_pyg.zoos.architectures import build_classifier
    torch.manual_seed(0)
    models = {name: build_classifier(name).eval() for name in ("transformer", "mlp")}
    permute = PermuteNeurons(specs_by_architecture([models["transformer"]]), seed=0)
    x = torch.randn(3, 1, 8, 8)
    for name, model in models.items():
        data = convert(model, 64)
        view = permute(data)
        assert not torch.equal(view.chunks, data.chunks), name
        rebuilt = build_classifier(name).eval()
        rebuilt.load_state_dict(view.to_state_dict())
        with torch.no_grad():
            assert torch.allclose(rebuilt(x), model(x), atol=1e-5), name
    with pytest.raises(Exception, match="derive them from the module"):
        PermuteNeurons(seed=0)(convert(models["transformer"], 64))


def test_erasing_zeroes_one_contiguous_block_within_the_bounds():
    data = convert(builders.mlp(seed=0, widths=(8, 16, 16, 4)), 16)
    values = data.chunks[data.chunk_mask]
    assert bool((values != 0).all())
    n = values.numel()
    erase = RandomErasing(p=1.0, scale=(0.03, 0.3), seed=5)
    lengths = set()
    for _ in range(40):
        out = erase(data).chunks[data.chunk_mask]
        zero = (out == 0).nonzero().flatten()
        assert zero.numel() > 0
        assert torch.equal(zero, torch.arange(int(zero[0]), int(zero[-1]) + 1))        # one contiguous block
        assert round(0.03 * n) <= zero.numel() <= round(0.3 * n)
        keep = torch.ones(n, dtype=torch.bool)
        keep[zero] = False
        assert torch.equal(out[keep], values[keep])                                      # nothing else changed
        lengths.add(zero.numel())
    assert len(lengths) > 10                                                             # the size varies
    never = RandomErasing(p=0.0, seed=5)
    assert all(torch.equal(never(data).chunks, data.chunks) for _ in range(5))
    half = RandomErasing(p=0.5, seed=1)
    hits = sum(not torch.equal(half(data).chunks, data.chunks) for _ in range(400))
    assert 160 < hits < 240


def test_noise_has_the_requested_sigma_and_spares_the_padding():
    data = convert(builders.mlp(seed=0, widths=(30, 40, 40, 10)), 64)
    out = GaussianNoise(sigma=0.05, seed=2)(data)
    diff = (out.chunks - data.chunks)[data.chunk_mask].double()
    assert abs(diff.std().item() - 0.05) < 0.05 * 0.05 and abs(diff.mean().item()) < 0.005
    assert bool((out.chunks[~data.chunk_mask] == 0).all())
    assert torch.equal(GaussianNoise(sigma=0.0)(data).chunks, data.chunks)
    with pytest.raises(ValueError, match="sigma"):
        GaussianNoise(sigma=-1)


def test_transforms_compose_and_are_seeded():
    data = convert(builders.mlp(seed=0), 8)
    make = lambda: Compose([PermuteNeurons(seed=1), RandomErasing(p=1.0, seed=2), GaussianNoise(0.01, seed=3)])  # noqa: E731
    a, b = make()(data), make()(data)
    assert torch.equal(a.chunks, b.chunks) and not torch.equal(a.chunks, data.chunks)


def _nt_xent_by_hand(u, v, tau):
    z = torch.cat([u, v])
    z = z / z.norm(dim=1, keepdim=True)
    n = u.size(0)
    total = 0.0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        sims = [math.exp(float(z[i] @ z[k]) / tau) for k in range(2 * n) if k != i]
        total += -math.log(math.exp(float(z[i] @ z[j]) / tau) / sum(sims))
    return total / (2 * n)


def test_nt_xent_matches_the_formula_and_rewards_aligned_pairs():
    torch.manual_seed(0)
    u, v = torch.randn(5, 7, dtype=torch.float64), torch.randn(5, 7, dtype=torch.float64)
    assert nt_xent(u, v, 0.1).item() == pytest.approx(_nt_xent_by_hand(u, v, 0.1), rel=1e-9)
    assert nt_xent(u, u + 1e-3 * v, 0.1) < nt_xent(u, v, 0.1)
    assert positive_pair_loss(u, 3 * u).item() == pytest.approx(0.0, abs=1e-12)
    assert positive_pair_loss(u, -u).item() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="one shape"):
        nt_xent(u, v[:3])


@pytest.mark.parametrize("transform", [RandomErasing(p=1.0, seed=0), GaussianNoise(0.1, seed=0)])
def test_erasing_and_noise_drop_views_derived_from_the_old_values(transform):
    """A NeuralGraph view cached on the data describes the old weights: a changed network must not keep it."""
    from sne_pyg.data.neural_graph import NeuralGraphView
    data = NeuralGraphView()(convert(builders.mlp(), chunk_size=8))
    view = transform(data)
    assert "ng_x" in data and "ng_edge_attr" not in view and not torch.equal(view.chunks, data.chunks)
    assert torch.equal(NeuralGraphView()(data).ng_edge_attr, data.ng_edge_attr)      # the source is untouched
