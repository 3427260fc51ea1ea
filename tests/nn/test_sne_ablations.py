"""SNE's ablation switches (the paper's Table 6): each computes what it says, checked against a hand computation."""
import pytest
import torch
from torch_geometric.loader import DataLoader

from sne_pyg import SNE, convert
from sne_pyg.nn.features import layer_rms, scaled_values
from tests import builders


def _sne(**kwargs):
    torch.manual_seed(0)
    return SNE(hidden=16, out_dim=None, heads=2, **kwargs).double().eval()


def _batch():
    nets = [builders.mlp(), builders.cnn_bn(), builders.mlp(seed=3, widths=(2, 4, 1))]
    return next(iter(DataLoader([convert(n, chunk_size=8) for n in nets], batch_size=3)))


def test_mean_pooling_is_the_mean_at_every_level():
    model, data = _sne(set_function="mean", element_positions="chunk"), _batch()
    lift = model.lift(scaled_values(data.chunks.double(), layer_rms(data).double()[data.chunk2layer]))
    element = model.element_encoding(data.layer_type, data.layer_level)
    chunk = model.chunk_encoding(data.layer_type, data.layer_level)
    layer = model.layer_encoding(data.layer_type, data.layer_level)
    position = model.element_position.proj(torch.stack(                      # written out: sin/cos of j * omega_i
        [torch.cat([torch.sin(j * 1e4 ** (-torch.arange(16.0) / 16)), torch.cos(j * 1e4 ** (-torch.arange(16.0) / 16))])
         for j in range(data.chunk_size)]).double())
    expected = []
    for net in range(data.num_networks):          # plain loops over networks, layers and valid elements
        layer_vectors = []
        for l in (data.layer2net == net).nonzero().flatten().tolist():
            chunk_vectors = []
            for c in (data.chunk2layer == l).nonzero().flatten().tolist():
                n = int(data.chunk_len[c])
                chunk_vectors.append((lift[c, :n] + element[l] + position[:n]).mean(0) + chunk[l])
            layer_vectors.append(torch.stack(chunk_vectors).mean(0) + layer[l])
        expected.append(torch.stack(layer_vectors).mean(0))
    with torch.no_grad():
        assert torch.allclose(model(data), torch.stack(expected), atol=1e-10)


def test_without_the_layer_level_the_network_pools_its_chunks():
    model, data = _sne(set_function="mean", hierarchy="chunk-network"), _batch()
    with torch.no_grad():
        chunks = model.encode_chunks(data)
        owner = data.layer2net[data.chunk2layer]
        expected = torch.stack([chunks[owner == net].mean(0) for net in range(data.num_networks)])
        assert torch.allclose(model(data), expected, atol=1e-10)
    attention = _sne(hierarchy="chunk-network")
    full = _sne()
    assert attention.layer_encoder is None and attention.layer_encoding is None
    removed = sum(p.numel() for p in full.layer_encoder.parameters()) + sum(
        p.numel() for p in full.layer_encoding.parameters())
    assert sum(p.numel() for p in full.parameters()) - sum(p.numel() for p in attention.parameters()) == removed
    with pytest.raises(ValueError, match="no layer-level encoder"):
        attention.encode_layers(data)


@pytest.mark.parametrize("encodings,blind_to", [("none", ("type", "level")), ("type", ("level",)),
                                                ("level", ("type",)), ("type+level", ())])
def test_left_out_encodings_make_the_model_blind_to_them(encodings, blind_to):
    model, data = _sne(encodings=encodings), _batch()
    changed = {"type": data.clone(), "level": data.clone()}
    changed["type"].layer_type = (data.layer_type + 1) % 3
    changed["level"].layer_level = data.layer_level + 5
    with torch.no_grad():
        reference = model(data)
        for what, other in changed.items():
            same = torch.allclose(model(other), reference, atol=1e-12)
            assert same == (what in blind_to), what


def test_ablated_models_round_trip_and_bad_options_are_named(tmp_path):
    model = _sne(set_function="mean", encodings="level", hierarchy="chunk-network").float()
    path = str(tmp_path / "m.safetensors")
    model.save(path)
    again = SNE.load(path).eval()
    data = _batch()
    with torch.no_grad():
        assert torch.equal(again(data), model(data))
    for option, value in (("set_function", "max"), ("encodings", "types"), ("hierarchy", "flat"),
                          ("element_positions", "row")):
        with pytest.raises(ValueError, match=f"{option} must be one of"):
            SNE(hidden=16, **{option: value})


def test_element_positions_make_the_order_inside_a_chunk_matter():
    """With ``element_positions="none"`` a chunk is a bag of values: reversing each chunk's valid elements
    changes nothing (the default); with positions it changes exactly the chunks that reversing changes."""
    data = _batch()
    reversed_ = data.clone()
    reversed_.chunks = data.chunks.clone()
    for c, n in enumerate(data.chunk_len.tolist()):
        reversed_.chunks[c, :n] = data.chunks[c, :n].flip(0)
    distinct = torch.tensor([not torch.equal(data.chunks[c, :n], reversed_.chunks[c, :n])
                             for c, n in enumerate(data.chunk_len.tolist())])
    assert distinct.any()
    with torch.no_grad():
        bag = _sne()
        assert bag.element_position is None
        assert torch.allclose(bag.encode_chunks(reversed_), bag.encode_chunks(data), atol=1e-10)
        ordered = _sne(element_positions="chunk")
        moved = (ordered.encode_chunks(reversed_) - ordered.encode_chunks(data)).abs().amax(1) > 1e-8
        assert torch.equal(moved, distinct)
    removed = sum(p.numel() for p in ordered.element_position.parameters())
    assert sum(p.numel() for p in ordered.parameters()) - sum(p.numel() for p in bag.parameters()) == removed == 32 * 16 + 16
