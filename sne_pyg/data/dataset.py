"""On-disk zoos of converted networks as PyG ``InMemoryDataset``s with train/val/test splits."""
from __future__ import annotations

import hashlib
import json
import os
import os.path as osp
import warnings
from collections.abc import Sequence

import torch
from torch_geometric.data import InMemoryDataset

from .checkpoints import reading, safe_torch_load
from .layer_types import LayerType
from .layout import LayerSpec, NetworkLayout, ParamInfo, Piece, Skipped
from .network_data import NetworkData
from ..json_files import settings_digest, write_json

SPLITS = ("train", "val", "test")

# Our files hold these classes; allowlisting them keeps every load at weights_only=True.
torch.serialization.add_safe_globals([NetworkData, NetworkLayout, LayerSpec, Piece, ParamInfo, Skipped, LayerType])
SETTINGS_FILE = "settings.json"


def read_collated(path: str) -> tuple[dict, dict | None]:
    """``(data dict, slices)`` (slices ``None`` for a single network) of a file written by
    :func:`write_networks`, read with ``weights_only=True``.

    Never falls back to full unpickling (PyG's ``InMemoryDataset.load`` does when the safe load fails,
    which runs any code planted in the file): anything but tensors, plain containers and the
    allowlisted sne_pyg classes is refused with an error naming the file.
    """
    out = safe_torch_load(path, "tensors and sne_pyg's network classes", "network file")
    if not (isinstance(out, tuple) and len(out) == 3 and isinstance(out[0], dict)
            and (out[1] is None or isinstance(out[1], dict)) and out[2] is NetworkData):
        raise ValueError(f"{path}: not a file of converted networks (expected what sne_pyg's write_networks saves)")
    return out[0], out[1]


class SafeLoad:
    """``InMemoryDataset.load`` through :func:`read_collated`: no fallback to full unpickling."""

    def load(self, path: str, data_cls=NetworkData) -> None:
        data, self.slices = read_collated(path)
        with reading(path, "network file"):      # a damaged file's content, whatever it breaks
            self.data = NetworkData.from_dict(data)


def file_digest(path: str) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def recorded_digests(folder: str) -> dict[str, str]:
    """``{split: sha256}`` that :func:`write_splits` recorded in ``folder/settings.json`` (empty for older folders)."""
    path = osp.join(folder, SETTINGS_FILE)
    if not osp.exists(path):
        return {}
    try:
        with open(path) as f:
            settings = json.load(f)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    digests = settings.get("split_sha256", {}) if isinstance(settings, dict) else {}
    return digests if isinstance(digests, dict) else {}


def check_split_file(folder: str, split: str) -> None:
    """Raise unless ``folder/{split}.pt`` has the content hash recorded when the zoo was written."""
    expected = recorded_digests(folder).get(split)
    path = osp.join(folder, f"{split}.pt")
    if expected is not None and file_digest(path) != expected:
        raise ValueError(f"{path}: its content does not match the hash recorded in {SETTINGS_FILE} when the zoo "
                         f"was written (a file from another zoo, truncated, or changed since); regenerate or "
                         f"re-convert the zoo")


class NetworkZoo(SafeLoad, InMemoryDataset):
    """A cached zoo: ``generate()`` runs once, the result is split and saved per split.

    Subclasses implement :meth:`generate` (returning converted networks with targets ``y``)
    and :meth:`settings` (everything that changes the content; it names the cache folder).

    Args:
        root: cache folder; each distinct setting gets its own sub-folder.
        split: ``"train"``, ``"val"`` or ``"test"``.
        fractions: train / val / test fractions (the rest of train+val goes to test).
        split_seed: seed of the random assignment of networks to splits.
    """

    def __init__(self, root: str, split: str = "train", fractions: Sequence[float] = (0.8, 0.1, 0.1),
                 split_seed: int = 0, transform=None, pre_transform=None, force_reload: bool = False) -> None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-6 or min(fractions) < 0:
            raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
        self.fractions = tuple(float(f) for f in fractions)
        self.split_seed = split_seed
        super().__init__(root, transform, pre_transform, force_reload=force_reload)
        try:
            check_split_file(self.processed_dir, split)
        except ValueError as error:       # a cached split that changed on disk: generate the zoo again
            warnings.warn(f"{error}; regenerating the cached zoo", stacklevel=2)
            self.process()
            check_split_file(self.processed_dir, split)
        self.load(self.processed_paths[SPLITS.index(split)], NetworkData)

    # ---- subclass interface --------------------------------------------------------
    def settings(self) -> dict:
        raise NotImplementedError

    def generate(self) -> list[NetworkData]:
        raise NotImplementedError

    # ---- InMemoryDataset plumbing -----------------------------------------------------
    @property
    def processed_dir(self) -> str:
        settings = dict(self.settings(), fractions=self.fractions, split_seed=self.split_seed)
        return osp.join(self.root, f"{type(self).__name__}_{settings_digest(settings)}")

    @property
    def raw_file_names(self) -> list[str]:
        return []

    @property
    def processed_file_names(self) -> list[str]:
        return [f"{split}.pt" for split in SPLITS]

    def download(self) -> None:  # zoos are generated locally, never downloaded
        pass

    def process(self) -> None:
        networks = self.generate()
        if self.pre_transform is not None:
            networks = [self.pre_transform(d) for d in networks]
        save_splits(networks, self.processed_dir, self.fractions, self.split_seed,
                    settings=dict(self.settings(), fractions=self.fractions, split_seed=self.split_seed))


