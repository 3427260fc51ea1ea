"""Models by name, so scripts can take ``--models sne,neural_graph,dwsnet``.

A leaf module: it holds the table and imports no model. Models enter it by subclassing
:class:`~sne_pyg.nn.encoder.NetworkEncoder` with a name (``class SNE(NetworkEncoder, name="sne")``)
or with the :func:`register_model` decorator; ``sne_pyg.nn`` imports every built-in model module,
so the table is complete whenever ``sne_pyg.nn`` (or anything below it) is imported.
"""
from __future__ import annotations

from torch import nn

MODELS: dict[str, type[nn.Module]] = {}


def register_model(name: str):
    """Class decorator adding a model (``__init__(hidden, out_dim, **kw)``, ``forward(batch)``) to :data:`MODELS`."""
    def add(cls):
        if name in MODELS and MODELS[name] is not cls:
            raise ValueError(f"a model named {name!r} is already registered ({MODELS[name].__name__})")
        MODELS[name] = cls
        cls.registered_name = name
        return cls
    return add


def unregister_model(name: str) -> None:
    """Remove ``name`` from :data:`MODELS` (models defined for a test or a notebook cell)."""
    cls = MODELS.pop(name)
    if cls.__dict__.get("registered_name") == name:
        cls.registered_name = None


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


def with_revision(name: str, settings: dict) -> dict:
    """``settings`` of a cached result of model ``name``, plus ``{"model_revision": r}`` when the model's class
    declares a ``revision`` above 1: a result made before a change of what the model computes by default (an
    older revision) then no longer matches and is never reused silently; results of unchanged models keep their
    settings, so they stay valid."""
    revision = getattr(MODELS.get(name), "revision", 1)
    return dict(settings, model_revision=revision) if revision > 1 else settings
