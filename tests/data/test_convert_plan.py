import pytest
import torch
from torch import nn

from sne_pyg import convert
from sne_pyg.data import convert_plan
from sne_pyg.data.convert import PLANS
from sne_pyg.data.convert_plan import PlanCache, new_network_data
from sne_pyg.data.network_data import NetworkData
from tests import builders
from tests.data.test_convert import assert_state_dicts_identical


@pytest.fixture
def fresh_plans():
    PLANS.clear()
    yield PLANS
    PLANS.clear()


def fields(data: NetworkData) -> dict:
    return {key: value for key, value in data.items() if key != "layout"}


def assert_same_data(a: NetworkData, b: NetworkData) -> None:
    fa, fb = fields(a), fields(b)
    assert sorted(fa) == sorted(fb)
    for key in fa:
        if isinstance(fa[key], torch.Tensor):
            assert fa[key].dtype == fb[key].dtype, key
            assert torch.equal(fa[key].view(-1).view(torch.uint8) if fa[key].is_floating_point() else fa[key],
                               fb[key].view(-1).view(torch.uint8) if fb[key].is_floating_point() else fb[key]), key
        else:
            assert fa[key] == fb[key], key
    assert a.layout.layers == b.layout.layers and a.layout.aliases == b.layout.aliases
    assert a.layout.skipped_reasons == b.layout.skipped_reasons


@pytest.mark.parametrize("name", list(builders.ALL))
@pytest.mark.parametrize("chunk_size", [1, 7, 64])
def test_gather_and_copy_paths_agree_bit_exact(name, chunk_size, fresh_plans, monkeypatch):
    model = builders.ALL[name]()
    first = convert(model, chunk_size=chunk_size)                  # copy path, plan cached
    assert next(iter(fresh_plans._plans.values())).gather is None
    gathered = convert(model, chunk_size=chunk_size)               # second network: gather path
    assert next(iter(fresh_plans._plans.values())).gather is not None
    fresh_plans.clear()
    monkeypatch.setattr(convert_plan, "GATHER_MAX_NUMEL", 0)     # layer-by-layer fill only
    convert(model, chunk_size=chunk_size)
    copied = convert(model, chunk_size=chunk_size)
    assert next(iter(fresh_plans._plans.values())).gather is None
    assert_same_data(first, gathered)
    assert_same_data(gathered, copied)
    assert_state_dicts_identical(copied.to_state_dict(), model.state_dict())


def test_non_contiguous_and_mixed_dtype_sources_fill_alike_on_both_paths(fresh_plans):
    g = torch.Generator().manual_seed(0)

    def state():   # a transposed weight, a strided slice and a float16 entry
        return {"a.weight": torch.randn(6, 5, generator=g).t(), "a.bias": torch.randn(5, generator=g).half(),
                "b.weight": torch.randn(3, 9, generator=g)[:, ::2]}
    for _ in range(3):                       # first: layer by layer; then the gather path
        source = state()
        data = convert(source, chunk_size=8)
        assert data.chunks.dtype == torch.float32
        assert_state_dicts_identical(data.to_state_dict(), {k: v.clone() for k, v in source.items()})
    assert next(iter(fresh_plans._plans.values())).gather is not None


@pytest.mark.parametrize("name", list(builders.ALL))
def test_second_network_of_an_architecture_reuses_the_plan_and_matches_a_fresh_conversion(name, fresh_plans):
    first, second = builders.ALL[name](seed=0), builders.ALL[name](seed=1)
    convert(first, chunk_size=7)
    assert len(fresh_plans) == 1
    cached = convert(second, chunk_size=7)
    assert len(fresh_plans) == 1                      # hit: no new plan
    fresh_plans.clear()
    assert_same_data(cached, convert(second, chunk_size=7))
    assert_state_dicts_identical(cached.to_state_dict(), second.state_dict())


def test_converted_networks_share_nothing_mutable(fresh_plans):
    model = builders.cnn_bn()
    a = convert(model, chunk_size=8)
    a.layer_type.fill_(99)
    a.chunk_len.zero_()
    a.layout.layers.clear()
    a.layout.dataflow = {"x": ()}
    a.layout.skipped["1.num_batches_tracked"].value.fill_(-5)
    b = convert(model, chunk_size=8)
    assert 99 not in b.layer_type.tolist() and int(b.chunk_len.min()) > 0
    assert b.layout.layers and b.layout.dataflow is None
    assert_state_dicts_identical(b.to_state_dict(), model.state_dict())


