"""One table of the parameterised layer kinds the package understands.

Conversion (:mod:`sne_pyg.data.classify`) and symmetry derivation (:mod:`sne_pyg.symmetry.derive`)
both read it, so a new kind of layer is one :class:`LayerKind` entry:

* which module classes it covers (and an optional extra test on the module and its parent);
* its :class:`~sne_pyg.data.layer_types.LayerType` and which parameters form the layer, in row
  order (each becomes a piece of the layer's neuron rows, see :mod:`sne_pyg.data.layout`), or a
  planner of its own for modules that split into several layers (attention);
* its *permutation rule*: how the neurons it reads and makes permute. The rules are

  ======================  ================================================================
  ``"dense"``             weight ``[out, in, ...]``: rows make new neurons, columns read the
                          input's; every other parameter (bias, ...) follows the rows
  ``"dense_transposed"``  the same with the weight stored ``[in, out]`` (GPT-2 ``Conv1D``)
  ``"conv"``              ``"dense"`` over channels, keeping the spatial size; grouped
                          convolutions are not covered
  ``"channel"``           every parameter is per input channel (axis 0) and moves with it (norms)
  ``"embedding"``         a table ``[num, dim]`` whose columns make new neurons
  ``"prelu"``             per-channel slopes move with their channel; one shared slope is an
                          activation
  ``"attention"``         multi-head attention (heads and within-head dimensions)
  ``"transformer_layer"``, ``"transformer"``: PyTorch's encoder layer / stack
  ``None``                no known symmetry: deriving a permutation refuses the model
  ======================  ================================================================

The first entry that matches a module wins; :func:`register_layer_kind` puts new entries first.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from .layer_types import CONV_TYPES, LayerType

PERMUTATION_RULES = ("dense", "dense_transposed", "conv", "channel", "embedding", "prelu", "attention",
                     "transformer_layer", "transformer", None)
NORM_PARAMETERS = ("weight", "bias", "running_mean", "running_var")


@dataclass(frozen=True)
class LayerKind:
    """A kind of parameterised module: how it converts and how its neurons permute.

    Args:
        name: a short name (error messages, docs).
        modules: the module classes it covers (``isinstance``).
        layer_type: the layer's type, or a function of the module giving it (convolutions by dimension).
        parameters: local names of the parameters forming the layer, in row order; those present
            are used. Unused when ``planner`` is given.
        required: parameters that must be present for the kind to plan a layer at all.
        fan_in: ``"cols"`` (the first piece's columns), ``"rows"`` (one input per row: norms,
            embeddings) or ``"weight_in"`` (``weight.shape[1]``: a conv's input channels).
        planner: name of a special planner in :mod:`sne_pyg.data.classify` (``"attention"``,
            ``"transposed_linear"``) for modules that are not one weight + followers.
        permutation: the permutation rule (see the module doc).
        applies: extra test ``(module, parent) -> bool`` beyond ``isinstance``.
        permutes: test ``module -> bool``: whether this instance has the rule's symmetry (a
            LayerNorm over several dims has none that the rule describes); ``False`` refuses.
        leaf: read the module as one node when tracing instead of tracing into its ``forward``
            (torch.fx already keeps ``torch.nn``'s own layers whole; set it for modules defined
            elsewhere, and for blocks the rule reads as a whole).
    """

    name: str
    modules: tuple[type[nn.Module], ...]
    layer_type: LayerType | Callable[[nn.Module], LayerType] | None = None
    parameters: tuple[str, ...] = ("weight", "bias")
    required: tuple[str, ...] = ("weight",)
    fan_in: str = "cols"
    planner: str | None = None
    permutation: str | None = None
    applies: Callable[[nn.Module, nn.Module | None], bool] | None = None
    permutes: Callable[[nn.Module], bool] | None = None
    leaf: bool = False

    def __post_init__(self) -> None:
        if self.permutation not in PERMUTATION_RULES:
            raise ValueError(f"layer kind {self.name!r}: unknown permutation rule {self.permutation!r}; "
                             f"one of {PERMUTATION_RULES}")
        if self.fan_in not in ("cols", "rows", "weight_in"):
            raise ValueError(f"layer kind {self.name!r}: fan_in must be 'cols', 'rows' or 'weight_in'")

    def matches(self, module: nn.Module, parent: nn.Module | None = None) -> bool:
        return isinstance(module, self.modules) and (self.applies is None or self.applies(module, parent))

    def type_of(self, module: nn.Module) -> LayerType:
        return self.layer_type(module) if callable(self.layer_type) else self.layer_type


def is_gpt2_conv1d(module: nn.Module, parent: nn.Module | None = None) -> bool:
    """HuggingFace GPT-2's linear layer: ``y = x W + b`` with ``W`` stored ``in x out``."""
    weight = module._parameters.get("weight")    # not module.weight: torch.fx turns attribute access into proxies
    return type(module).__name__ == "Conv1D" and weight is not None and weight.dim() == 2


