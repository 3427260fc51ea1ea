"""Derive the neuron-permutation symmetries of a module by tracing it.

Every tensor flowing through the traced graph carries a *space*: the identity of its channel
(feature) axis. A Linear/Conv layer reads its input space on its weight's input axis and makes
a new space for its outputs (weight rows, bias); elementwise ops and pooling keep the space;
per-channel norms carry it; ``a + b`` joins the spaces of ``a`` and ``b`` (a residual ties every
layer that writes into the stream to one permutation); a flatten of ``s`` spatial positions turns
a channel into a block of ``s`` inputs of the next layer. The network's inputs and outputs are
fixed, and so is anything that flows into an operation we do not understand. The spaces are the
nodes of a networkx graph whose edges say "must be permuted alike"; each connected component
without a fixed member is one permutation :class:`~sne_pyg.symmetry.spec.Group`. Multi-head
attention adds groups of its own: q/k dimensions within a head, v/output dimensions within a head,
and the heads themselves.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import networkx as nx
import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from ..data.layer_kinds import kind_of
from .spec import CARRIER, CONSUMER, PRODUCER, AxisRef, Group, PermutationSpec


class SymmetryError(ValueError):
    """The structure of the module is not covered; no permutation is returned for it."""


# elementwise activations, by the name used to decide sign-flip / scaling symmetries
_ACTIVATION_MODULES = {nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid",
                       nn.GELU: "gelu", nn.SiLU: "silu", nn.ELU: "elu", nn.Softplus: "softplus",
                       nn.Hardtanh: "hardtanh", nn.Mish: "mish", nn.Softsign: "softsign"}
_NEUTRAL_MODULES = (nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)
_ACTIVATION_FUNCTIONS = {torch.relu: "relu", F.relu: "relu", torch.tanh: "tanh", F.tanh: "tanh", torch.sin: "sin",
                         torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid", F.gelu: "gelu", F.silu: "silu",
                         F.leaky_relu: "leaky_relu", F.elu: "elu", F.softplus: "softplus", torch.cos: "cos"}
_ACTIVATION_METHODS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "sin": "sin", "cos": "cos"}
_NEUTRAL_FUNCTIONS = (F.dropout, torch.dropout)
_POOL_MODULES = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
                 nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d,
                 nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)
_BLOCK_RULES = ("attention", "transformer_layer", "transformer")   # known blocks read as a whole


_OPAQUE = frozenset({"<opaque>"})   # computed by something a neuron graph cannot show (attention, a product, ...)


@dataclass
class _Value:
    """A traced tensor: its channel space, the size of one channel's block of features
    (after a flatten), and the known number of spatial positions per channel (or None)."""

    space: int
    block: int = 1
    spatial: int | None = None
    sources: frozenset = frozenset({"<input>"})   # layers whose outputs (summed) this tensor is


class _Tracer(fx.Tracer):
    """Modules of a layer kind marked ``leaf`` are one node of the graph (not traced into)."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        kind = kind_of(m)
        return (kind is not None and kind.leaf) or super().is_leaf_module(m, qualname)


