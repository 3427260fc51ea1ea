"""Models by name, so scripts can take ``--models sne,neural_graph,dwsnet``."""
from __future__ import annotations

from torch import nn

from .baselines import DeepSets, DWSNet, FlatMLP, NeuralGraph, StatNN
from .sne import SNE

MODELS: dict[str, type[nn.Module]] = {
    "sne": SNE,
    "neural_graph": NeuralGraph,
    "dwsnet": DWSNet,
    "deepsets": DeepSets,
    "statnn": StatNN,
    "flat_mlp": FlatMLP,
}


def register_model(name: str):
    """Class decorator adding a model (``__init__(hidden, out_dim, **kw)``, ``forward(batch)``) to :data:`MODELS`."""
    def add(cls):
        if name in MODELS and MODELS[name] is not cls:
            raise ValueError(f"a model named {name!r} is already registered ({MODELS[name].__name__})")
        MODELS[name] = cls
        return cls
    return add


def build_model(name: str, hidden: int = 64, out_dim: int | None = 1, **kwargs) -> nn.Module:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; registered: {sorted(MODELS)}")
    return MODELS[name](hidden=hidden, out_dim=out_dim, **kwargs)


def parse_models(text: str) -> list[str]:
    """``"sne,dwsnet"`` -> ``["sne", "dwsnet"]`` (``"all"`` -> every registered model), checked."""
    names = list(MODELS) if text == "all" else [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {unknown}; registered: {sorted(MODELS)}")
    return names
