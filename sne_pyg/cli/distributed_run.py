"""The frame every training command shares: check the run folder, join a torchrun job, and leave it.

A command that trains (``train``, ``pretrain``) checks ``--out`` before any work, trains in every
process, then lets rank 0 alone clear the old run's files (``--overwrite``) and write the new ones.
"""
from __future__ import annotations

import argparse
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
