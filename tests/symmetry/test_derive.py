import copy

import pytest
import torch
from torch import nn

from sne_pyg.symmetry import SymmetryError, derive_permutation_spec, positive_scaling
from sne_pyg.symmetry.spec import CONSUMER, PermutationSpec
from sne_pyg.zoos import SirenINR
from tests import builders


class ResidualMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp, self.a, self.b, self.out = nn.Linear(4, 8), nn.Linear(8, 6), nn.Linear(6, 8), nn.Linear(8, 2)

    def forward(self, x):
        h = self.inp(x)
        h = h + self.b(torch.relu(self.a(h)))      # skip connection
        return self.out(torch.relu(h))


def cnn_flatten():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 3, 3), nn.ReLU(),
                         nn.Flatten(), nn.Linear(3 * 4 * 4, 5), nn.Tanh(), nn.Linear(5, 2))


def encoder_layer():
    torch.manual_seed(0)
    return nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, dropout=0.0)


def prelu_net():
    """Per-channel and shared PReLU slopes, all different (equal slopes would hide a slope left unpermuted)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 6, 3), nn.PReLU(6), nn.Conv2d(6, 4, 3), nn.PReLU(), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 5), nn.PReLU(5), nn.Linear(5, 2))
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.PReLU):
                m.weight.uniform_(-1, 1)
    return model


CASES = {
    "mlp": (builders.mlp, (5, 3)),
    "cnn_bn_flatten": (cnn_flatten, (2, 1, 8, 8)),
    "residual": (ResidualMLP, (5, 4)),
    "transformer_layer": (encoder_layer, (2, 5, 16)),
    "transformer_encoder": (builders.transformer_encoder, (2, 5, 16)),
    "siren": (SirenINR, (7, 1)),
    "gpt2_block": (builders.gpt2_block, (2, 5, 16)),
    "prelu": (prelu_net, (3, 2, 8, 8)),
}


def _case(name):
    """The model of a case in eval mode, an input for it, and its derived permutation spec."""
    build, shape = CASES[name]
    torch.manual_seed(0)
    model = build().eval()
    x = torch.randn(*shape)
    return model, x, derive_permutation_spec(model, example_input=x)


def _permuted(model, spec, seed=0):
    out = copy.deepcopy(model)
    out.load_state_dict(spec.apply(model.state_dict(), spec.sample(torch.Generator().manual_seed(seed))))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_random_group_element_changes_weights_not_the_function(name):
    model, x, spec = _case(name)
    assert spec.groups, "no symmetry found"
    permuted = _permuted(model, spec).eval()
    changed = [k for k, v in model.state_dict().items() if not torch.equal(v, permuted.state_dict()[k])]
    assert changed
    with torch.no_grad():
        assert torch.allclose(model(x), permuted(x), atol=1e-5)


@pytest.mark.parametrize("name", ["mlp", "cnn_bn_flatten", "residual", "transformer_layer", "prelu"])
def test_a_wrong_permutation_changes_the_function(name):
    """Dropping the consumer side of a group (rows of W_l moved, columns of W_l+1 not) must be caught."""
    model, x, spec = _case(name)
    group = next(g for g in spec.groups if any(r.role == CONSUMER for r in g.refs))
    broken = copy.deepcopy(group)
    broken.refs = [r for r in group.refs if r.role != CONSUMER]
    wrong = _permuted(model, PermutationSpec([broken])).eval()
    with torch.no_grad():
        assert not torch.allclose(model(x), wrong(x), atol=1e-4)


def test_residual_stream_is_one_group_and_inner_neurons_another():
    spec = derive_permutation_spec(ResidualMLP())
    by_keys = {frozenset((r.key, r.axis) for r in g.refs): g for g in spec.groups}
    stream = next(g for keys, g in by_keys.items() if ("inp.weight", 0) in keys)
    keys = {(r.key, r.axis) for r in stream.refs}
    assert {("inp.weight", 0), ("b.weight", 0), ("a.weight", 1), ("out.weight", 1)} <= keys
    inner = next(g for keys, g in by_keys.items() if ("a.weight", 0) in keys)
    assert {(r.key, r.axis) for r in inner.refs} == {("a.weight", 0), ("a.bias", 0), ("b.weight", 1)}


def test_flatten_makes_a_block_permutation():
    model = cnn_flatten()
    spec = derive_permutation_spec(model, example_input=torch.randn(1, 1, 8, 8))
    ref = next(r for g in spec.groups for r in g.refs if r.key == "6.weight" and r.axis == 1)
    assert ref.block == 16          # 4 x 4 spatial positions per channel
    derived = derive_permutation_spec(model)     # from the modules alone: in_features / channels
    assert [sorted(map(repr, g.refs)) for g in derived.groups] == [sorted(map(repr, g.refs)) for g in spec.groups]
    x = torch.randn(3, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(_permuted(model.eval(), derived).eval()(x), model(x), atol=1e-5)


def test_a_flatten_the_modules_cannot_size_asks_for_an_example_input():
    odd = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(20, 4), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(SymmetryError, match="20 features flattened from 3 channels.*example_input"):
        derive_permutation_spec(odd)


def test_a_norm_over_flattened_channels_moves_their_blocks():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.BatchNorm1d(3 * 36), nn.Linear(3 * 36, 4),
                          nn.ReLU(), nn.Linear(4, 2)).eval()
    with torch.no_grad():
        model[3].running_mean.normal_()
        model[3].weight.uniform_(0.5, 2)
    spec = derive_permutation_spec(model)
    assert {r.block for g in spec.groups for r in g.refs if r.key.startswith("3.")} == {36}
    x = torch.randn(5, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(_permuted(model, spec).eval()(x), model(x), atol=1e-5)


def test_attention_groups_within_heads_and_across_heads():
    spec = derive_permutation_spec(encoder_layer())
    names = [g.name for g in spec.groups]
    assert names.count("self_attn.heads") == 1 and sum("qk_head" in n for n in names) == 4
    heads = next(g for g in spec.groups if g.name == "self_attn.heads")
    assert heads.size == 4 and {r.block for r in heads.refs} == {4}
    assert all(r.key != "norm1.weight" for g in spec.groups for r in g.refs)   # the input stream stays fixed


def test_per_channel_prelu_slopes_move_with_their_channels():
    model, x, spec = _case("prelu")
    keys = {r.key for g in spec.groups for r in g.refs}
    assert {"1.weight", "6.weight"} <= keys and "3.weight" not in keys     # the shared slope has no channel
    assert "prelu" in next(g for g in spec.groups if any(r.key == "1.weight" for r in g.refs)).activations
    without = copy.deepcopy(spec)
    for g in without.groups:
        g.refs = [r for r in g.refs if r.key not in ("1.weight", "6.weight")]
    with torch.no_grad():
        assert not torch.allclose(model(x), _permuted(model, without).eval()(x), atol=1e-4)
    # PReLU is positively homogeneous: the neurons behind the shared slope can be rescaled (the per-channel
    # groups carry slopes, which the generic scaling rule leaves alone)
    scaled = positive_scaling(model, torch.Generator().manual_seed(0), spec=spec)
    assert not torch.equal(scaled[2].weight, model[2].weight) and torch.equal(scaled[0].weight, model[0].weight)
    with torch.no_grad():
        assert torch.allclose(model(x), scaled(x), atol=1e-5)


def test_unsupported_structures_raise():
    class Mystery(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 4)
            self.rnn = nn.GRU(4, 4)

        def forward(self, x):
            return self.rnn(self.lin(x))[0]

    with pytest.raises(SymmetryError, match="GRU"):
        derive_permutation_spec(Mystery())

    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            return self.lin(x) if x.sum() > 0 else x

    with pytest.raises(SymmetryError, match="could not trace"):
        derive_permutation_spec(Branchy())


def test_unknown_operations_fix_neurons_instead_of_guessing():
    class Reshaping(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 6), nn.Linear(6, 2)

        def forward(self, x):
            return self.b(self.a(x).view(-1, 6).roll(1, dims=1))   # a roll mixes neuron positions

    spec = derive_permutation_spec(Reshaping())
    assert spec.groups == [] and any("fixed" in note for note in spec.notes)