class _Analysis:
    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.state_keys = set(model.state_dict().keys())
        self.spaces = nx.Graph()
        self.groups: list[Group] = []     # attention-internal groups
        self.notes: list[str] = []
        self.dataflow: dict[str, frozenset] = {}   # layer -> the layers whose (summed) outputs it reads

    # ---- spaces -------------------------------------------------------------------------
    def new_space(self, size: int | None, fixed: str | None = None) -> int:
        node = self.spaces.number_of_nodes()
        self.spaces.add_node(node, size=size, fixed=fixed, refs=[], activations=set())
        return node

    def join(self, a: int, b: int, why: str) -> None:
        sa, sb = self.spaces.nodes[a]["size"], self.spaces.nodes[b]["size"]
        if sa is not None and sb is not None and sa != sb:
            raise SymmetryError(f"{why}: joins channel spaces of sizes {sa} and {sb}")
        self.spaces.add_edge(a, b)

    def fix(self, space: int, reason: str) -> None:
        if self.spaces.nodes[space]["fixed"] is None:
            self.spaces.nodes[space]["fixed"] = reason

    def ref(self, space: int, prefix: str, name: str, axis: int, role: str, block: int = 1, offset: int = 0) -> None:
        key = f"{prefix}.{name}" if prefix else name
        if key in self.state_keys:
            self.spaces.nodes[space]["refs"].append(AxisRef(key, axis, offset, block, role))

    def activation(self, value: _Value, name: str) -> None:
        self.spaces.nodes[value.space]["activations"].add(name)

    # ---- results ------------------------------------------------------------------------
    def spec(self) -> PermutationSpec:
        groups = []
        for component in nx.connected_components(self.spaces):
            nodes = [self.spaces.nodes[n] for n in sorted(component)]
            fixed = [n["fixed"] for n in nodes if n["fixed"] is not None]
            refs = [r for n in nodes for r in n["refs"]]
            if fixed:
                if refs:
                    self.notes.append(f"fixed ({fixed[0]}): {sorted({r.key for r in refs})}")
                continue
            size = next(n["size"] for n in nodes if n["size"] is not None)
            if size < 2 or not refs:
                continue
            acts = set().union(*(n["activations"] for n in nodes))
            name = refs[0].key.rsplit(".", 1)[0] if "." in refs[0].key else refs[0].key
            groups.append(Group(size, refs, name=name, activations=acts))
        groups.sort(key=lambda g: min(_order(self.model, r.key) for r in g.refs))
        return PermutationSpec(groups + [g for g in self.groups if g.size > 1], self.notes)


def _order(model: nn.Module, key: str) -> int:
    keys = list(model.state_dict().keys())
    return keys.index(key) if key in keys else len(keys)


def derive_permutation_spec(model: nn.Module, example_input: torch.Tensor | None = None) -> PermutationSpec:
    """The permutation groups of ``model``'s hidden neurons (inputs and outputs stay fixed).

    A flatten of channels whose spatial size is not known statically (no global pooling before it)
    is sized by the layer that reads it: its ``in_features`` divided by the channel count.
    ``example_input`` is needed only when that is ambiguous (the channel count is unknown, or does
    not divide the features); the error says so.

    Raises:
        SymmetryError: the module cannot be traced and is not an ``nn.Sequential``, or it has a
            parameterised layer whose symmetry is unknown.
    """
    return _analyse(model, example_input).spec()


def derive_dataflow(model: nn.Module, example_input: torch.Tensor | None = None) -> dict[str, tuple[str, ...]]:
    """For every parameterised layer (module path), the layers whose outputs, summed, form its input.

    ``"<input>"`` is the network input; ``"<opaque>"`` marks an input computed by something other than
    sums of layer outputs (attention, a product, an unknown operation). A residual block
    ``h = x + f(x)`` gives the layer after it two sources.
    """
    analysis = _analyse(model, example_input)
    return {layer: tuple(sorted(sources)) for layer, sources in analysis.dataflow.items()}


def _analyse(model: nn.Module, example_input: torch.Tensor | None) -> _Analysis:
    analysis = _Analysis(model)
    kind = kind_of(model)
    if kind is not None and kind.permutation in _BLOCK_RULES:   # a known block as the whole model: its input and output are fixed
        out = _module(analysis, model, "", [_Value(analysis.new_space(None, "network input"))], {}, None)
        analysis.fix((out[0] if isinstance(out, tuple) else out).space, "network output")
        return analysis
    try:
        graph_module = fx.GraphModule(model, _Tracer().trace(model))
    except Exception as error:  # noqa: BLE001 - any tracing failure falls back or is reported
        if not isinstance(model, nn.Sequential):
            raise SymmetryError(f"torch.fx could not trace {type(model).__name__} ({error}); only nn.Sequential "
                                "models are read from the module tree instead") from error
        analysis.notes.append(f"torch.fx tracing failed ({error}); read as a sequential chain")
        _walk_sequential(analysis, model, "", _Value(analysis.new_space(None, "network input")))
        return analysis
    if example_input is not None:
        ShapeProp(graph_module).propagate(example_input)
    _walk_graph(analysis, graph_module)
    return analysis


