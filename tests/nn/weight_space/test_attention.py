import pytest
import torch

from sne_pyg.nn.weight_space import WeightSpaceAttention, weight_space_tensors
from sne_pyg.nn.weight_space.attention import _attend
from tests.nn.weight_space.helpers import permute_space, permute_tensors, random_perms, random_space

SIZES, KERNELS = [3, 4, 5, 2], [(3, 3), (3,), ()]


def _attention(layout, width=8):
    torch.manual_seed(0)
    return WeightSpaceAttention(list(layout.dims), layout.channels(2), heads=2, head_dim=width).double()


@pytest.mark.parametrize("group", ["np", "hnp"])
def test_attention_is_equivariant(group):
    weights, biases = random_space(SIZES, KERNELS)
    xs, layout = weight_space_tensors(weights, biases, group)
    attention = _attention(layout)
    permuted = range(len(SIZES)) if group == "np" else range(1, len(SIZES) - 1)
    perms = random_perms(SIZES, permuted)
    ys, _ = weight_space_tensors(*permute_space(weights, biases, perms), group)
    out, out_perm = attention(xs), attention(ys)
    for a, b in zip(permute_tensors(out, layout.dims, perms), out_perm):
        assert torch.allclose(a, b, atol=1e-10)
    assert not all(torch.allclose(a, b) for a, b in zip(out, out_perm))
    # entries of one tensor get different outputs (it is not a pooled broadcast)
    assert out[0].std(dim=(1, 2)).min() > 1e-3


def test_fibre_attention_against_a_direct_computation():
    """Neuron layer 1 of an NP MLP [2, 3, 2]: the fibres are W1's 2 columns, b1, W2's 2 rows; the output at
    W1[:, k] is softmax over the 5 fibres (dot products over the 3 neurons x head width)."""
    weights, biases = random_space([2, 3, 2], features=1, batch=1)
    xs, layout = weight_space_tensors(weights, biases, "np")
    torch.manual_seed(0)
    att = WeightSpaceAttention(list(layout.dims), layout.channels(1), heads=1, head_dim=4).double()
    qkv = [lin(x) for lin, x in zip(att.qkv, xs)]                   # W1 [1,3,2,12], b1 [1,3,12], W2 [1,2,3,12]
    fibres = torch.stack([qkv[0][0, :, 0], qkv[0][0, :, 1], qkv[1][0], qkv[2][0, 0], qkv[2][0, 1]])   # [5, 3, 12]
    q, k, v = fibres[..., :4].flatten(1), fibres[..., 4:8].flatten(1), fibres[..., 8:].flatten(1)
    layer1 = (torch.softmax(q @ k.t() / (12 ** 0.5), -1) @ v).view(5, 3, 4)
    tokens = torch.stack([t[0].mean(dim=list(range(t.dim() - 2))) for t in qkv])          # [4 tensors, 12]
    glob = torch.softmax(tokens[:, :4] @ tokens[:, 4:8].t() / 2.0, -1) @ tokens[:, 8:]
    # W1's column k also takes part in neuron layer 0 (its fibre along layer 0 is the row W1[j, :])
    rows0 = torch.stack([qkv[0][0, j] for j in range(3)])                                   # [3, 2, 12]
    q0, k0, v0 = rows0[..., :4].flatten(1), rows0[..., 4:8].flatten(1), rows0[..., 8:].flatten(1)
    layer0 = (torch.softmax(q0 @ k0.t() / (8 ** 0.5), -1) @ v0).view(3, 2, 4)
    expected_w1 = layer1[:2].permute(1, 0, 2) + layer0 + glob[0]
    assert torch.allclose(att(xs)[0][0], att.out[0](expected_w1), atol=1e-12)
    assert torch.allclose(_attend(q[None, None], k[None, None], v[None, None])[0, 0].view(5, 3, 4), layer1)


def test_rejects_tensors_over_three_layers():
    with pytest.raises(ValueError, match="at most two"):
        WeightSpaceAttention([(0, 1, 2)], [4])
