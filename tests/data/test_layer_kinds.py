"""The layer-kind table drives conversion and symmetry derivation alike: one entry, both behaviours."""
import copy

import pytest
import torch
from torch import nn

from sne_pyg import LayerType, convert
from sne_pyg.data.layer_kinds import LAYER_KINDS, LayerKind, kind_of, register_layer_kind, unregister_layer_kind
from sne_pyg.symmetry import derive_permutation_spec


class GatedLinear(nn.Module):
    """``(x W^T + b) * g``: a layer kind the package does not know, with a per-output gate ``g``."""

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d_out, d_in))
        self.bias = nn.Parameter(torch.randn(d_out))
        self.gate = nn.Parameter(torch.rand(d_out) + 0.5)

    def forward(self, x):
        return (x @ self.weight.T + self.bias) * self.gate


GATED = LayerKind("gated linear", (GatedLinear,), LayerType.LINEAR, ("weight", "bias", "gate"),
                  permutation="dense", leaf=True)


def model():
    torch.manual_seed(0)
    return nn.Sequential(GatedLinear(3, 6), nn.Tanh(), GatedLinear(6, 5), nn.ReLU(), nn.Linear(5, 2)).eval()


@pytest.fixture
def gated_kind():
    register_layer_kind(GATED)
    yield GATED
    unregister_layer_kind(GATED.name)


def test_without_the_entry_the_gate_is_a_separate_other_layer():
    layers = [(s.name, s.type) for s in convert(model(), 4).layout.layers]
    assert layers[:2] == [("0", LayerType.LINEAR), ("0", LayerType.OTHER)]


def test_a_new_entry_is_not_hidden_by_a_plan_cached_before_it(gated_kind):
    unregister_layer_kind(GATED.name)
    assert len(convert(model(), 4).layout.layers) == 5           # planned and cached without the entry
    register_layer_kind(GATED)
    assert len(convert(model(), 4).layout.layers) == 3           # the table changed: planned again


def test_one_entry_makes_the_gate_part_of_its_layer_and_of_its_neurons(gated_kind):
    net = model()
    assert kind_of(net[0]) is gated_kind and LAYER_KINDS[0] is gated_kind
    data = convert(net, 4)
    first = data.layout.layers[0]
    assert (first.name, first.type, first.rows) == ("0", LayerType.LINEAR, 6)
    assert [p.key for p in first.pieces] == ["0.weight", "0.bias", "0.gate"]
    assert first.fan_in == 3
    state = data.to_state_dict()                                  # exact round trip
    assert all(torch.equal(state[k], v) for k, v in net.state_dict().items())

    spec = derive_permutation_spec(net)
    refs = {(r.key, r.axis) for g in spec.groups for r in g.refs}
    assert {("0.gate", 0), ("2.gate", 0), ("0.weight", 0), ("2.weight", 1)} <= refs
    x = torch.randn(7, 3)
    permuted = copy.deepcopy(net)
    permuted.load_state_dict(spec.apply(net.state_dict(), spec.sample(torch.Generator().manual_seed(1))))
    assert not torch.equal(permuted[0].gate, net[0].gate)
    with torch.no_grad():
        assert torch.allclose(permuted(x), net(x), atol=1e-5)


def test_a_gate_left_unpermuted_changes_the_function(gated_kind):
    """The check above can fail: permuting rows and columns but not the gate breaks the network."""
    net = model()
    spec = derive_permutation_spec(net)
    for group in spec.groups:
        group.refs = [r for r in group.refs if not r.key.endswith("gate")]
    permuted = copy.deepcopy(net)
    permuted.load_state_dict(spec.apply(net.state_dict(), spec.sample(torch.Generator().manual_seed(1))))
    with torch.no_grad():
        assert not torch.allclose(permuted(torch.randn(7, 3)), net(torch.randn(7, 3)), atol=1e-3)


def test_bad_entries_are_refused():
    with pytest.raises(ValueError, match="permutation rule"):
        LayerKind("x", (nn.Linear,), LayerType.LINEAR, permutation="swap")
    with pytest.raises(ValueError, match="already registered"):
        register_layer_kind(LayerKind("linear", (nn.Linear,), LayerType.LINEAR))
