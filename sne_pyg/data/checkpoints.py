"""Safe loading of user checkpoints: ``.pt``/``.pth``/``.bin`` (``weights_only=True``) and ``.safetensors``."""
from __future__ import annotations

import os
import pickle
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch
from safetensors.torch import load_file
from torch import Tensor

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors")
# common wrappers around a state_dict inside a checkpoint file
_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "weights")


# raised for a file that is missing or unreadable as a file, as opposed to damaged content
_FILE_ERRORS = (FileNotFoundError, IsADirectoryError, PermissionError)


def unreadable(path: str, error: BaseException, what: str = "file") -> ValueError:
    """The error for damaged bytes: whatever a parser of untrusted input raised, one message naming the file."""
    return ValueError(f"{path}: not a readable {what} (truncated or corrupt?): {type(error).__name__}: {error}")


@contextmanager
def reading(path: str, what: str = "file") -> Iterator[None]:
    """Within the block, any failure of a parser on ``path``'s bytes becomes :func:`unreadable` (a missing or
    forbidden file stays the OS error it is)."""
    try:
        yield
    except _FILE_ERRORS:
        raise
    except Exception as error:  # noqa: BLE001 - any parse failure of untrusted bytes is a damaged file
        raise unreadable(path, error, what) from None


def safe_torch_load(path: str, holds: str = "tensors", what: str = "file"):
    """``torch.load(path, weights_only=True)`` on the CPU, every failure a ``ValueError`` naming ``path``.

    A pickle that asks for code (a global outside the allowlist) is refused as such; any other failure
    of the parser on damaged bytes is reported as an unreadable file. Nothing is ever unpickled in full.
    """
    with reading(path, what):
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as error:
            found = re.search(r"GLOBAL (\S+)", str(error))
            if found is None:
                raise
    raise ValueError(f"{path}: refused to load: it holds objects other than {holds}, which could run code "
                     f"(it asks for {found.group(1)})")


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
        with reading(path, ".safetensors file"):
            return load_file(path, device="cpu")
    if suffix not in CHECKPOINT_SUFFIXES:
        raise ValueError(f"{path}: unknown checkpoint type {suffix!r}; expected one of {CHECKPOINT_SUFFIXES}")
    obj = safe_torch_load(path)
    if isinstance(obj, Mapping):
        for key in _WRAPPER_KEYS:
            if isinstance(obj.get(key), Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping) or not any(isinstance(v, Tensor) for v in obj.values()):
        raise ValueError(f"{path}: holds a {type(obj).__name__}, not a state_dict of tensors")
    return dict(obj)
