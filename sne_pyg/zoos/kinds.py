"""Zoo kinds by name, for ``sne-pyg zoo KIND`` and the examples."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ..data import NetworkData, ZooFolder, save_splits
from ..data.dataset import SPLITS
from .architectures import ARCHITECTURES
from .classifier_zoo import TARGET_NAMES, generate_classifier_zoo
from .datasets import DATASETS
from .labels import zoo_target
from .sine_inr import generate_sine_inr_zoo


@dataclass(frozen=True)
class ZooKind:
    """``generate(size, chunk_size, seed, progress, [steps], work_dir)`` -> converted networks with ``y``
    holding ``targets`` in order. ``version`` counts changes to what a generated zoo holds (cached zoo
    folders of an older version are not reused: version 2 classifier zoos record activations)."""

    generate: Callable[..., list[NetworkData]]
    targets: tuple[str, ...]
    description: str
    version: int = 1


def _sine_inr(size: int, chunk_size: int, seed: int, progress: bool, steps: int = 1000, work_dir: str | None = None):
    return generate_sine_inr_zoo(size, chunk_size=chunk_size, steps=steps, seed=seed, progress=progress,
                                 work_dir=work_dir)


def _sine_inr_peers(size: int, chunk_size: int, seed: int, progress: bool, steps: int = 1500,
                    work_dir: str | None = None):
    return generate_sine_inr_zoo(size, chunk_size=chunk_size, steps=steps, seed=seed, progress=progress,
                                 work_dir=work_dir, recipe="peers")


def _classifier(architecture: str, dataset: str):
    def generate(size: int, chunk_size: int, seed: int, progress: bool, steps: int = 10, work_dir: str | None = None,
                 checkpoints: int = 2):
        return generate_classifier_zoo(architecture, dataset, size, epochs=steps, checkpoints=checkpoints,
                                       chunk_size=chunk_size, seed=seed, work_dir=work_dir, progress=progress)
    return generate


def _tetris(runs: str):
    """TETRIS-SEED / TETRIS-HYP: ``tetris_ffn`` on ``tetris4``, 75 epochs, every epoch kept by default."""
    def generate(size: int, chunk_size: int, seed: int, progress: bool, steps: int = 75, work_dir: str | None = None,
                 checkpoints: int | None = None):
        return generate_classifier_zoo("tetris_ffn", "tetris4", size, epochs=steps, checkpoints=checkpoints or steps,
                                       chunk_size=chunk_size, seed=seed, work_dir=work_dir, progress=progress,
                                       runs=runs)
    return generate


CLASSIFIER_VERSION = 2          # 2: the layout records each layer's activation (NeuralGraph's embedding)

ZOO_KINDS: dict[str, ZooKind] = {
    "sine_inr": ZooKind(_sine_inr, ("frequency",), "SIRENs fitted to sin(a x) from one shared initialisation "
                        "(aligned); target: the frequency a"),
    "sine_inr-peers": ZooKind(_sine_inr_peers, ("frequency",), "SIRENs fitted to sin(a x) with the peers' recipe "
                              "(independent initialisations, DWSNets/SNE Table 1; --steps = max steps)"),
    **{f"{arch}-{data}": ZooKind(_classifier(arch, data), TARGET_NAMES,
                                 f"{arch} classifiers on {data} (--steps = epochs; --checkpoints evenly spaced epochs per run, "
                                 f"default 2: half and end)", CLASSIFIER_VERSION)
       for arch in ARCHITECTURES for data in DATASETS},
    "tetris-seed": ZooKind(_tetris("seed"), TARGET_NAMES, "TETRIS-SEED (Schürholt et al. 2021): 4x4 tetris FFNs "
                           "(109 parameters), one setting, only the seed varies; every epoch kept (--steps = epochs, 75)",
                           CLASSIFIER_VERSION),
    "tetris-hyp": ZooKind(_tetris("grid"), TARGET_NAMES, "TETRIS-HYP: activation x initialisation x learning rate "
                          "(2 x 6 x 3) x seeds; every epoch kept (--steps = epochs, 75)", CLASSIFIER_VERSION),
}


def write_zoo_folder(kind: str, folder: str, size: int, steps: int | None = None, *, chunk_size: int = 64,
                     seed: int = 0, fractions=(0.8, 0.1, 0.1), work_dir: str | None = None,
                     progress: bool = True, checkpoints: int | None = None) -> dict[str, int]:
    """Generate a zoo of ``kind`` and save it split into ``folder`` (checkpoints of one training run
    share a split; ``seed`` also seeds the split). ``work_dir`` keeps finished parts for resuming.
    ``checkpoints``: evenly spaced checkpoints per run (classifier kinds; default 2).
    Under ``torchrun`` only the main process saves the zoo (the others return ``{}``)."""
    if kind not in ZOO_KINDS:
        raise ValueError(f"unknown zoo kind {kind!r}; available: {sorted(ZOO_KINDS)}")
    options = dict(size=size, chunk_size=chunk_size, seed=seed)
    if steps is not None:
        options["steps"] = steps
    if checkpoints is not None:
        if kind.startswith("sine_inr"):
            raise ValueError(f"--checkpoints applies to classifier zoos, not {kind!r} (one fit per INR)")
        options["checkpoints"] = checkpoints
    networks = ZOO_KINDS[kind].generate(**options, progress=progress, work_dir=work_dir)
    if networks is None:              # another process of a torchrun job: the main process saves the zoo
        return {}
    runs = [int(net.run) if "run" in net else i for i, net in enumerate(networks)]
    return save_splits(networks, folder, fractions, seed, groups=runs,
                       settings=dict(kind=kind, targets=ZOO_KINDS[kind].targets, **options))


DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)


def cached_zoo(kind: str, root: str, size: int, steps: int | None = None, *, chunk_size: int = 64, seed: int = 0,
               fractions: tuple[float, float, float] = DEFAULT_FRACTIONS, progress: bool = True,
               checkpoints: int | None = None) -> str:
    """Path of a zoo folder of ``kind`` under ``root``; generated (resumably) on first use. The folder name
    holds every setting (other fractions or checkpoint counts get their own folder)."""
    name = f"{kind}-n{size}-s{steps}-seed{seed}-c{chunk_size}"
    if kind in ZOO_KINDS and ZOO_KINDS[kind].version > 1:
        name += f"-v{ZOO_KINDS[kind].version}"
    if checkpoints is not None:
        name += f"-k{checkpoints}"
    if tuple(fractions) != DEFAULT_FRACTIONS:
        name += "-f" + ",".join(f"{f:g}" for f in fractions)
    folder = os.path.join(root, name)
    if not all(os.path.exists(os.path.join(folder, f"{s}.pt")) for s in SPLITS):
        write_zoo_folder(kind, folder, size, steps, chunk_size=chunk_size, seed=seed, fractions=fractions,
                         work_dir=os.path.join(root, "work"), progress=progress, checkpoints=checkpoints)
    return folder


def cached_splits(kind: str, root: str, size: int, steps: int | None = None, target: int | str | None = 0, *,
                  progress: bool = True, splits: tuple[str, ...] = SPLITS, **options) -> dict[str, list[NetworkData]]:
    """``{split: networks}`` of a :func:`cached_zoo` with ``y`` the label ``target``: a column of ``y``
    (``None``: all) or a numeric label by name (:func:`sne_pyg.zoos.labels.zoo_target`); only ``splits`` are read."""
    folder = cached_zoo(kind, root, size, steps, progress=progress, **options)
    return {split: zoo_target(list(ZooFolder(folder, split)), target, numeric_only=True) for split in splits}


POOL_FACTORS = ("architecture", "dataset")


def pooled_splits(architectures, datasets, root: str, size: int, steps: int | None = None, target: int | str | None = 0,
                  *, progress: bool = True, checkpoints: int | None = None,
                  fractions: tuple[float, float, float] = DEFAULT_FRACTIONS
                  ) -> tuple[dict[str, list[NetworkData]], dict[str, dict[str, list[str]]]]:
    """One heterogeneous zoo pooled from the :func:`cached_splits` of every ``architecture-dataset`` kind:
    ``{split: networks}`` and, per split, each network's ``architecture`` and ``dataset``."""
    splits: dict[str, list[NetworkData]] = {split: [] for split in SPLITS}
    labels = {split: {factor: [] for factor in POOL_FACTORS} for split in SPLITS}
    for arch in architectures:
        for name in datasets:
            zoo = cached_splits(f"{arch}-{name}", root, size, steps, target, progress=progress, checkpoints=checkpoints,
                                fractions=fractions)
            for split, networks in zoo.items():
                splits[split] += networks
                labels[split]["architecture"] += [arch] * len(networks)
                labels[split]["dataset"] += [name] * len(networks)
    return splits, labels
