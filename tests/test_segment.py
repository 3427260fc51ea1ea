import pytest
import torch

from sne_pyg import segment
from sne_pyg.segment import (Segments, index_from_ptr, ptr_from_index, ptr_from_sizes, segment_broadcast,
                             segment_max, segment_mean, segment_softmax, segment_sum, use_backend)

BACKENDS = ["native"] + (["torch_scatter"] if segment.HAS_TORCH_SCATTER else [])
SIZES = torch.tensor([3, 0, 5, 1, 0, 4, 0])   # empty sets in the middle and at the end


def _reference(op, x, sizes):
    """Per-set loop with plain torch ops: an independent answer."""
    out, start = [], 0
    for n in sizes.tolist():
        part = x[start:start + n]
        start += n
        if op == "softmax":
            out.append(part.softmax(0))
            continue
        if n == 0:
            out.append(torch.zeros(1, *x.shape[1:], dtype=x.dtype))
        elif op == "sum":
            out.append(part.sum(0, keepdim=True))
        elif op == "mean":
            out.append(part.mean(0, keepdim=True))
        elif op == "max":
            out.append(part.max(0, keepdim=True).values)
    return torch.cat(out)


OPS = {"sum": segment_sum, "mean": segment_mean, "max": segment_max,
       "softmax": lambda x, ptr: segment_softmax(x, ptr)}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op", list(OPS))
def test_ops_match_per_set_reference(backend, op):
    x = torch.randn(int(SIZES.sum()), 2, 3, dtype=torch.float64)
    with use_backend(backend):
        got = OPS[op](x, ptr_from_sizes(SIZES))
    assert torch.allclose(got, _reference(op, x, SIZES), atol=1e-12)


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.skipif(not segment.HAS_TORCH_SCATTER, reason="torch-scatter not installed")
def test_backends_equal_values_and_gradients(op):
    x = torch.randn(int(SIZES.sum()), 4, dtype=torch.float64)
    ptr = ptr_from_sizes(SIZES)
    results = {}
    for backend in ("native", "torch_scatter"):
        leaf = x.clone().requires_grad_()
        with use_backend(backend):
            out = OPS[op](leaf, ptr)
        weights = torch.linspace(-1, 2, out.numel(), dtype=out.dtype).view_as(out)
        (grad,) = torch.autograd.grad((out * weights).sum(), leaf)
        results[backend] = (out.detach(), grad)
    assert torch.allclose(results["native"][0], results["torch_scatter"][0], atol=1e-12)
    assert torch.allclose(results["native"][1], results["torch_scatter"][1], atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_broadcast_and_gradcheck(backend):
    ptr = ptr_from_sizes(SIZES)
    values = torch.randn(SIZES.numel(), 3, dtype=torch.float64)
    with use_backend(backend):
        out = segment_broadcast(values, ptr)
        assert torch.equal(out, values.repeat_interleave(SIZES, 0))
        x = torch.randn(int(SIZES.sum()), 2, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda t: segment_softmax(t, ptr), (x,))
        assert torch.autograd.gradcheck(lambda t: segment_max(t, ptr), (x,))
        assert torch.autograd.gradcheck(lambda t: segment_mean(t, ptr), (x,))


def test_pointer_index_conversions():
    ptr = ptr_from_sizes(SIZES)
    assert ptr.tolist() == [0, 3, 3, 8, 9, 9, 13, 13]
    index = index_from_ptr(ptr)
    assert index.tolist() == [0, 0, 0, 2, 2, 2, 2, 2, 3, 5, 5, 5, 5]
    assert torch.equal(ptr_from_index(index, SIZES.numel()), ptr)
    segments = Segments.from_sizes(SIZES)
    assert segments.num_segments == 7 and segments.num_elements == 13
    assert torch.equal(segments.sizes, SIZES)


def test_backend_selection():
    with use_backend("native"):
        assert segment.get_backend() == "native"
    with pytest.raises(ValueError, match="unknown segment backend"):
        segment.set_backend("cuda-magic")
