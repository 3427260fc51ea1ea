"""Batched two-view augmentation: the same views as the per-network transforms, bit for bit."""
import pytest
import torch
from torch_geometric.data import Batch
from torch_geometric.transforms import Compose

from sne_pyg import convert
from sne_pyg.ssl import GaussianNoise, PermuteNeurons, RandomErasing, specs_by_architecture
from sne_pyg.ssl.views import PairedViews
from sne_pyg.zoos.architectures import build_classifier
from tests import builders


def _zoo():
    """MLPs of two widths, CNNs with BatchNorm and a transformer (whose spec its layout cannot give)."""
    torch.manual_seed(0)
    transformer = build_classifier("transformer")
    modules = [builders.mlp(seed=s) for s in range(3)] + [builders.mlp(seed=7, widths=(3, 9, 2))] + \
              [builders.cnn_bn(seed=s) for s in range(3)] + [transformer]
    return [convert(m, 16) for m in modules], specs_by_architecture([transformer])


def _per_network(nets, seeds, specs, permute, erase, noise):
    a, b = [], []
    for data, seed in zip(nets, seeds):
        steps = ([PermuteNeurons(specs, seed=seed)] if permute else []) + \
                ([RandomErasing(erase, seed=seed + 1)] if erase > 0 else []) + \
                ([GaussianNoise(noise, seed=seed + 2)] if noise > 0 else [])
        augment = Compose(steps)
        a.append(augment(data))
        b.append(augment(data))
    return Batch.from_data_list(a), Batch.from_data_list(b)


@pytest.mark.parametrize("permute,erase,noise", [(True, 0.0, 0.0), (False, 0.9, 0.0), (False, 0.0, 0.05),
                                                 (True, 0.9, 0.05)])
def test_paired_views_equal_the_per_network_transforms_bit_for_bit(permute, erase, noise):
    nets, specs = _zoo()
    seeds = [11 * i + 3 for i in range(len(nets))]
    view_a, view_b, clean = PairedViews(permute, erase, noise, specs)(nets, seeds)
    expected_a, expected_b = _per_network(nets, seeds, specs, permute, erase, noise)
    assert torch.equal(view_a.chunks, expected_a.chunks) and torch.equal(view_b.chunks, expected_b.chunks)
    assert not torch.equal(view_a.chunks, view_b.chunks)          # two different views of every batch
    assert torch.equal(clean.chunks, Batch.from_data_list(nets).chunks)
    assert torch.equal(view_a.chunks[~view_a.chunk_mask], torch.zeros_like(view_a.chunks[~view_a.chunk_mask]))
    assert set(view_a.keys()) == set(clean.keys())
    for key in ("chunk_len", "chunk2layer", "layer2net", "net_num_chunks", "layer_rows", "layer_type"):
        assert torch.equal(view_a[key], clean[key]), key


def test_a_batched_permuted_view_computes_each_network_s_function():
    nets, specs = _zoo()
    view, _, _ = PairedViews(True, 0.0, 0.0, specs)(nets[4:7], [5, 6, 7])
    x = torch.randn(4, 1, 8, 8)
    for i in range(3):
        model = builders.cnn_bn(seed=i).eval()
        rebuilt = builders.cnn_bn(seed=99).eval()
        rebuilt.load_state_dict(view.get_example(i).to_state_dict())
        assert not torch.equal(view.get_example(i).chunks, nets[4 + i].chunks)
        with torch.no_grad():
            assert torch.allclose(rebuilt(x), model(x), atol=1e-5)


def test_paired_views_need_one_seed_per_network():
    nets, specs = _zoo()
    with pytest.raises(ValueError, match="one seed per network"):
        PairedViews(specs=specs)(nets, [0])
