"""Where networks come from on the command line: a zoo folder, a checkpoint folder or one file."""
from __future__ import annotations

import os

from tqdm.auto import tqdm

from .checkpoints import CHECKPOINT_SUFFIXES, load_state_dict
from .convert import convert, convert_all
from .dataset import SPLITS, ZooFolder
from .network_data import NetworkData


def is_zoo_folder(path: str) -> bool:
    return os.path.isdir(path) and all(os.path.exists(os.path.join(path, f"{s}.pt")) for s in SPLITS)


def zoo_split(path: str, split: str) -> list[NetworkData]:
    if not is_zoo_folder(path):
        raise FileNotFoundError(f"{path} is not a zoo folder (train.pt, val.pt, test.pt); make one with "
                                f"`sne-pyg zoo` or `sne-pyg convert`")
    dataset = ZooFolder(path, split)
    return [dataset[i] for i in range(len(dataset))]


def load_networks(path: str, split: str = "all", chunk_size: int = 64, progress: bool = True
                  ) -> tuple[list[NetworkData], list[str]]:
    """Networks and a name for each from a zoo folder (``split`` or ``all``), a folder of
    checkpoints, or a single ``.pt``/``.safetensors`` file."""
    if is_zoo_folder(path):
        splits = SPLITS if split == "all" else (split,)
        networks, names = [], []
        for s in splits:
            part = zoo_split(path, s)
            networks += part
            names += [getattr(d, "source", None) or f"{s}/{i}" for i, d in enumerate(part)]
        return networks, names
    if os.path.isdir(path):
        files = sorted(f for f in os.listdir(path) if f.lower().endswith(CHECKPOINT_SUFFIXES))
        if not files:
            raise FileNotFoundError(f"{path}: neither a zoo folder nor a folder with checkpoints "
                                    f"({', '.join(CHECKPOINT_SUFFIXES)})")
        paths = [os.path.join(path, f) for f in files]
        states = (load_state_dict(p) for p in tqdm(paths, desc="converting checkpoints", disable=not progress))
        networks = convert_all(states, chunk_size, names=paths)
        return networks, files
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file or folder")
    return [convert(load_state_dict(path), chunk_size)], [os.path.basename(path)]