# ---- graph walk --------------------------------------------------------------------------
def _walk_graph(analysis: _Analysis, gm: fx.GraphModule) -> None:
    env: dict[fx.Node, object] = {}
    modules = dict(gm.named_modules())
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            env[node] = _Value(analysis.new_space(None, "network input"))
        elif node.op == "get_attr":
            env[node] = _Value(analysis.new_space(None, f"tensor {node.target!r} used directly"))
        elif node.op == "call_module":
            args = [env.get(a) if isinstance(a, fx.Node) else a for a in node.args]
            kwargs = {k: env.get(v) if isinstance(v, fx.Node) else v for k, v in node.kwargs.items()}
            env[node] = _module(analysis, modules[node.target], node.target, args, kwargs, _spatial(node))
        elif node.op in ("call_function", "call_method"):
            env[node] = _function(analysis, node, env)
        elif node.op == "output":
            for value in _values(node.args, env):
                analysis.fix(value.space, "network output")


def _values(args, env) -> list[_Value]:
    """Every tracked tensor in (nested) arguments."""
    if isinstance(args, fx.Node):
        value = env.get(args)
        if isinstance(value, tuple):
            return [v for v in value if isinstance(v, _Value)]
        return [value] if isinstance(value, _Value) else []
    if isinstance(args, (tuple, list)):
        return [v for a in args for v in _values(a, env)]
    if isinstance(args, dict):
        return [v for a in args.values() for v in _values(a, env)]
    return []


def _spatial(node: fx.Node) -> int | None:
    meta = node.meta.get("tensor_meta")
    if meta is None or not hasattr(meta, "shape") or len(meta.shape) < 3:
        return None
    return math.prod(meta.shape[2:])


def _unknown(analysis: _Analysis, inputs: list[_Value], what: str) -> _Value:
    for value in inputs:
        analysis.fix(value.space, what)
    return _Value(analysis.new_space(None, what), sources=_OPAQUE)


def _function(analysis: _Analysis, node: fx.Node, env) -> object:
    target, args = node.target, node.args
    tensors = _values(list(args) + list(node.kwargs.values()), env)
    first = env.get(args[0]) if args and isinstance(args[0], fx.Node) else None
    if target is operator.getitem and isinstance(first, tuple):
        return first[args[1]]
    if node.op == "call_method" and target in ("size", "dim") or target in (getattr, len):
        return None
    if not tensors:
        return None
    x = tensors[0]
    name = _ACTIVATION_FUNCTIONS.get(target) if node.op == "call_function" else _ACTIVATION_METHODS.get(target)
    if name is not None:
        analysis.activation(x, name)
        return _Value(x.space, x.block, x.spatial, x.sources)
    if target in _NEUTRAL_FUNCTIONS or (node.op == "call_method" and target in ("contiguous", "clone")):
        return _Value(x.space, x.block, x.spatial, x.sources)
    if target in (operator.add, operator.sub, torch.add, torch.sub, operator.iadd) or \
            (node.op == "call_method" and target in ("add", "sub")):
        for other in tensors[1:]:
            analysis.join(x.space, other.space, f"{node.name}")
        if len(tensors) > 1:
            analysis.activation(x, "residual")
        return _Value(x.space, x.block, x.spatial, frozenset().union(*(t.sources for t in tensors)))
    if target in (operator.mul, operator.truediv, torch.mul) or (node.op == "call_method" and target == "mul"):
        for other in tensors[1:]:
            analysis.join(x.space, other.space, f"{node.name}")
            analysis.activation(x, "product")
        return _Value(x.space, x.block, x.spatial, x.sources if len(tensors) == 1 else _OPAQUE)
    if target in (torch.flatten,) or (node.op == "call_method" and target == "flatten"):
        start = args[1] if len(args) > 1 else node.kwargs.get("start_dim", 0 if target is torch.flatten else 0)
        if start == 1:
            return _flatten(analysis, x, node.name)
    if target in (F.adaptive_avg_pool2d, F.adaptive_avg_pool1d, F.adaptive_max_pool2d, F.max_pool2d, F.avg_pool2d):
        size = args[1] if len(args) > 1 else None
        return _Value(x.space, 1, 1 if size in (1, (1, 1)) else _spatial(node), x.sources)
    if node.op == "call_method" and target in ("mean", "amax", "sum") and _reduces_spatial(node):
        return _Value(x.space, 1, 1, x.sources)
    return _unknown(analysis, tensors, f"unsupported operation {node.op} {getattr(target, '__name__', target)}")