def test_signature_tells_apart_what_changes_the_layout(fresh_plans):
    # tied vs untied with identical values
    emb = nn.Embedding(10, 4)
    tied = {"emb.weight": emb.weight.detach(), "head.weight": emb.weight.detach()}
    untied = {"emb.weight": emb.weight.detach(), "head.weight": emb.weight.detach().clone()}
    assert convert(tied, chunk_size=4).layout.aliases == {"head.weight": "emb.weight"}
    assert convert(untied, chunk_size=4).layout.aliases == {}
    assert convert(untied, chunk_size=4).num_params == 80
    # dtype and shape
    state = {"w": torch.randn(3, 5)}
    assert convert(state).chunks.dtype == torch.float32
    assert convert({"w": state["w"].double()}).chunks.dtype == torch.float64
    assert convert({"w": torch.randn(5, 3)}).layer_rows.tolist() == [5]
    assert len(fresh_plans) == 5

def test_only_same_start_shape_stride_and_dtype_is_a_tie(fresh_plans):
    w = torch.randn(4, 6)
    state = {"a.weight": w, "b.weight": w[:2], "c.weight": w.t(), "d.weight": w[:2], "e.weight": w.view(6, 4)}
    data = convert(state, chunk_size=8)
    # b, c, e start where a starts but are other views (fewer rows, transposed, reshaped): encoded;
    # d repeats b exactly: tied to b, not to the first entry at that address
    assert data.layout.aliases == {"d.weight": "b.weight"}
    assert data.num_params == 24 + 12 + 24 + 24
    assert_state_dicts_identical(data.to_state_dict(), {k: v.clone() for k, v in state.items()})



def test_module_types_are_part_of_the_signature(fresh_plans):
    attn = nn.MultiheadAttention(8, 2)
    as_module = convert(attn, chunk_size=8)
    wrapper = nn.Module()
    wrapper.register_parameter("in_proj_weight", attn.in_proj_weight)
    wrapper.register_parameter("in_proj_bias", attn.in_proj_bias)
    wrapper.out_proj = nn.Linear(8, 8)      # plain Linear: not an attention output without the parent
    wrapper.out_proj.load_state_dict(attn.out_proj.state_dict())
    as_wrapper = convert(wrapper, chunk_size=8)
    assert list(as_module.layout.keys) == list(as_wrapper.layout.keys)
    assert as_module.layer_type.tolist() != as_wrapper.layer_type.tolist()
    # same keys and shapes: GPT-2's Conv1D is read transposed, a Linear is not
    conv1d, linear = builders.Conv1D(4, 4), nn.Linear(4, 4)
    linear.load_state_dict(conv1d.state_dict())
    assert not torch.equal(convert(conv1d, chunk_size=5).chunks, convert(linear, chunk_size=5).chunks)
    assert len(fresh_plans) == 4


def test_parameters_that_require_grad_leave_no_graph(fresh_plans):
    model = builders.mlp()
    data = convert(dict(model.named_parameters()))
    assert not data.chunks.requires_grad and data.chunks.grad_fn is None
    assert_same_data(data, convert(model.state_dict()))


def test_non_finite_values_are_found_on_a_cached_plan(fresh_plans):
    model = builders.mlp()
    convert(model)
    with torch.no_grad():
        model[0].bias[0] = float("nan")
    with pytest.raises(ValueError, match=r"0\.bias"):
        convert(model)


def test_plan_cache_evicts_the_least_recently_used():
    cache, built = PlanCache(size=2), []
    build = (lambda key: lambda: built.append(key) or key)
    for key in ["a", "b", "a", "c", "a", "b"]:
        assert cache.get(key, build(key)) == key
    assert built == ["a", "b", "c", "b"]        # "b" was the least recent when "c" came
    assert len(cache) == 2 and repr(cache) == "PlanCache(2/2)"


def test_new_network_data_equals_the_constructor():
    attrs = dict(chunks=torch.randn(3, 4), chunk_len=torch.tensor([4, 4, 1]), num_nodes=3)
    fast, slow = new_network_data(dict(attrs)), NetworkData(**attrs)
    assert type(fast) is NetworkData
    assert sorted(fast.keys()) == sorted(slow.keys())
    assert all(torch.equal(fast[k], slow[k]) for k in ("chunks", "chunk_len")) and fast.num_nodes == 3
