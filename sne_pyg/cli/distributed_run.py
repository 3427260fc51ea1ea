"""The frame every training command shares: check the run folder, join a torchrun job, and leave it.

A command that trains (``train``, ``pretrain``) checks ``--out`` before any work, trains in every
process, then lets rank 0 alone clear the old run's files (``--overwrite``) and write the new ones.
It keeps an epoch checkpoint in ``--out`` (:func:`run_checkpoint`), so the same command stopped mid-training
and run again (under torchrun with as many processes) resumes where it stopped.
"""
from __future__ import annotations

import argparse
import dataclasses
import os

import torch

from ..train import distributed as dist_utils
from .outputs import check_run_folder


def start_distributed_run(args: argparse.Namespace, run_files: tuple[str, ...]) -> tuple[int, torch.device]:
    """Refuse an ``--out`` that cannot take the run, join a torchrun job if any: ``(world size, device)``."""
    check_run_folder(args.out, run_files, args.overwrite, remove=False)   # before any work
    dist_utils.init_from_environment(args.device)
    return dist_utils.world_size(), dist_utils.local_device(args.device)


def finish_distributed_run(args: argparse.Namespace, run_files: tuple[str, ...]) -> bool:
    """Leave the process group; on rank 0 make ``--out`` ready for the files. True where this process writes."""
    main_process = dist_utils.is_main_process()
    dist_utils.shutdown()
    if not main_process:
        return False
    check_run_folder(args.out, run_files, args.overwrite)     # clears the old run's files (--overwrite)
    os.makedirs(args.out, exist_ok=True)
    return True


CHECKPOINT = "training.checkpoint.pt"
# settings that do not change what is trained: where it writes, how it shows progress, where it runs
_UNTAGGED = ("command", "out", "overwrite", "no_progress", "device", "config")


def run_checkpoint(args: argparse.Namespace, config_class) -> tuple[str, dict]:
    """``(checkpoint file, tag)`` of a run: ``OUT/training.checkpoint.pt`` and every setting of the command that
    ``config_class`` (``TrainConfig``, ``SSLConfig``) does not hold already, the data folder as an absolute path:
    the checkpoint must match them to be resumed (a torchrun job's also its number of processes)."""
    own = {f.name for f in dataclasses.fields(config_class)}
    tag = {k: v for k, v in vars(args).items() if k not in _UNTAGGED and k not in own
           and (v is None or isinstance(v, (str, int, float, bool, list, tuple)))}
    tag["data"] = os.path.abspath(args.data)
    return os.path.join(args.out, CHECKPOINT), tag


def resumed_note(result, checkpoint: str | None) -> str:
    """A line for a run that resumed from its checkpoint (empty otherwise)."""
    return f"resumed at epoch {result.resumed_at} from {checkpoint}\n" if result.resumed_at else ""
