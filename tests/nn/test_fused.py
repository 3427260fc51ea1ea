import pytest
import torch
import torch.nn.functional as F
from torch import nn

from sne_pyg.nn import fused
from sne_pyg.nn.fused import fold_layer_norm, fused_inference, linear, normalise

needs_onednn = pytest.mark.skipif(not fused.onednn_linear_available(), reason="this PyTorch build has no oneDNN linear")


def _randomised(module: nn.Module, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p))
    return module


@needs_onednn
@pytest.mark.parametrize("bias", [True, False])
def test_fused_linear_matches_the_eager_ops(bias):
    torch.manual_seed(0)
    x, w = torch.randn(5, 7, 6), torch.randn(4, 6)
    b = torch.randn(4) if bias else None
    residual = torch.randn(5, 7, 4)
    with torch.no_grad():
        assert fused_inference(x)
        assert torch.allclose(linear(x, w, b), F.linear(x, w, b), atol=1e-5)
        assert torch.allclose(linear(x, w, b, gelu=True), F.gelu(F.linear(x, w, b)), atol=1e-5)
        assert torch.allclose(linear(x, w, b, residual=residual), residual + F.linear(x, w, b), atol=1e-5)
        strided = torch.randn(5, 7, 12)[..., ::2]                  # a non-contiguous input
        assert torch.allclose(linear(strided, w, b), F.linear(strided, w, b), atol=1e-5)


def test_fused_kernel_only_in_float32_cpu_inference():
    x = torch.randn(3, 4)
    assert not fused_inference(x)                                   # autograd on
    with torch.no_grad():
        assert fused_inference(x) == fused.onednn_linear_available()
        assert not fused_inference(x.double())


@needs_onednn
def test_compiled_code_traces_the_plain_ops_not_the_onednn_kernel():
    """Inductor cannot lower the oneDNN op, so under torch.compile the plain path must be taken."""
    def which(x):
        return x * (2.0 if fused_inference(x) else 3.0)
    x = torch.randn(3, 4)
    with torch.no_grad():
        assert torch.equal(which(x), 2 * x)                             # eager: the fused kernel
        assert torch.equal(torch.compile(which, backend="eager", fullgraph=True)(x), 3 * x)


def test_eager_fallback_and_gradients():
    torch.manual_seed(0)
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    w, b, r = torch.randn(5, 4, dtype=torch.float64), torch.randn(5, dtype=torch.float64), torch.randn(3, 5)
    assert torch.equal(linear(x, w, b, residual=r.double()), r.double() + F.linear(x, w, b))
    linear(x, w, b, gelu=True).sum().backward()
    expected = torch.autograd.grad(F.gelu(F.linear(x, w, b)).sum(), x)[0]
    assert torch.allclose(x.grad, expected)
    with pytest.raises(ValueError, match="GELU or a residual"):
        linear(x, w, b, gelu=True, residual=r)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_folded_layer_norm_equals_linear_of_layer_norm(affine, bias):
    norm = _randomised(nn.LayerNorm(6, elementwise_affine=affine).double(), seed=1)
    layer = _randomised(nn.Linear(6, 3, bias=bias).double(), seed=2)
    x = torch.randn(4, 6, dtype=torch.float64) * 3 + 1
    w, b = fold_layer_norm(layer, norm)
    folded = F.linear(normalise(x, norm), w, b)
    assert torch.allclose(folded, layer(norm(x)), atol=1e-12)
    assert fold_layer_norm(layer, nn.Identity()) == (layer.weight, layer.bias)
    assert normalise(x, nn.Identity()) is x
