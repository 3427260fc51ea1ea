"""The SNE paper's ablations on the Table 1 zoo: what each study varies, and the data it varies.

* Table 6 (:data:`TABLE6`): SNE with one part removed at a time; each variant is a set of
  :class:`~sne_pyg.nn.SNE` options plus training settings (Logit Invariance is a training setting).
* Table 7 (:data:`CHUNK_SIZES`): the same zoo converted with chunk sizes 8 .. 512 (:func:`rechunk`).
* Figure 3 (:data:`FRACTIONS`): SNE, DWSNet and NeuralGraph trained on nested random subsets of the
  training INRs (:func:`training_subset`), validated and tested on the full splits.
"""
from __future__ import annotations

import torch

from ..data import NetworkData, convert

TABLE6: dict[str, dict] = {
    "sne": {},
    "sne + Logit Invariance (1.0)": {"train": {"li_weight": 1.0}},
    "without the layer-level encoder": {"model": {"hierarchy": "chunk-network"}},
    "without layer-type encodings": {"model": {"encodings": "level"}},
    "without level (positional) encodings": {"model": {"encodings": "type"}},
    "without any layer encodings": {"model": {"encodings": "none"}},
    "mean pooling instead of set functions": {"model": {"set_function": "mean"}},
}
CHUNK_SIZES = (8, 16, 32, 64, 128, 256, 512)
FRACTIONS = (0.05, 0.1, 0.25, 0.5, 1.0)
DATA_EFFICIENCY_MODELS = ("sne", "dwsnet", "neural_graph")
EXTRA_ATTRIBUTES = ("fit_mse", "fit_steps")


def rechunk(dataset, chunk_size: int) -> list[NetworkData]:
    """Every network converted again with ``chunk_size``: exactly what converting its state_dict with that
    chunk size gives (layer types from names and shapes), ``y`` and the zoo's per-network records kept."""
    out = []
    for i in range(len(dataset)):
        data = dataset[i]
        again = convert(data.to_state_dict(), chunk_size, y=data.y)
        for key in EXTRA_ATTRIBUTES:
            if key in data:
                again[key] = data[key]
        out.append(again)
    return out


def training_subset(size: int, fraction: float, seed: int = 0) -> list[int]:
    """Indices of ``round(fraction * size)`` (at least 2) training networks; subsets of one seed are nested
    (a smaller fraction's networks are a prefix of a larger one's), so the curves differ by data only."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    order = torch.randperm(size, generator=torch.Generator().manual_seed(seed)).tolist()
    return sorted(order[:max(2, round(fraction * size))])
