"""Group a module's parameters into typed layers (with the module, or from names and shapes).

The entry point is :func:`plan_group`: given the float entries owned by one module
(``{local name: tensor}``), the module itself when known and its parent, it returns
:class:`LayerPlan` objects. Entries that no rule claims are converted through the
generic ``rows`` layout as :attr:`LayerType.OTHER` rather than refused.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from .layer_kinds import kind_of
from .layer_types import CONV_TYPES, LayerType
from .layout import Piece

# HuggingFace GPT-2 names for its transposed ``Conv1D`` layers (used only without a module).
_GPT2_CONV1D_NAMES = {"c_attn", "c_fc", "c_proj"}
_EMBEDDING_HINTS = ("emb", "wte", "wpe", "tok", "pos_embed")


@dataclass
class LayerPlan:
    suffix: str                # appended to the module path ('' or '.q', '.k', ...)
    type: LayerType
    pieces: list[Piece]
    fan_in: int | None = None  # None: the columns of the first piece


def plan_group(prefix: str, params: dict[str, Tensor], module: nn.Module | None,
               parent: nn.Module | None) -> list[LayerPlan]:
    """Plan the layers of the entries ``params`` owned by the module at ``prefix``."""
    key = (lambda name: f"{prefix}.{name}" if prefix else name)
    plans: list[LayerPlan] = []
    claimed: set[str] = set()

    def claim(plan: LayerPlan | None, names: list[str]) -> None:
        if plan is None or not _rows_agree(plan, params, prefix):
            return
        plans.append(plan)
        claimed.update(names)

    if module is not None:
        _plan_by_module(module, parent, params, key, claim)
    if not claimed:
        _plan_by_names(prefix, params, key, claim)

    # every remaining entry converts through the generic layout
    rest = [name for name in params if name not in claimed]
    if rest:
        rows = {_rows(params[name]) for name in rest}
        if len(rows) == 1:
            plans.append(LayerPlan("", LayerType.OTHER, [Piece(key(n)) for n in rest]))
        else:
            plans.extend(LayerPlan(f".{n}", LayerType.OTHER, [Piece(key(n))]) for n in rest)
    return plans


def _rows(t: Tensor) -> int:
    return 1 if t.dim() == 0 else t.shape[0]


def _rows_agree(plan: LayerPlan, params: dict[str, Tensor], prefix: str) -> bool:
    local = (lambda k: k[len(prefix) + 1:] if prefix else k)
    rows = {p.shape_of(tuple(params[local(p.key)].shape))[0] for p in plan.pieces}
    return len(rows) == 1


def _weight_bias(params: dict[str, Tensor], key) -> tuple[list[Piece], list[str]]:
    names = [n for n in ("weight", "bias") if n in params]
    return [Piece(key(n)) for n in names], names


def _plan_by_module(module, parent, params, key, claim) -> None:
    """The layer(s) the :mod:`~sne_pyg.data.layer_kinds` entry of ``module`` describes (nothing if none does)."""
    kind = kind_of(module, parent)
    if kind is None or kind.planner == "submodules":     # containers own no parameters of their own
        return
    if kind.planner is not None:
        _PLANNERS[kind.planner](params, key, claim)
        return
    names = [n for n in kind.parameters if n in params]
    if not names or any(r not in params for r in kind.required):
        return
    fan_in = (None if kind.fan_in == "cols" else _rows(params[names[0]]) if kind.fan_in == "rows"
              else params["weight"].shape[1])
    claim(LayerPlan("", kind.type_of(module), [Piece(key(n)) for n in names], fan_in=fan_in), names)


def _plan_by_names(prefix: str, params: dict[str, Tensor], key, claim) -> None:
    last = prefix.rsplit(".", 1)[-1].lower()
    if "in_proj_weight" in params or "q_proj_weight" in params:
        _plan_attention(params, key, claim)
        return
    if "weight" not in params:
        return
    w = params["weight"]
    bias = params.get("bias")
    pieces, names = _weight_bias(params, key)
    if "running_mean" in params or "running_var" in params:
        _plan_norm(LayerType.BATCHNORM, params, key, claim)
    elif w.dim() in (3, 4, 5):
        claim(LayerPlan("", CONV_TYPES[w.dim() - 2], pieces, fan_in=w.shape[1]), names)
    elif w.dim() == 2:
        transposed = (bias is not None and bias.dim() == 1 and bias.shape[0] == w.shape[1] != w.shape[0])
        if transposed or (last in _GPT2_CONV1D_NAMES and (bias is None or bias.shape[0] == w.shape[1])):
            _plan_transposed_linear(params, key, claim, packed_qkv=last == "c_attn")
        elif bias is None and any(h in last for h in _EMBEDDING_HINTS):
            claim(LayerPlan("", LayerType.EMBEDDING, pieces, fan_in=w.shape[0]), names)
        elif last == "out_proj":
            claim(LayerPlan("", LayerType.ATTN_OUT, pieces), names)
        else:
            claim(LayerPlan("", LayerType.LINEAR, pieces), names)
    elif w.dim() == 1 and (bias is None or bias.shape == w.shape):
        _plan_norm(LayerType.LAYERNORM, params, key, claim)


def _is_packed_qkv(weight_key: str) -> bool:
    return weight_key.rsplit(".", 2)[-2:-1] == ["c_attn"]


def _plan_norm(kind: LayerType, params, key, claim) -> None:
    names = [n for n in ("weight", "bias", "running_mean", "running_var") if n in params]
    if names:
        rows = _rows(params[names[0]])
        claim(LayerPlan("", kind, [Piece(key(n)) for n in names], fan_in=rows), names)


def _plan_transposed_linear(params, key, claim, packed_qkv: bool = False) -> None:
    """GPT-2 ``Conv1D``: weight stored ``in x out``; rows become output neurons.

    ``packed_qkv`` (GPT-2's ``c_attn``): the output columns are q | k | v, split into three layers.
    """
    w = params["weight"]
    if packed_qkv and w.shape[1] % 3 == 0:
        e = w.shape[1] // 3
        roles = ((".q", LayerType.ATTN_QUERY), (".k", LayerType.ATTN_KEY), (".v", LayerType.ATTN_VALUE))
        for i, (suffix, kind) in enumerate(roles):
            pieces = [Piece(key("weight"), "col_slice_t", i * e, (i + 1) * e)]
            if "bias" in params:
                pieces.append(Piece(key("bias"), "row_slice", i * e, (i + 1) * e))
            claim(LayerPlan(suffix, kind, pieces, fan_in=w.shape[0]), ["weight", "bias"])
        return
    pieces = [Piece(key("weight"), "transpose")]
    names = ["weight"]
    if "bias" in params:
        pieces.append(Piece(key("bias")))
        names.append("bias")
    claim(LayerPlan("", LayerType.LINEAR, pieces, fan_in=params["weight"].shape[0]), names)


def _plan_attention(params, key, claim) -> None:
    """Split a packed (or separate) q/k/v in-projection into three layers."""
    roles = (("q", LayerType.ATTN_QUERY), ("k", LayerType.ATTN_KEY), ("v", LayerType.ATTN_VALUE))
    bias = params.get("in_proj_bias")
    if "in_proj_weight" in params:
        w = params["in_proj_weight"]
        if w.dim() != 2 or w.shape[0] % 3:
            return
        e = w.shape[0] // 3
        for i, (role, kind) in enumerate(roles):
            pieces = [Piece(key("in_proj_weight"), "row_slice", i * e, (i + 1) * e)]
            if bias is not None:
                pieces.append(Piece(key("in_proj_bias"), "row_slice", i * e, (i + 1) * e))
            claim(LayerPlan(f".{role}", kind, pieces), ["in_proj_weight", "in_proj_bias"])
        return
    if not all(f"{r}_proj_weight" in params for r, _ in roles):
        return
    start = 0
    for role, kind in roles:
        w = params[f"{role}_proj_weight"]
        pieces = [Piece(key(f"{role}_proj_weight"))]
        if bias is not None:
            pieces.append(Piece(key("in_proj_bias"), "row_slice", start, start + w.shape[0]))
        start += w.shape[0]
        claim(LayerPlan(f".{role}", kind, pieces), [f"{role}_proj_weight", "in_proj_bias"])


def _plan_gpt2_conv1d(params, key, claim) -> None:
    _plan_transposed_linear(params, key, claim, packed_qkv=_is_packed_qkv(key("weight")))


# planners of the layer kinds that are not one weight and the parameters following its rows
_PLANNERS = {"attention": _plan_attention, "transposed_linear": _plan_gpt2_conv1d}
