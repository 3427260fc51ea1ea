import pytest
import torch

from sne_pyg.nn import fused
from sne_pyg.nn.mab import (MAB, dense_masked_attention, element_to_set_attention, folded_dense_attention,
                            folded_seed_pooling, pairwise_segment_attention, seed_segment_attention)
from sne_pyg.segment import Segments

SIZES = torch.tensor([4, 1, 0, 6])


def _sets(hidden=8):
    x = torch.randn(int(SIZES.sum()), hidden, dtype=torch.float64)
    return x, Segments.from_sizes(SIZES), list(torch.split(x, SIZES.tolist()))


def _mab(hidden=8):
    return MAB(hidden, heads=2).double().eval()


def _dense(mab, q, kv):
    """Plain attention on one unpadded set, the independent reference."""
    mask = torch.ones(1, kv.size(0), dtype=torch.bool)
    return dense_masked_attention(mab, q[None], kv[None], mask)[0]


def test_pairwise_attention_equals_dense_per_set():
    mab = _mab()
    x, segments, parts = _sets()
    got = pairwise_segment_attention(mab, x, segments)
    expected = torch.cat([_dense(mab, p, p) for p in parts if p.numel()])
    assert torch.allclose(got, expected, atol=1e-10)


@pytest.mark.parametrize("dense_from", [1, 3, 5, 100])
def test_dense_and_pairwise_paths_agree_in_value_and_gradient(dense_from):
    """Sets of at least ``dense_from`` elements go through one fused attention each, smaller ones
    through the pair list; any split of the sets between the two paths computes the same thing."""
    torch.manual_seed(0)
    mab = _mab()
    x, segments, parts = _sets()
    x.requires_grad_(True)
    got = pairwise_segment_attention(mab, x, segments, dense_from=dense_from)
    expected = torch.cat([_dense(mab, p, p) for p in parts if p.numel()])
    assert torch.allclose(got, expected, atol=1e-10)
    weights = torch.randn_like(got)
    (grad,) = torch.autograd.grad((got * weights).sum(), x)
    x_ref = x.detach().clone().requires_grad_(True)
    reference = pairwise_segment_attention(mab, x_ref, segments, dense_from=10**9)
    (grad_ref,) = torch.autograd.grad((reference * weights).sum(), x_ref)
    assert torch.allclose(grad, grad_ref, atol=1e-10)


def test_seed_attention_equals_dense_per_set_and_handles_empty_set():
    mab = _mab()
    seeds = torch.randn(3, 8, dtype=torch.float64)
    x, segments, parts = _sets()
    got = seed_segment_attention(mab, seeds, x, segments)
    assert got.shape == (4, 3, 8)
    for s, part in enumerate(parts):
        if part.numel():
            assert torch.allclose(got[s], _dense(mab, seeds, part), atol=1e-10)
    empty = mab.combine(seeds, torch.zeros(3, 2, 4, dtype=torch.float64))
    assert torch.allclose(got[2], empty)


def test_element_to_set_attention_equals_dense():
    mab = _mab()
    x, segments, parts = _sets()
    per_set = torch.randn(4, 5, 8, dtype=torch.float64)
    got = element_to_set_attention(mab, x, per_set, segments)
    expected = torch.cat([_dense(mab, p, per_set[s]) for s, p in enumerate(parts) if p.numel()])
    assert torch.allclose(got, expected, atol=1e-10)


def test_dense_masked_attention_ignores_padding():
    mab = _mab()
    x = torch.randn(2, 6, 8, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.bool)
    out = dense_masked_attention(mab, x, x, mask)
    garbage = x.clone()
    garbage[0, 3:] = 1e3
    out2 = dense_masked_attention(mab, garbage, garbage, mask)
    assert torch.allclose(out[0, :3], out2[0, :3], atol=1e-10)
    assert torch.allclose(out[0, :3], _dense(mab, x[0, :3], x[0, :3]), atol=1e-10)


def test_hidden_must_divide_heads():
    with pytest.raises(ValueError, match="divisible"):
        MAB(10, heads=4)


@pytest.mark.parametrize("block", [1, 3, 4, 7])
def test_element_blocks_do_not_change_seed_or_induced_attention(block):
    """Blocks cut sets anywhere (set sizes 4, 1, 0, 6); values and gradients equal the one-pass result."""
    torch.manual_seed(0)
    mab = _mab()
    seeds = torch.randn(3, 8, dtype=torch.float64)
    x, segments, _ = _sets()
    per_set = torch.randn(4, 5, 8, dtype=torch.float64)
    for fn, args in ((seed_segment_attention, (mab, seeds)), (element_to_set_attention, (mab,))):
        outputs = []
        for b in (block, 10**9):
            xb = x.clone().requires_grad_(True)
            call = (*args, xb, segments) if fn is seed_segment_attention else (*args, xb, per_set, segments)
            out = fn(*call, block=b)
            (grad,) = torch.autograd.grad(out.pow(2).sum(), xb)
            outputs.append((out, grad))
        assert torch.allclose(outputs[0][0], outputs[1][0], atol=1e-12)
        assert torch.allclose(outputs[0][1], outputs[1][1], atol=1e-12)


def _random_mab(hidden=8, heads=2, seed=0):
    """Every weight random (LayerNorm gains and biases too), so nothing folds away by accident."""
    mab = MAB(hidden, heads=heads).double()
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in mab.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    return mab.eval()


def _masked_sets(batch=5, size=6, hidden=8, seed=1):
    torch.manual_seed(seed)
    y = torch.randn(batch, size, hidden, dtype=torch.float64) * 2
    valid = torch.tensor([6, 1, 3, 6, 2])[:batch]                      # every set keeps >= 1 key
    return y, torch.arange(size)[None] < valid[:, None]


def test_folded_self_attention_is_the_same_function():
    mab = _random_mab()
    y, mask = _masked_sets()
    assert torch.allclose(folded_dense_attention(mab, y, y, mask), dense_masked_attention(mab, y, y, mask),
                          atol=1e-10)


def test_folded_cross_attention_is_the_same_function():
    mab = _random_mab(seed=3)
    y, mask = _masked_sets()
    x = torch.randn(5, 2, 8, dtype=torch.float64)
    assert torch.allclose(folded_dense_attention(mab, x, y, mask), dense_masked_attention(mab, x, y, mask),
                          atol=1e-10)


@pytest.mark.parametrize("num_seeds", [1, 3])
def test_folded_seed_pooling_is_pma_of_the_expanded_seeds(num_seeds):
    mab = _random_mab(seed=4)
    y, mask = _masked_sets()
    seeds = torch.randn(num_seeds, 8, dtype=torch.float64)
    expected = dense_masked_attention(mab, seeds.expand(5, -1, -1), y, mask)
    assert torch.allclose(folded_seed_pooling(mab, seeds, y, mask), expected, atol=1e-10)
    # padded keys are ignored: changing them changes nothing
    noisy = y.masked_fill(~mask[..., None], 1e3)
    assert torch.allclose(folded_seed_pooling(mab, seeds, noisy, mask), expected, atol=1e-10)


def test_cpu_inference_runs_the_folded_float32_path():
    mab = _random_mab().float()
    y, mask = _masked_sets()
    y = y.float()
    reference = dense_masked_attention(mab, y, y, mask).detach()      # autograd on: reference path
    with torch.no_grad():
        fast = dense_masked_attention(mab, y, y, mask)
    assert torch.allclose(fast, reference, atol=1e-4)
    if fused.onednn_linear_available():
        assert not torch.equal(fast, reference)                        # it really took the other path
