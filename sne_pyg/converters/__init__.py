"""Converters from checkpoint folders and public zoo formats into sne_pyg zoo folders.

Each converter module has ``add_arguments(parser)``, ``run(args)`` and ``main(argv)``; the
scripts in the repository's ``converters/`` folder and ``sne-pyg convert FORMAT`` call them.
"""
from . import checkpoint_folder, inr_folder, modelzoo, unterthiner

CONVERTERS = {"checkpoints": checkpoint_folder, "inr": inr_folder, "unterthiner": unterthiner, "modelzoo": modelzoo}

__all__ = ["CONVERTERS", "checkpoint_folder", "inr_folder", "modelzoo", "unterthiner"]