def _reduces_spatial(node: fx.Node) -> bool:
    dims = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
    dims = (dims,) if isinstance(dims, int) else tuple(dims or ())
    return bool(dims) and all(d >= 2 or d < 0 for d in dims) and not node.kwargs.get("keepdim", False)


def _flatten(analysis: _Analysis, x: _Value, where: str) -> _Value:
    if x.spatial is None and x.sources == _Value.sources:   # the network input: its features stay fixed
        return _Value(analysis.new_space(None, "flattened network input"))
    if x.spatial is None or x.block is None:   # sized by the first layer that reads the features (_block_of)
        return _Value(x.space, None, 1, x.sources)
    return _Value(x.space, x.block * x.spatial, 1, x.sources)


def _block_of(analysis: _Analysis, x: _Value, features: int, where: str) -> int:
    """Features per channel of ``x``: known, or (flattened from an unknown spatial size) the ``features``
    of the layer reading ``x`` divided by its channel count."""
    if x.block is not None:
        return x.block
    channels = analysis.spaces.nodes[x.space]["size"]
    if channels is None:
        raise SymmetryError(f"{where}: reads flattened features whose channel count is not known, so the "
                            "channel blocks cannot be sized from the modules; pass example_input=")
    if features % channels:
        raise SymmetryError(f"{where}: reads {features} features flattened from {channels} channels, not a whole "
                            "number per channel; pass example_input= to size the flatten")
    return features // channels


# ---- modules -----------------------------------------------------------------------------
def _module(analysis: _Analysis, m: nn.Module, prefix: str, args, kwargs, spatial: int | None) -> object:
    x = args[0] if args and isinstance(args[0], _Value) else None
    kind = kind_of(m)
    if kind is not None:
        if kind.permutation is None or (kind.permutes is not None and not kind.permutes(m)):
            if not any(True for _ in m.parameters()):
                return _unknown(analysis, [v for v in args if isinstance(v, _Value)],
                                f"unsupported module {type(m).__name__} at {prefix}")
            raise SymmetryError(f"module {prefix!r} ({type(m).__name__}, layer kind {kind.name!r}) has parameters "
                                "whose permutation symmetry is not known; no permutation is derived for this model")
        return _RULES[kind.permutation](analysis, m, kind, prefix, x, args, kwargs, spatial)
    if isinstance(m, tuple(_ACTIVATION_MODULES)):
        analysis.activation(x, _ACTIVATION_MODULES[type(m)])
        return _Value(x.space, x.block, x.spatial, x.sources)
    if isinstance(m, _NEUTRAL_MODULES):
        return _Value(x.space, x.block, x.spatial, x.sources) if x is not None else None
    if isinstance(m, _POOL_MODULES):
        size = getattr(m, "output_size", None)
        known = 1 if size in (1, (1, 1), (1, 1, 1)) else spatial
        return _Value(x.space, 1, known, x.sources)
    if isinstance(m, nn.Flatten):
        if m.start_dim != 1:
            return _unknown(analysis, [x], f"flatten from dim {m.start_dim} at {prefix}")
        return _flatten(analysis, x, prefix)
    if any(True for _ in m.parameters()):
        raise SymmetryError(f"module {prefix!r} ({type(m).__name__}) has parameters whose permutation symmetry "
                            "is not known; no permutation is derived for this model")
    inputs = [v for v in args if isinstance(v, _Value)]
    return _unknown(analysis, inputs, f"unsupported module {type(m).__name__} at {prefix}")


# ---- the permutation rules of sne_pyg.data.layer_kinds ---------------------------------------
def _dense_rule(analysis, m, kind, prefix, x, args, kwargs, spatial, transposed: bool = False) -> _Value:
    weight = m.weight.shape
    fan_in, fan_out = (weight[0], weight[1]) if transposed else (weight[1], weight[0])
    followers = tuple(p for p in kind.parameters if p != "weight")
    return _linear(analysis, m, prefix, x, fan_in, fan_out, transposed, followers)


def _dense_transposed_rule(analysis, m, kind, prefix, x, args, kwargs, spatial) -> _Value:
    return _dense_rule(analysis, m, kind, prefix, x, args, kwargs, spatial, transposed=True)


