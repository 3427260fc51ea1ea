"""Which activation function follows each Linear / Conv layer of a module.

NeuralGraph's official code embeds the activation of every hidden layer on its neurons when a zoo
mixes activations; the weights alone do not say which function a layer applies. Record it at
conversion time::

    data = convert(model, activations=derive_activations(model))

:func:`derive_activations` traces the module with ``torch.fx`` and follows every tensor back to the
Linear / Conv layer that made it (through normalisation, dropout, pooling, reshapes and residual
sums: a sum belongs to its most recent layer, as in the neural-graph view); the first activation
applied to a layer's output is that layer's. A module ``torch.fx`` cannot trace is read in module
registration order (right for ``nn.Sequential`` and most zoo models).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import fx, nn

ACTIVATION_NAMES = ("relu", "elu", "gelu", "silu", "tanh", "sigmoid", "leaky_relu", "sin")

_MODULES: dict[type, str] = {nn.ReLU: "relu", nn.ELU: "elu", nn.GELU: "gelu", nn.SiLU: "silu", nn.Tanh: "tanh",
                             nn.Sigmoid: "sigmoid", nn.LeakyReLU: "leaky_relu"}
_FUNCTIONS = {F.relu: "relu", torch.relu: "relu", F.elu: "elu", F.gelu: "gelu", F.silu: "silu",
              torch.tanh: "tanh", F.tanh: "tanh", torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid",
              F.leaky_relu: "leaky_relu", torch.sin: "sin"}
_METHODS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "sin": "sin"}
_NEURON_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def activation_id(name: str | None) -> int:
    """0 for no (or no recorded) activation, else ``1 + ACTIVATION_NAMES.index(name)``."""
    if name is None:
        return 0
    if name not in ACTIVATION_NAMES:
        raise ValueError(f"unknown activation {name!r}; known: {ACTIVATION_NAMES}")
    return 1 + ACTIVATION_NAMES.index(name)


def derive_activations(model: nn.Module) -> dict[str, str]:
    """``{layer module path: activation name}`` for every Linear / Conv layer an activation follows."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"derive_activations reads an nn.Module, got {type(model).__name__}")
    try:
        graph = fx.symbolic_trace(model).graph
    except Exception:  # noqa: BLE001 - untraceable forward: fall back to registration order
        return _from_registration_order(model)
    modules = dict(model.named_modules())
    made_by: dict[fx.Node, str] = {}         # tensor -> the layer whose neurons it belongs to
    order: dict[str, int] = {}
    found: dict[str, str] = {}
    for node in graph.nodes:
        if node.op == "call_module" and isinstance(modules.get(node.target), _NEURON_LAYERS):
            order.setdefault(node.target, len(order))
            made_by[node] = node.target
            continue
        sources = [made_by[a] for a in node.all_input_nodes if a in made_by]
        if not sources:
            continue
        layer = max(sources, key=order.__getitem__)
        made_by[node] = layer
        name = _activation_of(node, modules)
        if name is not None:
            found.setdefault(layer, name)
    return found


def _activation_of(node: fx.Node, modules: dict[str, nn.Module]) -> str | None:
    if node.op == "call_module":
        return _MODULES.get(type(modules.get(node.target)))
    if node.op == "call_function":
        return _FUNCTIONS.get(node.target)
    if node.op == "call_method":
        return _METHODS.get(node.target)
    return None


def _from_registration_order(model: nn.Module) -> dict[str, str]:
    found, last = {}, None
    for path, module in model.named_modules():
        if isinstance(module, _NEURON_LAYERS):
            last = path
        elif last is not None and type(module) in _MODULES:
            found.setdefault(last, _MODULES[type(module)])
    return found
