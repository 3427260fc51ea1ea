"""Batched conversion: the same NetworkData as one-by-one conversion, for any mix of architectures."""
import gc

import pytest
import torch
from torch import nn

from sne_pyg import convert
from sne_pyg.data import convert_all
from sne_pyg.data.convert import PLANS
from tests import builders
from tests.data.test_convert import assert_state_dicts_identical


def _tied(seed):
    torch.manual_seed(seed)
    emb, head = nn.Embedding(10, 4), nn.Linear(4, 10, bias=False)
    head.weight = emb.weight
    return nn.ModuleDict(dict(emb=emb, head=head))


def _zoo():
    """Four architectures interleaved (modules and state_dicts, a float64 one, BN buffers, tied weights)."""
    nets = []
    for i in range(13):
        kind = i % 4
        if kind == 0:
            nets.append(builders.mlp(i))
        elif kind == 1:
            nets.append(builders.cnn_bn(i).state_dict())
        elif kind == 2:
            nets.append(builders.mlp(i, (2, 5, 3)).double())
        else:
            nets.append(_tied(i))
    return nets


def assert_same_data(a, b):
    assert set(a.keys()) == set(b.keys())
    for key in a.keys():
        if key == "layout":
            continue
        if isinstance(a[key], torch.Tensor):
            assert a[key].dtype == b[key].dtype and torch.equal(a[key], b[key]), key
        else:
            assert a[key] == b[key], key
    la, lb = a.layout, b.layout
    assert (la.keys, la.params, la.layers, la.aliases) == (lb.keys, lb.params, lb.layers, lb.aliases)
    assert la.skipped_reasons == lb.skipped_reasons
    for key in la.skipped:
        assert torch.equal(la.skipped[key].value, lb.skipped[key].value)
    assert_state_dicts_identical(a.to_state_dict(), b.to_state_dict())


@pytest.mark.parametrize("block", [1, 3, 4096])
@pytest.mark.parametrize("chunk_size", [7, 64])
def test_batched_equals_one_by_one(block, chunk_size):
    nets = _zoo()
    targets = [[float(i), -float(i)] for i in range(len(nets))]
    one = [convert(n, chunk_size, y=t) for n, t in zip(nets, targets)]
    PLANS.clear()                                  # the batched path also plans from scratch
    many = convert_all(iter(nets), chunk_size, ys=targets, block=block)
    assert len(many) == len(nets)
    for a, b in zip(one, many):
        assert_same_data(a, b)
    assert [d.to_state_dict().keys() for d in many] == [
        (n.state_dict() if isinstance(n, nn.Module) else n).keys() for n in nets]


def test_convert_takes_lists_tuples_and_generators():
    nets = [builders.mlp(i) for i in range(3)]
    for form in (nets, tuple(nets), (n for n in nets)):
        out = convert(form, chunk_size=8)
        assert isinstance(out, list) and len(out) == 3
        assert_same_data(out[2], convert(nets[2], chunk_size=8))
    with pytest.raises(ValueError, match="one by one"):
        convert(nets, dataflow={})
    with pytest.raises(TypeError, match="nn.Module or a state_dict"):
        convert(torch.zeros(3))                    # a tensor is not a list of networks


def test_errors_name_the_network_and_the_collector_is_restored():
    nets = [builders.mlp(i).state_dict() for i in range(6)]
    nets[4] = dict(nets[4])
    nets[4]["2.weight"] = nets[4]["2.weight"].clone()
    nets[4]["2.weight"][0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"network 4: non-finite \(NaN or Inf\) values in \['2.weight'\]"):
        convert_all(nets)
    assert gc.isenabled()
    with pytest.raises(ValueError, match="network 7: non-finite"):
        convert_all(nets[:1] * 3 + nets, block=2)                   # positions count across blocks
    with pytest.raises(TypeError, match="network 1: .*not a tensor"):
        convert_all([nets[0], {"w": 3}])
    with pytest.raises(ValueError, match="network 1: the network has no floating-point parameters"):
        convert_all([nets[0], {}])
    with pytest.raises(ValueError, match="block must be"):
        convert_all(nets, block=0)
    assert gc.isenabled()