def _conv_rule(analysis, m, kind, prefix, x, args, kwargs, spatial) -> _Value:
    if m.groups != 1:
        return _unknown(analysis, [x], f"grouped convolution {prefix}")
    out = _dense_rule(analysis, m, kind, prefix, x, args, kwargs, spatial)
    out.spatial = spatial
    return out


def _channel_rule(analysis, m, kind, prefix, x, args, kwargs, spatial) -> _Value:
    present = [t for t in (getattr(m, name, None) for name in kind.parameters) if isinstance(t, torch.Tensor)]
    block = _block_of(analysis, x, present[0].numel(), prefix) if present else x.block
    for name in kind.parameters:     # a norm over flattened features moves each channel's block of them
        analysis.ref(x.space, prefix, name, 0, CARRIER, block=block or 1)
    analysis.activation(x, "norm")
    analysis.dataflow[prefix] = x.sources
    return _Value(x.space, block, spatial if spatial is not None else x.spatial, x.sources)


def _embedding_rule(analysis, m, kind, prefix, x, args, kwargs, spatial) -> _Value:
    out = analysis.new_space(m.weight.shape[1])
    analysis.ref(out, prefix, "weight", 1, CARRIER)
    return _Value(out, sources=frozenset({prefix}))


def _prelu_rule(analysis, m, kind, prefix, x, args, kwargs, spatial) -> _Value:
    if m.num_parameters != 1:   # one slope per channel (dim 1): it moves with its channel
        if x.block != 1:
            return _unknown(analysis, [x], f"per-channel PReLU on flattened features at {prefix}")
        # a space of the slope count joined to the channel space: a count mismatch raises
        analysis.join(x.space, analysis.new_space(m.num_parameters), f"PReLU {prefix}")
        analysis.ref(x.space, prefix, "weight", 0, CARRIER)
    analysis.activation(x, "prelu")
    return _Value(x.space, x.block, x.spatial, x.sources)


def _attention_rule(analysis, m, kind, prefix, x, args, kwargs, spatial) -> tuple:
    inputs = [v for v in list(args[:3]) + [kwargs.get(k) for k in ("query", "key", "value")] if isinstance(v, _Value)]
    out = _attention(analysis, m, prefix, inputs)
    return (_Value(out, sources=_OPAQUE), None)


def _transformer_layer_rule(analysis, m, kind, prefix, x, args, kwargs, spatial) -> _Value:
    _encoder_layer(analysis, m, prefix, x)
    return _Value(x.space, sources=_OPAQUE)


def _transformer_rule(analysis, m, kind, prefix, x, args, kwargs, spatial) -> _Value:
    for i, layer in enumerate(m.layers):
        _encoder_layer(analysis, layer, f"{prefix}.layers.{i}" if prefix else f"layers.{i}", x)
    if m.norm is not None:
        for name in ("weight", "bias"):
            analysis.ref(x.space, f"{prefix}.norm" if prefix else "norm", name, 0, CARRIER)
    return _Value(x.space, sources=_OPAQUE)


_RULES = {"dense": _dense_rule, "dense_transposed": _dense_transposed_rule, "conv": _conv_rule,
          "channel": _channel_rule, "embedding": _embedding_rule, "prelu": _prelu_rule,
          "attention": _attention_rule, "transformer_layer": _transformer_layer_rule,
          "transformer": _transformer_rule}


def _linear(analysis: _Analysis, m: nn.Module, prefix: str, x: _Value, fan_in: int, fan_out: int,
            transposed: bool = False, followers: tuple[str, ...] = ("bias",)) -> _Value:
    """A layer reading ``x`` on its weight's input axis and producing a new space (weight rows and the
    ``followers``, e.g. the bias)."""
    in_axis, out_axis = (0, 1) if transposed else (1, 0)
    size = analysis.spaces.nodes[x.space]["size"]
    block = _block_of(analysis, x, fan_in, prefix)
    if size is not None and size * block != fan_in:
        raise SymmetryError(f"{prefix}: reads {fan_in} inputs, the incoming tensor has {size} x {block}")
    if size is None and block == 1:
        analysis.spaces.nodes[x.space]["size"] = fan_in
    analysis.ref(x.space, prefix, "weight", in_axis, CONSUMER, block=block)
    analysis.dataflow[prefix] = x.sources
    out = analysis.new_space(fan_out)
    analysis.ref(out, prefix, "weight", out_axis, PRODUCER)
    for name in followers:
        analysis.ref(out, prefix, name, 0, PRODUCER)
    return _Value(out, sources=frozenset({prefix}))


