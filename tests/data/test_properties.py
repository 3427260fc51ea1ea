"""Property-based checks of conversion and batching over random networks, dtypes and chunk sizes."""
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch_geometric.data import Batch

from sne_pyg import convert
from tests.strategies import DTYPES, PROPERTY_SETTINGS, networks


@PROPERTY_SETTINGS
@given(model=networks(), dtype=st.sampled_from(DTYPES), chunk_size=st.integers(1, 70))
def test_conversion_round_trips_bit_exact(model, dtype, chunk_size):
    model = model.to(dtype)
    data = convert(model, chunk_size)
    back = data.to_state_dict()
    state = model.state_dict()
    assert list(back) == list(state)
    for key, value in state.items():
        assert back[key].dtype == value.dtype and torch.equal(back[key], value), key
    assert data.chunk_len.max() <= chunk_size and int(data.layer_numel.sum()) == int(data.chunk_len.sum())


@PROPERTY_SETTINGS
@given(models=st.lists(networks(), min_size=1, max_size=5), chunk_size=st.integers(2, 40))
def test_a_heterogeneous_batch_gives_every_network_back_with_right_offsets(models, chunk_size):
    nets = [convert(m, chunk_size, y=[float(i)]) for i, m in enumerate(models)]
    batch = Batch.from_data_list(nets)
    chunk_start = layer_start = 0
    for i, net in enumerate(nets):
        example = batch.get_example(i)
        for key in ("chunks", "chunk_len", "chunk2layer", "layer_type", "layer_level", "layer_numel", "layer2net", "y"):
            assert torch.equal(example[key], net[key]), key
        assert all(torch.equal(a, b) for a, b in zip(example.to_state_dict().values(), models[i].state_dict().values()))
        chunks, layers = net.num_chunks, net.num_layers
        assert torch.equal(batch.chunk2layer[chunk_start:chunk_start + chunks], net.chunk2layer + layer_start)
        assert bool((batch.layer2net[layer_start:layer_start + layers] == i).all())
        assert batch.layer_ptr[layer_start] == chunk_start and batch.net_ptr[i] == layer_start
        chunk_start, layer_start = chunk_start + chunks, layer_start + layers
    assert (chunk_start, layer_start) == (batch.num_chunks, batch.num_layers)
