r"""Segment operations over sorted sets: the backend of every set function in SNE.

A batch of variable-size sets is stored flat, elements of one set contiguous, and
described by a CSR pointer ``ptr`` (``ptr[s]:ptr[s+1]`` are the elements of set ``s``).
Reductions run along dim 0:

.. math::
    \mathrm{sum}_s = \sum_{i=p_s}^{p_{s+1}-1} x_i,\quad
    \mathrm{softmax}(x)_i = \frac{e^{x_i - m_s}}{\sum_{j \in s} e^{x_j - m_s}},\
    m_s = \max_{j\in s} x_j .

Two backends give the same values and gradients: ``torch_scatter`` (``segment_csr`` /
``gather_csr``) when it is installed and ``native`` (``torch.segment_reduce`` /
``index_select``) always. Empty sets reduce to 0 on both (native ``segment_reduce``
would give NaN for mean and -inf for max).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import Tensor

try:  # pragma: no cover - depends on the environment
    import torch_scatter
    HAS_TORCH_SCATTER = True
except ImportError:  # pragma: no cover
    torch_scatter = None
    HAS_TORCH_SCATTER = False

BACKENDS = ("auto", "torch_scatter", "native")
_backend = "auto"


def set_backend(name: str) -> None:
    """Select ``"auto"`` (torch-scatter when installed), ``"torch_scatter"`` or ``"native"``."""
    global _backend
    if name not in BACKENDS:
        raise ValueError(f"unknown segment backend {name!r}; choose one of {BACKENDS}")
    if name == "torch_scatter" and not HAS_TORCH_SCATTER:
        raise ImportError("segment backend 'torch_scatter' requested but torch-scatter is not installed "
                          "(install it with `make setup`, or use 'native')")
    _backend = name


def get_backend() -> str:
    """The backend in use now: ``"torch_scatter"`` or ``"native"``."""
    return "torch_scatter" if _backend != "native" and HAS_TORCH_SCATTER else "native"


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    previous = _backend
    set_backend(name)
    try:
        yield
    finally:
        set_backend(previous)


# ---- pointer / index conversions ---------------------------------------------------
def element_blocks(num_elements: int, block: int) -> list[slice]:
    """Consecutive slices of at most ``block`` elements covering ``range(num_elements)`` (one empty slice for 0)."""
    return [slice(start, min(start + block, num_elements)) for start in range(0, num_elements, block)] or [slice(0, 0)]


def ptr_from_sizes(sizes: Tensor) -> Tensor:
    """CSR pointer ``[0, s_0, s_0 + s_1, ...]`` of segment sizes (length ``len(sizes) + 1``)."""
    ptr = sizes.new_zeros(sizes.numel() + 1)
    torch.cumsum(sizes, 0, out=ptr[1:])
    return ptr


def ptr_from_index(index: Tensor, num_segments: int) -> Tensor:
    """CSR pointer of a *sorted* segment-id vector."""
    return ptr_from_sizes(torch.bincount(index, minlength=num_segments))


def index_from_ptr(ptr: Tensor, num_elements: int | None = None) -> Tensor:
    sizes = ptr.diff()
    segments = torch.arange(sizes.numel(), device=ptr.device)
    return torch.repeat_interleave(segments, sizes, output_size=num_elements)


# ---- reductions ---------------------------------------------------------------------
def segment_sum(src: Tensor, ptr: Tensor) -> Tensor:
    if get_backend() == "torch_scatter":
        return torch_scatter.segment_csr(src, ptr, reduce="sum")
    return torch.segment_reduce(src, "sum", offsets=ptr, axis=0)


def segment_mean(src: Tensor, ptr: Tensor) -> Tensor:
    if get_backend() == "torch_scatter":
        return torch_scatter.segment_csr(src, ptr, reduce="mean")
    counts = ptr.diff().clamp(min=1).to(src.dtype)
    return segment_sum(src, ptr) / counts.view(-1, *([1] * (src.dim() - 1)))


def segment_max(src: Tensor, ptr: Tensor) -> Tensor:
    if get_backend() == "torch_scatter":
        return torch_scatter.segment_csr(src, ptr, reduce="max")
    out = torch.segment_reduce(src, "max", offsets=ptr, axis=0)
    empty = (ptr.diff() == 0).view(-1, *([1] * (src.dim() - 1)))
    return torch.where(empty, torch.zeros((), dtype=src.dtype, device=src.device), out)


def segment_broadcast(values: Tensor, ptr: Tensor, index: Tensor | None = None) -> Tensor:
    """Repeat each set's row for every element of the set: ``[S, ...] -> [N, ...]``."""
    if get_backend() == "torch_scatter":
        return torch_scatter.gather_csr(values, ptr)
    if index is None:
        index = index_from_ptr(ptr)
    return values.index_select(0, index)


def segment_softmax(src: Tensor, ptr: Tensor, index: Tensor | None = None) -> Tensor:
    """Softmax over the elements of each set, independently for every trailing entry."""
    shift = segment_broadcast(segment_max(src.detach(), ptr), ptr, index)
    exp = (src - shift).exp()
    return exp / segment_broadcast(segment_sum(exp, ptr), ptr, index)


class Segments:
    """Sorted sets described once (pointer, sizes, element index) and reused by every op."""

    def __init__(self, ptr: Tensor, index: Tensor | None = None) -> None:
        self.ptr = ptr
        self.num_segments = ptr.numel() - 1
        self._index = index

    @classmethod
    def from_sizes(cls, sizes: Tensor) -> "Segments":
        return cls(ptr_from_sizes(sizes))

    @classmethod
    def from_index(cls, index: Tensor, num_segments: int) -> "Segments":
        return cls(ptr_from_index(index, num_segments), index)

    @property
    def sizes(self) -> Tensor:
        return self.ptr.diff()

    @property
    def index(self) -> Tensor:
        if self._index is None:
            self._index = index_from_ptr(self.ptr)
        return self._index

    @property
    def num_elements(self) -> int:
        return self.index.numel()

    def sum(self, src: Tensor) -> Tensor:
        return segment_sum(src, self.ptr)

    def mean(self, src: Tensor) -> Tensor:
        return segment_mean(src, self.ptr)

    def max(self, src: Tensor) -> Tensor:
        return segment_max(src, self.ptr)

    def softmax(self, src: Tensor) -> Tensor:
        return segment_softmax(src, self.ptr, self._index_if_native())

    def broadcast(self, values: Tensor) -> Tensor:
        return segment_broadcast(values, self.ptr, self._index_if_native())

    def _index_if_native(self) -> Tensor | None:
        return None if get_backend() == "torch_scatter" else self.index

    def __repr__(self) -> str:
        return f"Segments(num_segments={self.num_segments})"
