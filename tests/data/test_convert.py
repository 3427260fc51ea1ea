import math

import pytest
import torch
from torch import nn

from sne_pyg import LayerType, convert
from tests import builders


def assert_state_dicts_identical(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        assert a[key].shape == b[key].shape, key
        # bit-exact: compare the raw bytes, so -0.0 vs 0.0 or a rounding would fail
        assert torch.equal(_bytes(a[key]), _bytes(b[key])), key


def _bytes(t: torch.Tensor) -> torch.Tensor:
    return t.detach().reshape(-1).contiguous().view(torch.uint8)


@pytest.mark.parametrize("name", list(builders.ALL))
@pytest.mark.parametrize("chunk_size", [1, 7, 64])
def test_round_trip_modules_bit_exact(name, chunk_size):
    model = builders.ALL[name]()
    data = convert(model, chunk_size=chunk_size)
    assert_state_dicts_identical(data.to_state_dict(), model.state_dict())
    reloaded = builders.ALL[name](seed=1)
    reloaded.load_state_dict(data.to_state_dict())
    assert_state_dicts_identical(reloaded.state_dict(), model.state_dict())


def test_round_trip_plain_state_dict_mixed_dtypes():
    state = {
        "enc.weight": torch.randn(5, 3, dtype=torch.float16),
        "enc.bias": torch.randn(5, dtype=torch.bfloat16),
        "dec.weight": torch.randn(2, 5, dtype=torch.float64),
        "scale": torch.tensor(-0.0),
        "steps": torch.tensor(3),
    }
    data = convert(state, chunk_size=4)
    assert data.chunks.dtype == torch.float64    # promoted losslessly
    assert_state_dicts_identical(data.to_state_dict(), state)
    assert list(data.layout.skipped) == ["steps"]


def test_layers_types_and_metadata_of_cnn():
    data = convert(builders.cnn_bn(), chunk_size=8)
    types = data.layer_type.tolist()
    assert types == [LayerType.CONV2D, LayerType.BATCHNORM, LayerType.CONV2D, LayerType.BATCHNORM,
                     LayerType.LINEAR]
    assert data.layer_names == ["0", "1", "3", "4", "8"]
    assert data.layer_level.tolist() == [0, 1, 2, 3, 4]
    # rows = output neurons; conv rows hold in*kh*kw weights + 1 bias; BN rows hold 4 values
    assert data.layer_rows.tolist() == [4, 4, 6, 6, 3]
    assert data.layer_cols.tolist() == [1 * 9 + 1, 4, 4 * 9 + 1, 4, 6 + 1]
    assert data.layer_fan_in.tolist() == [1, 4, 4, 6, 6]
    assert data.layer_fan_out.tolist() == [4, 4, 6, 6, 3]
    assert sorted(data.layout.skipped) == ["1.num_batches_tracked", "4.num_batches_tracked"]
    assert "int64" in data.layout.skipped_reasons["1.num_batches_tracked"]


def test_neuron_row_layout_matches_weights():
    model = builders.mlp()
    data = convert(model, chunk_size=5)
    first = data.layer_values(0)
    w, b = model[0].weight, model[0].bias
    assert torch.equal(first, torch.cat([w, b[:, None]], dim=1))


def test_chunks_are_padded_per_layer():
    data = convert(builders.mlp(widths=(3, 7, 5, 2)), chunk_size=8)
    numel = [7 * 4, 5 * 8, 2 * 6]
    assert data.layer_numel.tolist() == numel
    assert data.layer_num_chunks.tolist() == [math.ceil(n / 8) for n in numel]
    assert data.chunk2layer.tolist() == [0] * 4 + [1] * 5 + [2] * 2
    expected_len = [8, 8, 8, 4] + [8] * 5 + [8, 4]
    assert data.chunk_len.tolist() == expected_len
    mask = data.chunk_mask
    assert mask.sum(1).tolist() == expected_len
    assert torch.all(data.chunks[~mask] == 0)


def test_transformer_attention_split_into_q_k_v():
    model = builders.transformer_encoder()
    data = convert(model, chunk_size=16)
    names = data.layer_names[:4]
    assert names == ["layers.0.self_attn.q", "layers.0.self_attn.k", "layers.0.self_attn.v",
                     "layers.0.self_attn.out_proj"]
    assert data.layer_type.tolist()[:4] == [LayerType.ATTN_QUERY, LayerType.ATTN_KEY, LayerType.ATTN_VALUE,
                                           LayerType.ATTN_OUT]
    attn = model.layers[0].self_attn
    e = attn.embed_dim
    key = torch.cat([attn.in_proj_weight[e:2 * e], attn.in_proj_bias[e:2 * e, None]], dim=1)
    assert torch.equal(data.layer_values(1), key)


def test_gpt2_conv1d_transposed_and_split_with_module_and_from_state_dict():
    model = builders.gpt2_block()
    with_module = convert(model, chunk_size=16)
    from_names = convert(model.state_dict(), chunk_size=16)
    for data in (with_module, from_names):
        assert data.layer_names == ["ln_1", "attn.c_attn.q", "attn.c_attn.k", "attn.c_attn.v", "attn.c_proj",
                                    "ln_2", "mlp.c_fc", "mlp.c_proj"]
        types = data.layer_type.tolist()
        assert types[1:4] == [LayerType.ATTN_QUERY, LayerType.ATTN_KEY, LayerType.ATTN_VALUE]
        assert types[4] == types[6] == types[7] == LayerType.LINEAR
        assert types[0] == types[5] == LayerType.LAYERNORM
        c_fc = model.mlp["c_fc"]
        assert torch.equal(data.layer_values(6), torch.cat([c_fc.weight.t(), c_fc.bias[:, None]], dim=1))
        assert_state_dicts_identical(data.to_state_dict(), model.state_dict())
    assert torch.equal(with_module.chunks, from_names.chunks)


def test_unknown_parameters_convert_generically():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = nn.Parameter(torch.randn(4, 3))
            self.vec = nn.Parameter(torch.randn(5))
            self.gain = nn.Parameter(torch.tensor(2.0))
    model = Odd()
    data = convert(model, chunk_size=4)
    assert set(data.layer_type.tolist()) == {LayerType.OTHER}
    assert data.num_params == 12 + 5 + 1
    assert_state_dicts_identical(data.to_state_dict(), model.state_dict())


def test_tied_weights_are_encoded_once():
    emb = nn.Embedding(10, 4)
    head = nn.Linear(4, 10, bias=False)
    head.weight = emb.weight
    model = nn.ModuleDict(dict(emb=emb, head=head))
    data = convert(model, chunk_size=8)
    assert data.layout.aliases == {"head.weight": "emb.weight"}
    assert data.num_params == 40
    assert data.layer_type.tolist() == [LayerType.EMBEDDING]
    assert_state_dicts_identical(data.to_state_dict(), model.state_dict())


def test_target_stored_as_row():
    data = convert(builders.mlp(), y=[1.5, 2.0])
    assert data.y.shape == (1, 2)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "8"])
