import pytest
import torch
from torch_geometric.loader import DataLoader

from sne_pyg import convert
from tests import builders
from tests.data.test_convert import assert_state_dicts_identical


def _zoo(chunk_size=8):
    models = [builders.mlp(), builders.cnn_bn(), builders.transformer_encoder()]
    return models, [convert(m, chunk_size=chunk_size) for m in models]


def test_last_layer_single_chunk():
    data = convert(builders.mlp(widths=(3, 7, 5, 1)), chunk_size=8)   # last layer: 1 x 6 values
    assert data.layer_num_chunks[-1] == 1
    batch = next(iter(DataLoader([data, data, data], batch_size=3)))
    assert batch.layer2net.tolist() == [0] * 3 + [1] * 3 + [2] * 3
    assert batch.chunk2layer[-1] == 8


def test_batch_indices_equal_hand_offsets():
    _, zoo = _zoo()
    batch = next(iter(DataLoader(zoo, batch_size=3)))
    chunk2layer, layer2net, chunk2net = [], [], []
    layer_offset = 0
    for i, d in enumerate(zoo):
        chunk2layer.append(d.chunk2layer + layer_offset)
        layer2net.append(torch.full((d.num_layers,), i))
        chunk2net.append(torch.full((d.num_chunks,), i))
        layer_offset += d.num_layers
    assert torch.equal(batch.chunk2layer, torch.cat(chunk2layer))
    assert torch.equal(batch.layer2net, torch.cat(layer2net))
    assert torch.equal(batch.batch, torch.cat(chunk2net))          # PyG's own chunk -> network vector
    assert torch.equal(batch.chunks, torch.cat([d.chunks for d in zoo]))
    assert batch.net_num_layers.tolist() == [d.num_layers for d in zoo]
    assert batch.num_networks == batch.num_graphs == 3
    # pointers derived from sizes agree with the index vectors
    assert torch.equal(batch.layer_ptr.diff(), torch.bincount(batch.chunk2layer, minlength=batch.num_layers))
    assert torch.equal(batch.net_ptr.diff(), torch.bincount(batch.layer2net, minlength=3))


def test_get_example_round_trip():
    models, zoo = _zoo(chunk_size=5)
    batch = next(iter(DataLoader(zoo, batch_size=3)))
    for i, (model, data) in enumerate(zip(models, zoo)):
        example = batch.get_example(i)
        for key in data.keys():
            if isinstance(data[key], torch.Tensor):
                assert torch.equal(example[key], data[key]), key
            else:
                assert example[key] == data[key], key
        assert_state_dicts_identical(example.to_state_dict(), model.state_dict())


def test_to_state_dict_refuses_a_batch():
    _, zoo = _zoo()
    batch = next(iter(DataLoader(zoo, batch_size=3)))
    with pytest.raises(ValueError, match="get_example"):
        batch.to_state_dict()


def test_targets_batch_as_rows():
    zoo = [convert(builders.mlp(seed=i), y=[float(i)]) for i in range(4)]
    batch = next(iter(DataLoader(zoo, batch_size=4)))
    assert batch.y.shape == (4, 1)
    assert batch.y.flatten().tolist() == [0.0, 1.0, 2.0, 3.0]


def test_a_batch_of_two_chunk_sizes_says_so():
    a, b = convert(builders.mlp(), 8), convert(builders.mlp(), 16)
    with pytest.raises(ValueError, match=r"different chunk sizes \(8 and 16\)"):
        next(iter(DataLoader([a, b], batch_size=2)))
    with pytest.raises(ValueError, match=r"different chunk sizes \(16 and 8\)"):
        next(iter(DataLoader([b, b, a], batch_size=3)))
    batch = next(iter(DataLoader([a, convert(builders.mlp(seed=1), 8)], batch_size=2)))   # one size is fine
    assert batch.num_networks == 2 and batch.chunk_size == 8
