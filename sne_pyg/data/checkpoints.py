"""Safe loading of user checkpoints: ``.pt``/``.pth``/``.bin`` (``weights_only=True``) and ``.safetensors``."""
from __future__ import annotations

import os
import pickle
import re
from collections.abc import Mapping

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import Tensor

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors")
# common wrappers around a state_dict inside a checkpoint file
_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "weights")


def refused_pickle(path: str, error: pickle.UnpicklingError, holds: str = "tensors") -> ValueError:
    """The error for a file whose safe (``weights_only=True``) load met something that is not data."""
    found = re.search(r"GLOBAL (\S+)", str(error))
    what = f"it asks for {found.group(1)}" if found else "not plain data"
    return ValueError(f"{path}: refused to load: it holds objects other than {holds}, which could run code ({what})")


def load_state_dict(path: str) -> dict[str, Tensor]:
    """Read a state_dict from ``path`` without executing code from the file.

    Pickle-based files are read with ``torch.load(weights_only=True)``; a checkpoint that wraps
    its weights (``{"state_dict": ...}``, ``{"model": ...}``) is unwrapped.

    Raises:
        ValueError: unknown suffix, or the file holds no mapping of tensors (the path is named).
    """
    suffix = os.path.splitext(path)[1].lower()
    if os.path.isdir(path):
        raise ValueError(f"{path}: is a folder, not a checkpoint file")
    if suffix == ".safetensors":
        try:
            return load_file(path, device="cpu")
        except (SafetensorError, OSError, ValueError) as error:
            if isinstance(error, FileNotFoundError):
                raise
            raise ValueError(f"{path}: not a readable .safetensors file (truncated or corrupt?): {error}") from None
    if suffix not in CHECKPOINT_SUFFIXES:
        raise ValueError(f"{path}: unknown checkpoint type {suffix!r}; expected one of {CHECKPOINT_SUFFIXES}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise refused_pickle(path, error) from None
    except (RuntimeError, EOFError, OSError, ValueError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"{path}: not a readable checkpoint (truncated or corrupt?): {error}") from None
    if isinstance(obj, Mapping):
        for key in _WRAPPER_KEYS:
            if isinstance(obj.get(key), Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not any(isinstance(v, Tensor) for v in obj.values()):
        raise ValueError(f"{path}: holds a {type(obj).__name__}, not a state_dict of tensors")
    return dict(obj)