def select_target(networks: list[NetworkData], target: str | int | None) -> list[NetworkData]:
    """Keep column ``target`` of every ``y`` (``None``/``"all"``: every column)."""
    if target is None or target == "all":
        return networks
    k = int(target)
    width = networks[0].y.size(-1)
    if not -width <= k < width:
        raise ValueError(f"--target {k}: the zoo's targets have {width} column(s)")
    out = []
    for data in networks:
        data = data.clone()
        data.y = data.y[..., [k]]
        out.append(data)
    return out


def save_splits(networks: Sequence[NetworkData], folder: str, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                split_seed: int = 0, settings: dict | None = None, groups: Sequence | None = None) -> dict[str, int]:
    """Shuffle ``networks`` (seeded), cut them into train/val/test and save ``folder/{split}.pt``.

    ``groups``: one key per network; networks sharing a key (e.g. checkpoints of one training run)
    always land in the same split, so no split sees another's run. Every file is written to a
    temporary name and renamed, so an interrupted run never leaves a half-written split.
    Returns the size of each split.
    """
    keys = list(range(len(networks))) if groups is None else list(groups)
    if len(keys) != len(networks):
        raise ValueError(f"groups has {len(keys)} keys for {len(networks)} networks")
    unique = list(dict.fromkeys(keys))
    order = torch.randperm(len(unique), generator=torch.Generator().manual_seed(split_seed)).tolist()
    n_train = int(round(fractions[0] * len(unique)))
    n_val = int(round(fractions[1] * len(unique)))
    bounds = (0, n_train, n_train + n_val, len(unique))
    split_of = {unique[j]: split for i, split in enumerate(SPLITS) for j in order[bounds[i]:bounds[i + 1]]}
    parts = {split: [net for net, key in zip(networks, keys) if split_of[key] == split] for split in SPLITS}
    empty = [split for split, part in parts.items() if not part]
    if empty:
        raise ValueError(f"split(s) {empty} would be empty: {len(networks)} networks with fractions "
                         f"{tuple(fractions)}; provide more networks")
    return write_splits(parts, folder, settings)


def write_splits(parts: dict[str, Sequence[NetworkData]], folder: str, settings: dict | None = None) -> dict[str, int]:
    """Save networks already split (``{"train": [...], "val": [...], "test": [...]}``) as ``folder/{split}.pt``,
    each file atomically (temporary name, then rename), and ``settings`` as ``settings.json`` with the
    SHA-256 of every split file (``split_sha256``), which readers check."""
    missing = [split for split in SPLITS if not parts.get(split)]
    if missing or set(parts) - set(SPLITS):
        raise ValueError(f"need networks in each of {SPLITS}; empty or missing: {missing}, "
                         f"unknown: {sorted(set(parts) - set(SPLITS))}")
    os.makedirs(folder, exist_ok=True)
    # the set is published together: every file is written under a temporary name first, then all are
    # renamed, settings.json (with the hashes) first; an interruption between renames leaves files whose
    # hashes do not match the recorded ones, which readers refuse, never a silent mix of two zoos
    staged = {split: osp.join(folder, f"{split}.pt.partial") for split in SPLITS}
    for split in SPLITS:
        InMemoryDataset.save(list(parts[split]), staged[split])
    recorded = dict(settings or {}, split_sha256={s: file_digest(staged[s]) for s in SPLITS})
    write_json(osp.join(folder, SETTINGS_FILE), recorded, indent=2)
    for split in SPLITS:
        os.replace(staged[split], osp.join(folder, f"{split}.pt"))
    return {split: len(parts[split]) for split in SPLITS}


def write_networks(networks: Sequence[NetworkData], path: str) -> None:
    """Save a list of networks to one file, atomically (temporary name, then rename)."""
    InMemoryDataset.save(list(networks), f"{path}.tmp")
    os.replace(f"{path}.tmp", path)


class _Networks(SafeLoad, InMemoryDataset):
    pass


def read_networks(path: str) -> list[NetworkData]:
    """The networks written by :func:`write_networks` (loaded with ``weights_only=True``, see :func:`read_collated`)."""
    dataset = _Networks(None)
    dataset.load(path)
    with reading(path, "network file"):      # sizes and slices of a damaged file may disagree
        return [dataset[i] for i in range(len(dataset))]


class ZooFolder(SafeLoad, InMemoryDataset):
    """One split of a zoo folder written by :func:`save_splits` (e.g. by a converter)."""

    def __init__(self, folder: str, split: str = "train", transform=None) -> None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        path = osp.join(folder, f"{split}.pt")
        if not osp.exists(path):
            raise FileNotFoundError(f"no {split!r} split in {folder!r} (expected {path})")
        self.folder = folder
        check_split_file(folder, split)
        super().__init__(None, transform)
        self.load(path, NetworkData)