def test_bad_chunk_size(bad):
    with pytest.raises(ValueError, match="chunk_size"):
        convert(builders.mlp(), chunk_size=bad)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_values_name_the_key(value):
    model = builders.mlp()
    with torch.no_grad():
        model[2].weight[1, 1] = value
    with pytest.raises(ValueError, match=r"2\.weight"):
        convert(model)


def test_empty_module_and_only_int_buffers():
    with pytest.raises(ValueError, match="empty"):
        convert(nn.Sequential())
    with pytest.raises(ValueError, match="steps"):
        convert({"steps": torch.tensor(1)})


def test_non_tensor_entry_names_the_key():
    with pytest.raises(TypeError, match="fc.weight"):
        convert({"fc.weight": [[1.0, 2.0]], "fc.bias": torch.zeros(1)})


def test_not_a_model():
    with pytest.raises(TypeError, match="nn.Module or a state_dict"):
        convert(torch.randn(3))


def test_huge_finite_values_whose_sum_overflows_still_convert():
    state = {"w": torch.full((4, 2), 3e38)}          # float32 sum overflows to inf
    assert not torch.isfinite(state["w"].sum())
    data = convert(state, chunk_size=4)
    assert_state_dicts_identical(data.to_state_dict(), state)


def test_storage_dtype_must_hold_the_values():
    big = {"w": torch.tensor([[1e300, 1.0]], dtype=torch.float64), "b": torch.ones(1, dtype=torch.float64)}
    with pytest.raises(ValueError, match=r"values of \['w'\] overflow torch.float32"):
        convert(big, 4, dtype=torch.float32)
    assert convert(big, 4).chunks.dtype == torch.float64                    # the default keeps them
    with pytest.raises(ValueError, match="floating-point"):
        convert({"w": torch.tensor([[0.5, 1.5]])}, 4, dtype=torch.int64)     # would truncate 0.5 -> 0
    half = convert({"w": torch.tensor([[60000.0, 1.0]])}, 4, dtype=torch.float16)
    assert half.chunks[0, 0].item() == 60000.0
    with pytest.raises(ValueError, match="overflow torch.float16"):
        convert({"w": torch.tensor([[70000.0, 1.0]])}, 4, dtype=torch.float16)


def test_complex_entries_are_skipped_as_complex():
    data = convert({"w": torch.ones(2, 2), "z": torch.ones(2, dtype=torch.complex64)}, 4)
    assert "complex values are not encoded" in data.layout.skipped["z"].reason
    assert torch.equal(data.to_state_dict()["z"], torch.ones(2, dtype=torch.complex64))


def test_chunk_size_is_bounded_by_the_largest_layer():
    state = {"w": torch.ones(40, 50)}                       # 2,000 values: bound 2,048
    assert convert(state, 2048).chunks.shape == (1, 2048)
    with pytest.raises(ValueError, match="chunk_size 2049 is larger than this network needs \\(at most 2048"):
        convert(state, 2049)
    assert convert({"w": torch.ones(2, 2)}, 1024).num_chunks == 1   # small networks may always use up to 1,024
    with pytest.raises(ValueError, match="at most 1024"):
        convert({"w": torch.ones(2, 2)}, 10**9)
