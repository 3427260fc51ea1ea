"""SAB / ISAB are permutation-equivariant within sets, PMA / SetTransformer invariant."""
import pytest
import torch

from sne_pyg.nn.aggr import SegmentISAB, SegmentPMA, SegmentSAB, SegmentSetTransformer
from sne_pyg.segment import ptr_from_sizes

SIZES = torch.tensor([5, 1, 7, 3])


def _within_set_permutation(sizes, generator):
    perm, start = [], 0
    for n in sizes.tolist():
        perm.append(start + torch.randperm(n, generator=generator))
        start += n
    return torch.cat(perm)


def _modules():
    return {"sab": SegmentSAB(8, heads=2), "isab": SegmentISAB(8, heads=2, num_inducing=3),
            "pma": SegmentPMA(8, heads=2, num_seeds=2),
            "set_transformer_sab": SegmentSetTransformer(8, heads=2, num_blocks=2, block="sab"),
            "set_transformer_isab": SegmentSetTransformer(8, heads=2, num_blocks=1, block="isab")}


EQUIVARIANT = ["sab", "isab"]
INVARIANT = ["pma", "set_transformer_sab", "set_transformer_isab"]


@pytest.mark.parametrize("name", EQUIVARIANT + INVARIANT)
def test_symmetry_under_within_set_permutation(name):
    module = _modules()[name].double().eval()
    x = torch.randn(int(SIZES.sum()), 8, dtype=torch.float64)
    ptr = ptr_from_sizes(SIZES)
    perm = _within_set_permutation(SIZES, torch.Generator().manual_seed(1))
    assert not torch.equal(perm, torch.arange(perm.numel()))
    out, out_perm = module(x, ptr=ptr), module(x[perm], ptr=ptr)
    if name in EQUIVARIANT:
        assert out.shape == x.shape
        assert torch.allclose(out[perm], out_perm, atol=1e-10)
    else:
        assert out.size(0) == SIZES.numel()
        assert torch.allclose(out, out_perm, atol=1e-10)
    # and a permutation across sets does change the result (the test can fail)
    mixed = torch.arange(perm.numel()).roll(1)
    assert not torch.allclose(module(x[mixed], ptr=ptr), out_perm if name in INVARIANT else out[mixed])


@pytest.mark.parametrize("name", EQUIVARIANT + INVARIANT)
def test_index_and_ptr_inputs_agree(name):
    module = _modules()[name].eval()
    x = torch.randn(int(SIZES.sum()), 8)
    index = torch.repeat_interleave(torch.arange(SIZES.numel()), SIZES)
    assert torch.allclose(module(x, index=index, dim_size=4), module(x, ptr=ptr_from_sizes(SIZES)), atol=1e-6)


def test_pma_output_width_and_repr():
    pma = SegmentPMA(8, heads=2, num_seeds=3)
    out = pma(torch.randn(6, 8), ptr=torch.tensor([0, 2, 6]))
    assert out.shape == (2, 24)
    assert "num_seeds=3" in repr(pma)


def test_reset_parameters_restores_fresh_state():
    torch.manual_seed(3)
    module = SegmentSetTransformer(8, heads=2)
    fresh = {k: v.clone() for k, v in module.state_dict().items()}
    with torch.no_grad():
        for p in module.parameters():
            p.add_(1.0)
    module.reset_parameters()
    changed = [k for k, v in module.state_dict().items() if not torch.equal(v, fresh[k] + 1.0)]
    assert len(changed) == len(fresh)


def test_unknown_block_kind():
    with pytest.raises(ValueError, match="block must be one of"):
        SegmentSetTransformer(8, block="transformer")
