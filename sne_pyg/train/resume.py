"""Epoch checkpoints of :func:`~sne_pyg.train.fit` and :func:`~sne_pyg.ssl.fit_ssl`, so a long training stopped
mid-way resumes where it stopped.

After every epoch the training loop writes everything the next epoch depends on to one file (atomically): the model,
optimiser and schedule states, the random generators (global torch, each GPU's once CUDA is in use, Logit
Invariance, augmentation), the best state so far, the history and the settings it trains with
(:func:`training_state`). A resumed run continues from the next epoch and ends exactly as an uninterrupted one
(:func:`restore_training_state`). Files are read with
``torch.load(weights_only=True)``: tensors, numbers, strings and containers only, never pickled code.
"""
from __future__ import annotations

import dataclasses
import math
import os
from typing import Any, Protocol

import torch
import torch.distributed as dist

from .. import process_group

# config fields that do not change what is trained (and so may differ on resume)
_FREE = ("progress", "device", "checkpoint")


class Stateful(Protocol):
    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> Any: ...


def training_signature(config) -> dict:
    """The settings a checkpoint must match to be resumed: every field of a training config (``TrainConfig``,
    ``SSLConfig``) that shapes the run, as plain data (a dataclass setting, e.g. a permutation spec, field by field)."""
    return {k: _plain(v) for k, v in vars(config).items()
            if k not in _FREE and not (k == "checkpoint_tag" and v is None)}    # untagged: as before the tag