def _attention(analysis: _Analysis, m: nn.MultiheadAttention, prefix: str, inputs: list[_Value]) -> int:
    if m.bias_k is not None or m.bias_v is not None:
        raise SymmetryError(f"{prefix}: attention with bias_k/bias_v is not covered")
    e, h = m.embed_dim, m.num_heads
    d = e // h
    key = (lambda name: f"{prefix}.{name}" if prefix else name)
    if m._qkv_same_embed_dim:
        for other in inputs[1:]:
            analysis.join(inputs[0].space, other.space, f"{prefix} (packed q/k/v projection)")
        analysis.ref(inputs[0].space, prefix, "in_proj_weight", 1, CONSUMER)
        rows = {"q": ("in_proj_weight", 0), "k": ("in_proj_weight", e), "v": ("in_proj_weight", 2 * e)}
    else:
        for value, name in zip(inputs, ("q_proj_weight", "k_proj_weight", "v_proj_weight")):
            analysis.ref(value.space, prefix, name, 1, CONSUMER)
        rows = {"q": ("q_proj_weight", 0), "k": ("k_proj_weight", 0), "v": ("v_proj_weight", 0)}
    bias = {"q": 0, "k": e, "v": 2 * e} if m.in_proj_bias is not None else {}

    def refs(part: str, offset: int, block: int) -> list[AxisRef]:
        weight, base = rows[part]
        out = [AxisRef(key(weight), 0, base + offset, block)]
        if part in bias:
            out.append(AxisRef(key("in_proj_bias"), 0, bias[part] + offset, block))
        return out

    for head in range(h):
        analysis.groups.append(Group(d, refs("q", head * d, 1) + refs("k", head * d, 1),
                                     name=f"{prefix}.qk_head{head}", activations={"attention"}))
        analysis.groups.append(Group(d, refs("v", head * d, 1) + [AxisRef(key("out_proj.weight"), 1, head * d)],
                                     name=f"{prefix}.vo_head{head}", activations={"attention"}))
    analysis.groups.append(Group(h, refs("q", 0, d) + refs("k", 0, d) + refs("v", 0, d)
                                 + [AxisRef(key("out_proj.weight"), 1, 0, d)],
                                 name=f"{prefix}.heads", activations={"attention"}))
    out = analysis.new_space(e)
    analysis.ref(out, f"{prefix}.out_proj" if prefix else "out_proj", "weight", 0, PRODUCER)
    analysis.ref(out, f"{prefix}.out_proj" if prefix else "out_proj", "bias", 0, PRODUCER)
    return out


def _encoder_layer(analysis: _Analysis, layer: nn.TransformerEncoderLayer, prefix: str, x: _Value) -> None:
    join = (lambda p: f"{prefix}.{p}" if prefix else p)
    attn_out = _attention(analysis, layer.self_attn, join("self_attn"), [x])
    analysis.join(x.space, attn_out, f"{prefix} (attention residual)")
    for norm in ("norm1", "norm2"):
        for name in ("weight", "bias"):
            analysis.ref(x.space, join(norm), name, 0, CARRIER)
    hidden = _linear(analysis, layer.linear1, join("linear1"), _Value(x.space), layer.linear1.in_features,
                     layer.linear1.out_features)
    act = layer.activation
    analysis.activation(hidden, getattr(act, "__name__", None) or _ACTIVATION_MODULES.get(type(act), "unknown"))
    out = _linear(analysis, layer.linear2, join("linear2"), hidden, layer.linear2.in_features,
                  layer.linear2.out_features)
    analysis.join(x.space, out.space, f"{prefix} (feed-forward residual)")
    analysis.activation(x, "residual")


def _walk_sequential(analysis: _Analysis, model: nn.Sequential, prefix: str, x: _Value, top: bool = True) -> _Value:
    for name, child in model.named_children():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(child, nn.Sequential):
            x = _walk_sequential(analysis, child, path, x, top=False)
        else:
            result = _module(analysis, child, path, [x], {}, None)
            x = result[0] if isinstance(result, tuple) else result
    if top:
        analysis.fix(x.space, "network output")
    return x
