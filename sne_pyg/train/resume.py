"""Epoch checkpoints of :func:`~sne_pyg.train.fit`, so a long training stopped mid-way resumes where it stopped.

After every epoch ``fit`` writes everything the next epoch depends on to one file (atomically): the model,
optimiser and schedule states, the random generators (global torch, Logit Invariance, augmentation), the best
state so far, the history and the settings it trains with. A resumed run continues from the next epoch and
ends exactly as an uninterrupted one (the batch order is seeded by ``seed + epoch``). Files are read with
``torch.load(weights_only=True)``: tensors, numbers, strings and containers only, never pickled code.
"""
from __future__ import annotations

import os

import torch

# TrainConfig fields that do not change what is trained (and so may differ on resume)
_FREE = ("progress", "device", "checkpoint")


def training_signature(config) -> dict:
    """The settings a checkpoint must match to be resumed: every :class:`TrainConfig` field that shapes the run."""
    return {k: v for k, v in vars(config).items() if k not in _FREE}


def save_training_state(path: str, state: dict) -> None:
    """Write ``state`` to ``path`` atomically (a stop while writing leaves the previous checkpoint intact)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.save(state, f"{path}.partial")
    os.replace(f"{path}.partial", path)


def load_training_state(path: str, signature: dict) -> dict | None:
    """The state stored at ``path`` (``None`` if there is none). A file that cannot be read, or one written with
    other settings, raises a ``ValueError`` naming it: it is never overwritten silently."""
    if not os.path.exists(path):
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:                 # a corrupt file or one holding more than plain data
        raise ValueError(f"{path}: cannot read a training checkpoint: {error}") from None
    if not isinstance(state, dict) or state.get("signature") != signature:
        found = state.get("signature") if isinstance(state, dict) else None
        raise ValueError(f"{path} is a checkpoint of another training ({found} vs {signature}); "
                         f"remove it to start over")
    return state
