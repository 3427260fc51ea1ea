r"""Augmentations of converted networks for self-supervised learning (Schürholt et al., NeurIPS 2021).

Each is a PyG ``BaseTransform`` over :class:`~sne_pyg.data.NetworkData` (compose them with
``torch_geometric.transforms.Compose``) and works for every model, SNE included. They act on the
network's *real* values: padding slots of the chunks stay zero. The flat vector they refer to is the
network's values in layout order (``data.chunks[data.chunk_mask]``).

* :class:`PermuteNeurons` -- a random element of the network's hidden-neuron permutation group
  (:mod:`sne_pyg.symmetry`): a different weight vector of the very same function;
* :class:`RandomErasing` -- with probability ``p``, zero one contiguous block of the flat vector
  whose length is a fraction in ``scale`` of its size;
* :class:`GaussianNoise` -- :math:`\theta + \sigma\,\varepsilon`, :math:`\varepsilon \sim N(0, 1)`.

Every transform draws from its own seeded ``torch.Generator``, so a run is reproducible.
"""
from __future__ import annotations

from collections.abc import Mapping

import torch
from torch_geometric.transforms import BaseTransform

from ..data.network_data import NetworkData, with_chunks
from ..symmetry.spec import PermutationSpec
from ..symmetry.transforms import apply_to_data, spec_from_layout


def _generator(seed: int | None) -> torch.Generator:
    generator = torch.Generator()
    if seed is not None:
        generator.manual_seed(seed)
    else:
        generator.seed()
    return generator


def _with_values(data: NetworkData, values: torch.Tensor) -> NetworkData:
    """A copy of ``data`` whose real values (in layout order) are ``values``; padding stays zero, and views
    derived from the old values (``ng_*``) are dropped, as after a permutation."""
    chunks = data.chunks.clone()
    chunks[data.chunk_mask] = values.to(data.chunks.dtype)
    return with_chunks(data, chunks)


def architecture_key(data: NetworkData) -> tuple[str, ...]:
    """What tells architectures apart in a zoo: the network's state_dict keys, in order."""
    return tuple(data.layout.keys)


def specs_by_architecture(modules) -> dict[tuple[str, ...], PermutationSpec]:
    """``{architecture_key: derive_permutation_spec(module)}`` for one module of each architecture: the
    ``spec`` of :class:`PermuteNeurons` for a heterogeneous zoo with residual or attention networks."""
    from ..data import convert
    from ..symmetry import derive_permutation_spec
    return {architecture_key(convert(module)): derive_permutation_spec(module) for module in modules}


class PermuteNeurons(BaseTransform):
    """A random hidden-neuron permutation of the network (the same function, other weights).

    Args:
        spec: the permutation groups; by default read from each network's layout
            (:func:`~sne_pyg.symmetry.spec_from_layout`: sequential MLPs and CNNs). Give the spec of
            :func:`~sne_pyg.symmetry.derive_permutation_spec` for residual or attention networks, or for a
            zoo of several architectures a mapping ``{architecture_key: spec}`` (:func:`specs_by_architecture`;
            architectures not in it are read from their layout).
        seed: seed of the transform's generator (``None``: a random seed).
    """

    def __init__(self, spec: PermutationSpec | Mapping[tuple[str, ...], PermutationSpec] | None = None,
                 seed: int | None = 0) -> None:
        self.spec = spec
        self.generator = _generator(seed)

    def forward(self, data: NetworkData) -> NetworkData:
        spec = self.spec
        if isinstance(spec, Mapping):
            spec = spec.get(architecture_key(data))
        if spec is None:
            spec = spec_from_layout(data)
        return apply_to_data(data, spec, spec.sample(self.generator))

    def __repr__(self) -> str:
        described = ("layout" if self.spec is None else f"{len(self.spec)} architectures" if isinstance(self.spec, Mapping)
                     else len(self.spec.groups))
        return f"{type(self).__name__}(spec={described})"


class RandomErasing(BaseTransform):
    """With probability ``p``, zero one contiguous block of the flat parameter vector.

    The block's length is ``round(f * n)`` for ``f ~ U(scale)`` and ``n`` values; its start is uniform
    over the positions where it fits. The defaults are the paper's (p 0.5, area fraction 0.03--0.3).
    """

    def __init__(self, p: float = 0.5, scale: tuple[float, float] = (0.03, 0.3), value: float = 0.0,
                 seed: int | None = 0) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must lie in [0, 1], got {p}")
        if not 0.0 <= scale[0] <= scale[1] <= 1.0:
            raise ValueError(f"scale must be (low, high) with 0 <= low <= high <= 1, got {scale}")
        self.p, self.scale, self.value = p, tuple(scale), value
        self.generator = _generator(seed)

    def block(self, n: int) -> tuple[int, int]:
        """``(start, length)`` of the next erased block of a vector of ``n`` values (length 0: none)."""
        u = torch.rand(3, generator=self.generator, dtype=torch.float64).tolist()
        if u[0] >= self.p or n == 0:
            return 0, 0
        length = min(n, max(1, round((self.scale[0] + (self.scale[1] - self.scale[0]) * u[1]) * n)))
        start = min(int(u[2] * (n - length + 1)), n - length)
        return start, length

    def forward(self, data: NetworkData) -> NetworkData:
        values = data.chunks[data.chunk_mask]
        start, length = self.block(values.numel())
        if length == 0:
            return data
        values = values.clone()
        values[start:start + length] = self.value
        return _with_values(data, values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p}, scale={self.scale})"


class GaussianNoise(BaseTransform):
    r"""Add :math:`\sigma\,\varepsilon`, :math:`\varepsilon \sim N(0, 1)`, to every real value
    (``relative=True``: :math:`\sigma` times each layer's RMS instead, for zoos whose layers differ in scale)."""

    def __init__(self, sigma: float = 0.0, relative: bool = False, seed: int | None = 0) -> None:
        if sigma < 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}")
        self.sigma, self.relative = sigma, relative
        self.generator = _generator(seed)

    def forward(self, data: NetworkData) -> NetworkData:
        if self.sigma == 0:
            return data
        values = data.chunks[data.chunk_mask].double()
        noise = torch.randn(values.shape, generator=self.generator, dtype=torch.float64) * self.sigma
        if self.relative:
            layer = torch.repeat_interleave(data.chunk2layer, data.chunk_len, output_size=values.numel())
            rms = torch.zeros(data.num_layers, dtype=torch.float64).index_add_(0, layer, values.pow(2))
            rms = (rms / data.layer_numel.clamp(min=1)).sqrt()
            noise = noise * rms[layer]
        return _with_values(data, values + noise)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sigma={self.sigma}, relative={self.relative})"