def _plain(value):
    """``value`` as the plain data ``torch.load(weights_only=True)`` reads back equal."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__,
                **{f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=repr)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"a {type(value).__name__} setting cannot be part of a checkpoint signature")


def training_state(signature: dict, epoch: int, stopped: bool, parts: dict[str, Stateful],
                   generators: dict[str, torch.Generator], rng_by_rank: list[dict] | None = None, **progress) -> dict:
    """The checkpoint after ``epoch``: each part's ``state_dict`` (model, optimiser, schedule) under its name, the
    global torch generator and ``generators`` under ``"rng"``, and ``progress`` (best state, history, ...).

    In a torchrun job the parts are the same in every process (data-parallel), the generators are not (each process
    draws its own augmentations): ``rng_by_rank`` (from :func:`gather_generator_states`) puts each process's
    generators in rank order under ``"rng_by_rank"`` and the number of processes under ``"world_size"``."""
    state = {"signature": signature, "epoch": epoch, "stopped": stopped,
             **{name: part.state_dict() for name, part in parts.items()}, "rng": generator_states(generators),
             **progress}
    if rng_by_rank is not None:
        state.update(rng_by_rank=rng_by_rank, world_size=len(rng_by_rank))
    return state


def generator_states(generators: dict[str, torch.Generator]) -> dict:
    """This process's random state: the global torch generator, each GPU's (once CUDA is in use) and ``generators``."""
    return {"torch": torch.get_rng_state(), **_cuda_rng_states(), **{name: g.get_state() for name, g in generators.items()}}


def gather_generator_states(generators: dict[str, torch.Generator]) -> list[dict] | None:
    """Every process's :func:`generator_states` in rank order in a torchrun job (each process must call this),
    ``None`` in a single process."""
    if process_group.world_size() == 1:
        return None
    by_rank: list = [None] * process_group.world_size()
    dist.all_gather_object(by_rank, generator_states(generators))
    return by_rank


def _cuda_rng_states() -> dict:
    """``{"cuda": [state of each GPU's default generator]}`` once CUDA is in use (dropout on a GPU draws from
    them), else nothing: a CPU run never initialises CUDA."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return {"cuda": torch.cuda.get_rng_state_all()}
    return {}


def _restore_cuda_rng_states(states: list[torch.Tensor]) -> None:
    """Set each GPU's default generator from a checkpoint (as many as both the file and this machine have)."""
    if torch.cuda.is_available():
        for index, state in enumerate(states[:torch.cuda.device_count()]):
            torch.cuda.set_rng_state(state, index)


def restore_training_state(state: dict, path: str, parts: dict[str, Stateful],
                           generators: dict[str, torch.Generator]) -> tuple[int, bool]:
    """Load a checkpoint of :func:`training_state` into the fresh objects of a resumed run; returns ``(first epoch
    to run, had it stopped early)``. A checkpoint that does not fit them raises a ``ValueError`` naming ``path``."""
    try:
        for name, part in parts.items():
            part.load_state_dict(state[name])
    except (RuntimeError, ValueError, KeyError) as error:
        raise ValueError(f"{path}: the checkpoint does not fit this model: {error}") from None
    world = process_group.world_size()
    if state.get("world_size", 1) != world:
        raise ValueError(f"{path} is a checkpoint of a run on {state.get('world_size', 1)} process(es); resume it "
                         f"with as many (this run has {world}) or remove it to start over")
    rng = state["rng_by_rank"][process_group.rank()] if world > 1 else state["rng"]
    torch.set_rng_state(rng["torch"])
    _restore_cuda_rng_states(rng.get("cuda", []))
    for name, generator in generators.items():
        generator.set_state(rng[name])
    return state["epoch"] + 1, bool(state["stopped"])


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
        raise ValueError(f"{path} is a checkpoint of another training ({_differences(found, signature)}); "
                         f"remove it to start over")
    return state


def _differences(found, wanted: dict, prefix: str = "") -> str:
    """The settings in which a stored signature and this run's differ, ``key: stored vs this run`` (nested
    settings, e.g. the run tag, by their dotted key)."""
    if not isinstance(found, dict):
        return f"no signature in the file vs {wanted}"
    parts = []
    for key in {**found, **wanted}:
        old, new = found.get(key, "<unset>"), wanted.get(key, "<unset>")
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            parts.append(_differences(old, new, f"{prefix}{key}."))
        else:
            parts.append(f"{prefix}{key}: {old} vs {new}")
    return "; ".join(parts)


def resume_training(path: str | None, signature: dict, parts: dict[str, Stateful],
                    generators: dict[str, torch.Generator], epochs: int) -> tuple[int, float, int, dict | None, list]:
    """Where a training loop starts: ``(first epoch, best_val, best_epoch, best_state, history)``. Without a
    checkpoint at ``path`` (or without ``path``) that is epoch 0 and no progress; with one, its states are loaded into
    ``parts`` and ``generators`` (a run that had stopped early starts at ``epochs``: nothing is left to train).
    Every process of a torchrun job reads the same file and takes its own generators; the job must have as many
    processes as the one that wrote it."""
    if path is None:
        return 0, math.inf, -1, None, []
    state = load_training_state(path, signature)
    if state is None:
        return 0, math.inf, -1, None, []
    start, stopped = restore_training_state(state, path, parts, generators)
    return (epochs if stopped else start), state["best_val"], state["best_epoch"], state["best_state"], state["history"]


def checkpoint_epoch(path: str | None, signature: dict, epoch: int, stopped: bool, parts: dict[str, Stateful],
                     generators: dict[str, torch.Generator], **progress) -> None:
    """After ``epoch``: write the :func:`training_state` to ``path`` (nothing without a path). In a torchrun job
    every process calls this (their generators are gathered) and the first one builds and writes the state."""
    if path is None:
        return
    rng_by_rank = gather_generator_states(generators)
    if process_group.is_main_process():         # the others only lend their generators
        save_training_state(path, training_state(signature, epoch, stopped, parts, generators, rng_by_rank, **progress))


def finish_training(path: str | None) -> None:
    """Remove a finished training's checkpoint (the caller keeps the result; in a torchrun job the first process
    removes it once every process has finished reading it)."""
    if path is None:
        return
    if process_group.world_size() > 1:
        dist.barrier()
    if process_group.is_main_process() and os.path.exists(path):
        os.remove(path)
