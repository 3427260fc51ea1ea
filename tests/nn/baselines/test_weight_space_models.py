"""NFN NP / HNP, NFT and DWSNet on real MLPs and CNNs: invariances checked by running the networks."""
import copy

import pytest
import torch
from torch import nn
from torch_geometric.loader import DataLoader

from sne_pyg import convert
from sne_pyg.nn import build_model
from sne_pyg.nn.encoder import NetworkEncoder
from sne_pyg.symmetry import random_permutation
from tests import builders

MODELS = ["nfn_np", "nfn_hnp", "nft", "dwsnet"]
CONV_MODELS = ["nfn_np", "nfn_hnp", "nft"]


def _cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 5, 3, stride=2), nn.Tanh(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 3))


def _mlp(seed=0):
    return builders.mlp(seed, (3, 6, 5, 2))


def _inputs(model):
    torch.manual_seed(1)
    return torch.randn(4, 2, 7, 7) if isinstance(model[0], nn.Conv2d) else torch.randn(4, 3)


def _batch(models):
    return next(iter(DataLoader([convert(m, chunk_size=16) for m in models], batch_size=len(models))))


def _io_permuted(model, seed=3):
    """Input channels/features and output neurons permuted: another function, the same up to relabelling."""
    out = copy.deepcopy(model)
    layers = [m for m in out if isinstance(m, (nn.Linear, nn.Conv2d))]
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        first, last = layers[0], layers[-1]
        p_in = torch.randperm(first.weight.size(1), generator=gen)
        p_out = torch.randperm(last.weight.size(0), generator=gen)
        first.weight.copy_(first.weight[:, p_in])
        last.weight.copy_(last.weight[p_out])
        last.bias.copy_(last.bias[p_out])
    return out


def _model(name, seed=0):
    torch.manual_seed(seed)
    return build_model(name, hidden=16, out_dim=2).double().eval()


@pytest.mark.parametrize("make,name", [(_mlp, n) for n in MODELS] + [(_cnn, n) for n in CONV_MODELS])
def test_invariant_to_hidden_permutations_that_keep_the_function(make, name):
    net = make()
    permuted = random_permutation(net, torch.Generator().manual_seed(0), example_input=_inputs(net))
    x = _inputs(net)
    assert torch.allclose(net(x), permuted(x), atol=1e-5)                 # the same function
    other = make(seed=5)
    model = _model(name)
    out = model(_batch([net, permuted, other]))
    same, different = (out[0] - out[1]).abs().max(), (out[0] - out[2]).abs().max()
    assert same < 1e-5
    assert different > 1e-6 and different > 1e4 * same                  # and it can tell networks apart


@pytest.mark.parametrize("make", [_mlp, _cnn])
def test_np_is_invariant_to_input_and_output_permutations_hnp_is_not(make):
    net = make()
    batch = _batch([net, _io_permuted(net)])
    np_out = _model("nfn_np")(batch)
    assert torch.allclose(np_out[0], np_out[1], atol=1e-5)
    for name in ("nfn_hnp", "nft"):
        out = _model(name)(batch)
        assert (out[0] - out[1]).abs().max() > 1e-6, name
    nft_np = build_model("nft", hidden=16, out_dim=2, group="np").double().eval()
    out = nft_np(batch)
    assert torch.allclose(out[0], out[1], atol=1e-5)


@pytest.mark.parametrize("name", CONV_MODELS)
def test_gradients_save_load_and_repr(name, tmp_path):
    torch.manual_seed(0)
    model = build_model(name, hidden=8, out_dim=1)
    batch = _batch([_cnn(0), _cnn(1)])
    model.train()
    model(batch).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    path = str(tmp_path / "m.safetensors")
    model.save(path)
    loaded = NetworkEncoder.load(path)
    assert torch.equal(loaded(batch), model(batch))
    assert "tensors=['W1', 'b1'" in repr(model)


@pytest.mark.parametrize("name", MODELS)
def test_batches_they_cannot_take_get_a_clear_error(name):
    model = _model(name)
    with pytest.raises(ValueError, match="one architecture"):
        model(_batch([_mlp(), builders.mlp(0, (3, 4, 2))]))
    with pytest.raises(ValueError, match="ATTN|Linear"):
        model(_batch([builders.transformer_encoder()]))
    flatten = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 5 * 5, 3))
    with pytest.raises(ValueError, match="flatten" if name in CONV_MODELS else "CONV2D"):
        model(_batch([flatten]))
    model(_batch([_mlp()]))
    with pytest.raises(ValueError, match="built for"):
        model(_batch([builders.mlp(0, (3, 6, 5, 4, 2))]))             # deeper: other tensors


def test_bn_layers_are_refused_by_name():
    with pytest.raises(ValueError, match="layer '1' is BATCHNORM"):
        _model("nfn_hnp")(_batch([builders.cnn_bn()]))
