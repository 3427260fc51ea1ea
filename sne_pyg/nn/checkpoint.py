"""Save a trained model with its full configuration in one ``.safetensors`` file, and load it back.

The file holds the model's ``state_dict`` as tensors and, in the safetensors header's string
metadata, the registered model name, its constructor ``config``, the shapes of lazily built
parts (``lazy_state``) and any user metadata (e.g. the target scaler of a training run).
Loading never unpickles anything: safetensors stores raw tensors and JSON only.

>>> save_model(model, "sne.safetensors", metadata={"task": "regression"})
>>> model, metadata = load_model("sne.safetensors")
"""
from __future__ import annotations

import json
import os

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from .registry import MODELS, build_model

FORMAT = "sne_pyg.model/1"


def _registered_name(model: nn.Module) -> str:
    name = getattr(type(model), "registered_name", None)
    if name is not None and MODELS.get(name) is type(model):
        return name
    raise ValueError(f"{type(model).__name__} is not a registered model; register it with "
                     f"sne_pyg.nn.register_model(name) to save it")


def save_model(model: nn.Module, path: str, metadata: dict | None = None) -> None:
    """Write ``model`` (a registered model with a ``config`` dict) to ``path`` (``.safetensors``).

    The file is written to a temporary name and renamed, so an interrupted save never leaves a
    truncated checkpoint behind.
    """
    if not hasattr(model, "config"):
        raise ValueError(f"{type(model).__name__} has no `config` dict; it cannot be rebuilt from a file")
    if any(isinstance(p, nn.parameter.UninitializedParameter) for p in model.parameters()):
        raise ValueError("the model has lazily built layers that never saw a batch; run one batch through it "
                         "(sne_pyg.train.materialize) before saving")
    tensors = {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}
    lazy = model.lazy_state() if hasattr(model, "lazy_state") else {}
    header = {"format": FORMAT, "model": _registered_name(model), "config": json.dumps(model.config),
              "lazy_state": json.dumps(lazy), "metadata": json.dumps(metadata or {})}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save_file(tensors, f"{path}.tmp", metadata=header)
    os.replace(f"{path}.tmp", path)


def read_header(path: str) -> dict:
    """The decoded header of a saved model: ``model``, ``config``, ``lazy_state``, ``metadata``, and the
    stored tensors' ``shapes`` (read from the header alone, nothing is loaded)."""
    if os.path.isdir(path):
        raise ValueError(f"{path}: is a folder; expected a model file (model.safetensors written by `sne-pyg train`)")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such model file")
    try:
        with safe_open(path, framework="pt") as f:
            raw = f.metadata() or {}
            shapes = {key: tuple(f.get_slice(key).get_shape()) for key in f.keys()}
    except Exception as error:  # noqa: BLE001 - SafetensorError and whatever else damaged bytes raise
        raise ValueError(f"{path}: not an sne_pyg model file (a .safetensors file written by `sne-pyg train` or "
                         f"model.save; {error})") from None
    if raw.get("format") != FORMAT:
        raise ValueError(f"{path}: not an sne_pyg model file (format {raw.get('format')!r}, expected {FORMAT!r})")
    try:
        return {"model": raw["model"], "config": json.loads(raw["config"]), "lazy_state": json.loads(raw["lazy_state"]),
                "metadata": json.loads(raw["metadata"]), "shapes": shapes}
    except (KeyError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: damaged sne_pyg model header ({type(error).__name__}: {error})") from None


def _build(header: dict) -> nn.Module:
    model = build_model(header["model"], **dict(header["config"]))
    if header["lazy_state"]:
        model.restore_lazy_state(header["lazy_state"])
    return model


def load_model(path: str, map_location: str | torch.device = "cpu", expected: type | None = None
               ) -> tuple[nn.Module, dict]:
    """Rebuild the model saved at ``path``; returns ``(model in eval mode, user metadata)``.

    ``expected``: raise unless the file holds a model of this class.
    """
    header = read_header(path)
    try:
        with torch.device("meta"):  # the header's sizes are checked against the stored tensors before allocating
            skeleton = _build(header)
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"{path}: its header does not describe a model this version builds "
                         f"({type(error).__name__}: {error})") from None
    if expected is not None and not isinstance(skeleton, expected):
        raise ValueError(f"{path} holds a {type(skeleton).__name__} ({header['model']!r}), not a {expected.__name__}")
    # lazily built layers take their shapes from the stored tensors themselves: they allocate what the file holds
    wanted = {key: header["shapes"].get(key) if isinstance(value, nn.parameter.UninitializedTensorMixin)
              else tuple(value.shape) for key, value in skeleton.state_dict().items()}
    if wanted != header["shapes"]:
        differ = sorted(k for k in set(wanted) | set(header["shapes"]) if wanted.get(k) != header["shapes"].get(k))
        raise ValueError(f"{path}: the header's configuration does not match the stored tensors (e.g. {differ[:3]}); "
                         f"the file is damaged or was edited")
    del skeleton
    model = _build(header)
    try:
        state = load_file(path, device=str(map_location))
    except Exception as error:  # noqa: BLE001 - a header that reads but a damaged tensor section
        raise ValueError(f"{path}: not a readable model file (truncated or corrupt?): {error}") from None
    model.load_state_dict(state)
    return model.to(map_location).eval(), header["metadata"]
