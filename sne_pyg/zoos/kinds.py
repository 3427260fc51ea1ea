"""Zoo kinds by name, for ``sne-pyg zoo KIND`` and the examples."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..data import NetworkData
from .architectures import ARCHITECTURES
from .classifier_zoo import TARGET_NAMES, generate_classifier_zoo
from .datasets import DATASETS
from .sine_inr import generate_sine_inr_zoo


@dataclass(frozen=True)
class ZooKind:
    """``generate(size, chunk_size, seed, progress, [steps], work_dir)`` -> converted networks with ``y``
    holding ``targets`` in order."""

    generate: Callable[..., list[NetworkData]]
    targets: tuple[str, ...]
    description: str


def _sine_inr(size: int, chunk_size: int, seed: int, progress: bool, steps: int = 1000, work_dir: str | None = None):
    return generate_sine_inr_zoo(size, chunk_size=chunk_size, steps=steps, seed=seed, progress=progress)


def _classifier(architecture: str, dataset: str):
    def generate(size: int, chunk_size: int, seed: int, progress: bool, steps: int = 10, work_dir: str | None = None):
        return generate_classifier_zoo(architecture, dataset, size, epochs=steps, chunk_size=chunk_size, seed=seed,
                                       work_dir=work_dir, progress=progress)
    return generate


ZOO_KINDS: dict[str, ZooKind] = {
    "sine_inr": ZooKind(_sine_inr, ("frequency",), "SIRENs fitted to sin(a x); target: the frequency a"),
    **{f"{arch}-{data}": ZooKind(_classifier(arch, data), TARGET_NAMES,
                                 f"{arch} classifiers on {data} (--steps = epochs; checkpoints at half and end)")
       for arch in ARCHITECTURES for data in DATASETS},
}
