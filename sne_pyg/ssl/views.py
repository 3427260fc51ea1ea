r"""Two augmented views of a batch of networks at once: the transforms of :mod:`.augment`, vectorised.

Self-supervised training needs, per step, two views of every network of the batch (and the clean
batch). Building each view by a transform per network and collating three batches spends most of an
epoch in Python (measured: 54% of a HyperRep epoch on TETRIS, ``benchmarks/bench_ssl_views.py``).
:class:`PairedViews` collates the clean networks once and derives both views from its ``chunks`` with
one gather (the permutations), one masked fill (the erased blocks) and one add (the noise).

The views are *the same tensors* the per-network transforms give: each network draws from the
transforms' own seeded generators in the same order (permutation, erasing, noise; view ``a`` before
view ``b``), so results do not change with the path (tested bit for bit against
``Compose([PermuteNeurons, RandomErasing, GaussianNoise])``). What a view holds beyond the clean batch's
structure: its ``chunks``; views derived from the old values (``ng_*``) are dropped.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from torch_geometric.data import Batch

from ..data.network_data import NetworkData, with_chunks
from ..segment import ptr_from_sizes
from ..symmetry.spec import PermutationSpec
from ..symmetry.transforms import spec_from_layout
from .augment import RandomErasing, _generator, architecture_key


@dataclass(frozen=True)
class _Architecture:
    """What every network of one architecture shares: its spec and where its values lie in its chunks."""

    spec: PermutationSpec | None
    positions: dict[str, Tensor]   # per encoded entry, the flat chunk position of each of its values
    sources: Tensor                # those positions concatenated (the order ``positions`` iterates in)
    slots: int                     # chunks.numel() of one network
    values: int                    # real (unpadded) values of one network

    def gather_index(self, generator: torch.Generator) -> Tensor:
        """One network's gather index for a random element of its group: ``permuted = flat[index]``."""
        targets = self.spec.apply(self.positions, self.spec.sample(generator))
        index = torch.arange(self.slots)
        index[self.sources] = torch.cat([targets[key].flatten() for key in self.positions])
        return index


class PairedViews:
    """``(view_a, view_b, clean)`` batches of ``networks``, each network augmented from its own seed.

    Args:
        permute: draw a hidden-neuron permutation per view (:class:`~sne_pyg.ssl.PermuteNeurons`).
        erase: probability of erasing one block per view (:class:`~sne_pyg.ssl.RandomErasing`, 0: off).
        noise: sigma of Gaussian noise per view (:class:`~sne_pyg.ssl.GaussianNoise`, 0: off).
        specs: ``{architecture_key: spec}`` where the layout gives none (residual, attention networks).
    """

    def __init__(self, permute: bool = True, erase: float = 0.5, noise: float = 0.0,
                 specs: Mapping[tuple[str, ...], PermutationSpec] | None = None) -> None:
        self.permute, self.erase, self.noise = permute, erase, noise
        self.specs = dict(specs or {})
        self._architectures: dict[tuple[str, ...], _Architecture] = {}

    def _architecture(self, data: NetworkData) -> _Architecture:
        key = architecture_key(data)
        found = self._architectures.get(key)
        if found is None:
            spec = (self.specs.get(key) or spec_from_layout(data)) if self.permute else None
            positions = data.positions()
            found = _Architecture(spec, positions, torch.cat([p.flatten() for p in positions.values()]),
                                  data.chunks.numel(), int(data.chunk_mask.sum()))
            self._architectures[key] = found
        return found

    def __call__(self, networks: Sequence[NetworkData], seeds: Sequence[int]) -> tuple[Batch, Batch, Batch]:
        """The two views and the clean batch; network ``i`` draws from ``seeds[i]`` as
        ``Compose(PermuteNeurons(seed=s), RandomErasing(seed=s + 1), GaussianNoise(seed=s + 2))`` would."""
        if len(networks) != len(seeds):
            raise ValueError(f"one seed per network: got {len(networks)} networks and {len(seeds)} seeds")
        clean = Batch.from_data_list(list(networks))
        if not (self.permute or self.erase > 0 or self.noise > 0):
            return clean, clean, clean
        return (*self._views(networks, seeds, clean), clean)

    def _views(self, networks, seeds, clean: Batch) -> tuple[Batch, Batch]:
        archs = [self._architecture(data) for data in networks]
        flat = clean.chunks.reshape(-1)
        starts = (ptr_from_sizes(clean.net_num_chunks)[:-1] * clean.chunk_size).tolist()
        real = clean.chunk_mask.reshape(-1).nonzero().squeeze(1)
        counts = torch.tensor([a.values for a in archs])
        gathers: tuple[list[Tensor], list[Tensor]] = ([], [])
        blocks: tuple[list[tuple[int, int]], list[tuple[int, int]]] = ([], [])
        noises: tuple[list[Tensor], list[Tensor]] = ([], [])
        for arch, seed, start in zip(archs, seeds, starts):
            if self.permute:
                generator = _generator(seed)
                for view in (0, 1):
                    gathers[view].append(arch.gather_index(generator) + start)
            if self.erase > 0:
                erasing = RandomErasing(p=self.erase, seed=seed + 1)
                for view in (0, 1):
                    blocks[view].append(erasing.block(arch.values))
            if self.noise > 0:
                generator = _generator(seed + 2)
                for view in (0, 1):
                    noises[view].append(torch.randn(arch.values, generator=generator, dtype=torch.float64) * self.noise)
        out = []
        for view in (0, 1):
            values = flat[torch.cat(gathers[view])] if self.permute else flat.clone()
            if self.erase > 0:
                values[real[_block_mask(blocks[view], counts)]] = 0.0
            if self.noise > 0:
                values[real] = (values[real].double() + torch.cat(noises[view])).to(values.dtype)
            out.append(with_chunks(clean, values.view_as(clean.chunks)))
        return out[0], out[1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(permute={self.permute}, erase={self.erase}, noise={self.noise})"


def _block_mask(blocks: Sequence[tuple[int, int]], counts: Tensor) -> Tensor:
    """Over the concatenated real values of every network: inside that network's ``(start, length)`` block."""
    offsets = torch.repeat_interleave(ptr_from_sizes(counts)[:-1], counts)
    local = torch.arange(int(counts.sum())) - offsets
    start = torch.repeat_interleave(torch.tensor([b[0] for b in blocks]), counts)
    length = torch.repeat_interleave(torch.tensor([b[1] for b in blocks]), counts)
    return (local >= start) & (local < start + length)
