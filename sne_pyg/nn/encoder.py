r"""``NetworkEncoder``: the base of every model that maps a batch of converted networks to one row each.

A subclass writes only its own ``__init__`` (building its modules) and ``encode``
(``NetworkData -> [B, hidden]`` embeddings); the base owns the rest:

* ``config``: the constructor's arguments (defaults filled in), captured when construction
  finishes, so a saved file rebuilds the model exactly;
* the shared :class:`~sne_pyg.nn.head.PredictionHead`, added after the subclass's own modules
  (``out_dim=None``: no head, ``forward`` returns the embedding);
* ``forward = head(encode(data))``, ``reset_parameters`` child by child, ``__repr__``;
* ``save`` / ``load`` (one ``.safetensors`` file, :mod:`sne_pyg.nn.checkpoint`);
* registration by name: ``class Toy(NetworkEncoder, name="toy")`` makes ``build_model("toy")`` work.

>>> class Mean(NetworkEncoder, name="mean_values"):
...     def __init__(self, hidden=64, out_dim=1):
...         super().__init__()
...         self.lift = torch.nn.Linear(1, hidden)
...     def encode(self, data):
...         return self.lift(segment_mean(...))
"""
from __future__ import annotations

import inspect
from typing import ClassVar

import torch
from torch import Tensor, nn

from ..data.network_data import NetworkData
from .checkpoint import load_model, save_model
from .head import PredictionHead
from .registry import register_model


def reset_children(module: nn.Module) -> None:
    """``reset_parameters()`` of every direct child that has one (as PyG modules reset)."""
    for child in module.children():
        if hasattr(child, "reset_parameters"):
            child.reset_parameters()


class _EncoderMeta(type):
    """Runs :meth:`NetworkEncoder._finish` once the outermost ``__init__`` has returned."""

    def __call__(cls, *args, **kwargs):
        bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
        bound.apply_defaults()
        config = dict(list(bound.arguments.items())[1:])
        for name, parameter in inspect.signature(cls.__init__).parameters.items():
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                config.update(config.pop(name))
            elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                raise TypeError(f"{cls.__name__}.__init__ takes *{name}: a NetworkEncoder's settings must be named")
        model = super().__call__(*args, **kwargs)
        model._finish(config)
        return model


class NetworkEncoder(nn.Module, metaclass=_EncoderMeta):
    """Base class of every registered model: ``forward(batch) = head(encode(batch))``.

    Subclasses take ``hidden`` (the embedding width) and ``out_dim`` (outputs of the head, or
    ``None`` for the embedding itself) as their first two arguments, and implement :meth:`encode`.
    """

    registered_name: ClassVar[str | None] = None
    # raised when a change of defaults changes what the model computes (see registry.with_revision)
    revision: ClassVar[int] = 1

    def __init_subclass__(cls, name: str | None = None, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.registered_name = None          # a subclass of a registered model is not that model
        if name is not None:
            register_model(name)(cls)

    def _finish(self, config: dict) -> None:
        if "hidden" not in config or "out_dim" not in config:
            raise TypeError(f"{type(self).__name__}.__init__ must take `hidden` and `out_dim`")
        self.config = config
        out_dim = config["out_dim"]
        self.head = None if out_dim is None else PredictionHead(config["hidden"], out_dim)

    def encode(self, data: NetworkData) -> Tensor:
        """``[B, hidden]``: one embedding per network of the batch."""
        raise NotImplementedError

    def forward(self, data: NetworkData) -> Tensor:
        embedding = self.encode(data)
        return embedding if self.head is None else self.head(embedding)

    def reset_parameters(self) -> None:
        reset_children(self)

    def save(self, path: str, metadata: dict | None = None) -> None:
        """Write weights + configuration to ``path`` (``.safetensors``); see :func:`save_model`."""
        save_model(self, path, metadata)

    @classmethod
    def load(cls, path: str, map_location: str | torch.device = "cpu") -> nn.Module:
        """Rebuild a model saved with :meth:`save` (eval mode); its outputs equal the saved model's."""
        model, _ = load_model(path, map_location, expected=cls)
        return model

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in getattr(self, "config", {}).items())
        extra = self.extra_repr()
        return f"{type(self).__name__}({settings}{', ' + extra if extra and settings else extra})"
