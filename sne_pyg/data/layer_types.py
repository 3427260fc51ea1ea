"""The vocabulary of layer types that SNE's layer-type encoding distinguishes."""
from __future__ import annotations

from enum import IntEnum


class LayerType(IntEnum):
    """Type id of a converted layer (the index of its layer-type embedding).

    Attention in-projections are split into separate query / key / value layers so that
    each gets its own set; the output projection of an attention module is ``ATTN_OUT``.
    GPT-2-style ``Conv1D`` layers (weight stored as ``in x out``) are ``LINEAR``: the
    layout transposes them so that every linear layer has one row per output neuron.
    Any float parameter the converter does not recognise converts as ``OTHER``.
    """

    LINEAR = 0
    CONV1D = 1
    CONV2D = 2
    CONV3D = 3
    BATCHNORM = 4
    LAYERNORM = 5
    GROUPNORM = 6
    EMBEDDING = 7
    ATTN_QUERY = 8
    ATTN_KEY = 9
    ATTN_VALUE = 10
    ATTN_OUT = 11
    OTHER = 12

    @classmethod
    def count(cls) -> int:
        return len(cls)


CONV_TYPES = {1: LayerType.CONV1D, 2: LayerType.CONV2D, 3: LayerType.CONV3D}
NORM_TYPES = (LayerType.BATCHNORM, LayerType.LAYERNORM, LayerType.GROUPNORM)
ATTENTION_TYPES = (LayerType.ATTN_QUERY, LayerType.ATTN_KEY, LayerType.ATTN_VALUE, LayerType.ATTN_OUT)