_RMS_NORM = getattr(nn, "RMSNorm", nn.LayerNorm)

LAYER_KINDS: list[LayerKind] = [
    LayerKind("attention", (nn.MultiheadAttention,), planner="attention", permutation="attention", leaf=True),
    LayerKind("attention output", (nn.Linear,), LayerType.ATTN_OUT, required=(), permutation="dense",
              applies=lambda m, parent: isinstance(parent, nn.MultiheadAttention)),
    LayerKind("linear", (nn.Linear,), LayerType.LINEAR, permutation="dense"),
    LayerKind("convolution", (nn.Conv1d, nn.Conv2d, nn.Conv3d), lambda m: CONV_TYPES[m.weight.dim() - 2],
              fan_in="weight_in", permutation="conv"),
    LayerKind("batch norm", (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm),
              LayerType.BATCHNORM, NORM_PARAMETERS, required=(), fan_in="rows", permutation="channel"),
    LayerKind("group norm", (nn.GroupNorm,), LayerType.GROUPNORM, NORM_PARAMETERS, required=(), fan_in="rows",
              permutation="channel", permutes=lambda m: m.num_groups in (1, m.num_channels)),
    LayerKind("layer norm", (nn.LayerNorm, _RMS_NORM), LayerType.LAYERNORM, NORM_PARAMETERS, required=(),
              fan_in="rows", permutation="channel", permutes=lambda m: len(m.normalized_shape) == 1),
    LayerKind("embedding", (nn.Embedding, nn.EmbeddingBag), LayerType.EMBEDDING, ("weight",), fan_in="rows",
              permutation="embedding", permutes=lambda m: isinstance(m, nn.Embedding)),
    # per-channel slopes convert like a norm gain (one row per channel), as the name rules read a 1-d weight
    LayerKind("prelu", (nn.PReLU,), LayerType.LAYERNORM, ("weight",), fan_in="rows", permutation="prelu"),
    LayerKind("gpt2 conv1d", (nn.Module,), planner="transposed_linear", permutation="dense_transposed",
              applies=is_gpt2_conv1d, leaf=True),
    LayerKind("transformer encoder layer", (nn.TransformerEncoderLayer,), planner="submodules",
              permutation="transformer_layer", leaf=True),
    LayerKind("transformer encoder", (nn.TransformerEncoder,), planner="submodules", permutation="transformer",
              leaf=True),
]


def kind_of(module: nn.Module | None, parent: nn.Module | None = None) -> LayerKind | None:
    """The first :data:`LAYER_KINDS` entry covering ``module`` (``None`` when no entry does)."""
    if module is None:
        return None
    return next((kind for kind in LAYER_KINDS if kind.matches(module, parent)), None)


_changes = 0


def table_version() -> int:
    """Counts changes to the table; cached conversion plans of an older table are not reused."""
    return _changes


def register_layer_kind(kind: LayerKind) -> LayerKind:
    """Add ``kind`` ahead of the built-in kinds (so it wins over a base class's entry); returns it."""
    global _changes
    if any(k.name == kind.name for k in LAYER_KINDS):
        raise ValueError(f"a layer kind named {kind.name!r} is already registered")
    LAYER_KINDS.insert(0, kind)
    _changes += 1
    return kind


def unregister_layer_kind(name: str) -> None:
    """Remove the kind called ``name``."""
    global _changes
    LAYER_KINDS[:] = [k for k in LAYER_KINDS if k.name != name]
    _changes += 1
