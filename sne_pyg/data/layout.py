"""Reversible layout of a network's parameters as layers of neuron rows.

Every converted layer is a matrix of ``rows x cols``: row ``i`` holds everything attached
to output unit ``i`` (its incoming weights, flattened over kernel positions for conv
layers, then its bias, then its normalisation parameters and statistics).  A layer is
built from *pieces*; each piece is a 2-D view of one state_dict tensor.  Because every
piece is a view when applied to a contiguous tensor, the inverse (back to the
state_dict) is "apply the same view to an empty tensor and copy into it".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor

from .layer_types import LayerType


@dataclass(frozen=True)
class Piece:
    """A 2-D ``[rows, cols]`` view of one state_dict entry.

    kind:
        ``"rows"``       ``t.reshape(t.shape[0], -1)`` (a 0-d tensor becomes ``1 x 1``);
        ``"transpose"``  ``t.t()`` for weights stored ``in x out`` (GPT-2 ``Conv1D``);
        ``"row_slice"``  rows ``start:stop`` of ``t`` (q / k / v of a packed in-projection);
        ``"col_slice_t"`` columns ``start:stop`` of ``t``, transposed (q / k / v of GPT-2's ``c_attn``).
    """

    key: str
    kind: str = "rows"
    start: int = 0
    stop: int = 0

    def view(self, tensor: Tensor) -> Tensor:
        if self.kind == "rows":
            if tensor.dim() == 0:
                return tensor.reshape(1, 1)
            rows = tensor.shape[0]
            return tensor.reshape(rows, math.prod(tensor.shape[1:]))
        if self.kind == "transpose":
            return tensor.t()
        if self.kind == "row_slice":
            part = tensor[self.start:self.stop]
            return part.reshape(self.stop - self.start, math.prod(tensor.shape[1:]))
        if self.kind == "col_slice_t":
            return tensor[:, self.start:self.stop].t()
        raise ValueError(f"unknown piece kind {self.kind!r}")

    def shape_of(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """The ``(rows, cols)`` this piece has for a tensor of ``shape``."""
        if self.kind == "rows":
            return (1, 1) if len(shape) == 0 else (shape[0], math.prod(shape[1:]))
        if self.kind == "transpose":
            return (shape[1], shape[0])
        if self.kind == "col_slice_t":
            return (self.stop - self.start, shape[0])
        return (self.stop - self.start, math.prod(shape[1:]))


@dataclass(frozen=True)
class LayerSpec:
    """One converted layer: a named group of pieces sharing the same number of rows."""

    name: str
    type: LayerType
    level: int
    rows: int
    pieces: tuple[Piece, ...]
    piece_cols: tuple[int, ...]
    fan_in: int
    fan_out: int

    @property
    def cols(self) -> int:
        return sum(self.piece_cols)

    @property
    def numel(self) -> int:
        return self.rows * self.cols


@dataclass(frozen=True)
class ParamInfo:
    shape: tuple[int, ...]
    dtype: torch.dtype


@dataclass(frozen=True)
class Skipped:
    """A state_dict entry that is not encoded, kept so the round trip stays complete."""

    reason: str
    value: object


@dataclass
class NetworkLayout:
    """Everything needed to go from the chunk tensor back to the exact state_dict.

    Attributes:
        keys: the state_dict keys in their original order.
        params: shape and dtype of every encoded entry.
        layers: the converted layers in order (their index is the layer id).
        aliases: ``alias key -> source key`` for entries that share storage (tied weights);
            they are encoded once.
        skipped: entries that are not encoded (integer / bool buffers), with the reason.
        dataflow: ``layer -> layers whose summed outputs it reads`` when converted with
            ``dataflow=derive_dataflow(module)`` (:func:`sne_pyg.symmetry.derive.derive_dataflow`), else None.
        activations: ``layer -> activation name`` (one of :data:`sne_pyg.data.activations.ACTIVATION_NAMES`)
            when converted with ``activations=derive_activations(module)``, else None.
    """

    keys: list[str]
    params: dict[str, ParamInfo]
    layers: list[LayerSpec]
    aliases: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, Skipped] = field(default_factory=dict)
    dataflow: dict[str, tuple[str, ...]] | None = None
    activations: dict[str, str] | None = None

    def __repr__(self) -> str:
        return (f"NetworkLayout(layers={len(self.layers)}, params={len(self.params)}, "
                f"aliases={len(self.aliases)}, skipped={len(self.skipped)})")

    @property
    def skipped_reasons(self) -> dict[str, str]:
        return {key: entry.reason for key, entry in self.skipped.items()}

