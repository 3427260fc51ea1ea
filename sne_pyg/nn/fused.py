r"""Fused linear kernels for CPU inference: ``linear (+ bias) (+ GELU) (+ residual)`` in one call.

At SNE's chunk level every element is a ``hidden``-wide row, so an eager ``nn.Linear`` followed
by GELU or a residual add spends more time moving rows than multiplying them: the bias is
first copied into the output, then GELU or the addition reads and writes every row again.
oneDNN's linear primitive applies bias, GELU or the addition in the GEMM's epilogue instead.

:func:`linear` uses it when :func:`fused_inference` holds (float32 CPU tensors, autograd off,
the oneDNN op present in this PyTorch build) and the plain eager ops otherwise, so training,
GPUs and other builds compute the same function the ordinary way.

Folding helpers express a pre-LayerNorm linear as a linear of the un-scaled normalised input,

.. math::
    W\,(\hat x \odot \gamma + \beta) + b = (W \operatorname{diag}\gamma)\,\hat x + (W\beta + b),

so two LayerNorms of the same input share one normalisation.
"""
from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@functools.cache
def onednn_linear_available() -> bool:
    """Whether this build runs oneDNN's fused linear + pointwise kernels correctly. Probed on first use, not
    at import: the probe starts oneDNN's OpenMP pool, which a process forked after it could not use."""
    try:
        x, w = torch.ones(2, 3), torch.ones(4, 3)
        fused = torch.ops.mkldnn._linear_pointwise(x, w, None, "gelu", [], "none")
        added = torch.ops.mkldnn._linear_pointwise.binary(x, torch.ones(2, 4), w, None, "add")
        return bool(torch.allclose(fused, F.gelu(x @ w.t())) and torch.allclose(added, x @ w.t() + 1))
    except (AttributeError, RuntimeError):
        return False


def fused_inference(x: Tensor) -> bool:
    """Whether :func:`linear` on ``x`` runs the fused oneDNN kernel (CPU, float32, no autograd, eager).

    Under ``torch.compile`` the plain ops are traced instead: the compiler fuses epilogues itself, and
    Inductor cannot lower the oneDNN op (measured in ``benchmarks/bench_compile.py``)."""
    return (not torch.is_grad_enabled() and x.device.type == "cpu" and x.dtype == torch.float32
            and not torch.compiler.is_compiling() and onednn_linear_available())


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None, *, gelu: bool = False,
           residual: Tensor | None = None) -> Tensor:
    r"""``x W^T + b``, then exact (erf) GELU if ``gelu``, then ``+ residual`` (same shape as the output)."""
    if gelu and residual is not None:
        raise ValueError("linear() applies GELU or a residual, not both")
    if fused_inference(x):
        if residual is not None:
            return torch.ops.mkldnn._linear_pointwise.binary(x, residual.contiguous(), weight, bias, "add")
        return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "gelu" if gelu else "none", [],
                                                  "none" if gelu else "")
    out = F.linear(x, weight, bias)
    if gelu:
        return F.gelu(out)
    return out if residual is None else residual + out


def fold_layer_norm(layer: nn.Linear, norm: nn.Module) -> tuple[Tensor, Tensor | None]:
    """Weight and bias of ``layer(norm(x))`` as a linear of ``norm``'s un-scaled output (identity norms pass)."""
    if isinstance(norm, nn.Identity):
        return layer.weight, layer.bias
    gamma = norm.weight if norm.weight is not None else torch.ones_like(layer.weight[0])
    beta = norm.bias if norm.bias is not None else torch.zeros_like(layer.weight[0])
    bias = layer.weight @ beta
    return layer.weight * gamma, bias if layer.bias is None else bias + layer.bias


def normalise(x: Tensor, norm: nn.Module) -> Tensor:
    """``norm(x)`` without its affine part (see :func:`fold_layer_norm`); identity norms pass ``x``."""
    if isinstance(norm, nn.Identity):
        return x
    return F.layer_norm(x, norm.normalized_shape, eps=norm.eps)
