r"""Input normalisation: every encoded state_dict entry z-scored with its training-set statistics.

The peers' encoders read weights normalised by statistics of the training networks. Here each
entry ``k`` (``"0.weight"``, ``"0.bias"``, ...) gets one mean and one standard deviation, pooled over
every value of that entry in every training network:

.. math::
    \mu_k = \frac{1}{n_k}\sum w, \qquad \sigma_k^2 = \frac{1}{n_k}\sum w^2 - \mu_k^2, \qquad
    w' = (w - \mu_k) / \sigma_k \quad (\sigma_k < \varepsilon: w' = w - \mu_k).

One scalar pair per entry (not per coordinate) keeps the transform equivariant: permuting a
network's neurons and then standardising gives the same values as standardising and then
permuting, so permutation augmentation and the invariant models are unaffected. Entries are
matched by name, so a zoo mixing architectures pools same-named entries; a network with an entry
that no training network has is refused by name. Padding stays zero.
"""
from __future__ import annotations

from collections.abc import Iterable

from .network_data import NetworkData, with_chunks


class WeightStandardiser:
    """Fit on training networks (:meth:`fit`), then map any network to its standardised copy (call it).

    ``mean`` and ``std`` hold :math:`\\mu_k` and :math:`\\sigma_k` per entry key after fitting.
    """

    def __init__(self, eps: float = 1e-8) -> None:
        self.eps = eps
        self.mean: dict[str, float] = {}
        self.std: dict[str, float] = {}

    def fit(self, networks: Iterable[NetworkData]) -> WeightStandardiser:
        """Pool every entry's values over ``networks`` (one network each, e.g. a training split)."""
        sums: dict[str, list[float]] = {}
        for data in networks:
            data._require_single("WeightStandardiser.fit")
            for piece, values in data.piece_blocks(data.chunks.detach().reshape(-1).double()):
                total = sums.setdefault(piece.key, [0.0, 0.0, 0])
                total[0] += float(values.sum())
                total[1] += float((values * values).sum())
                total[2] += values.numel()
        if not sums:
            raise ValueError("WeightStandardiser.fit needs at least one network")
        for key, (s, sq, n) in sums.items():
            mean = s / n
            self.mean[key] = mean
            self.std[key] = max(sq / n - mean * mean, 0.0) ** 0.5
        return self

    def __call__(self, data: NetworkData) -> NetworkData:
        """A copy of one network with standardised chunks (derived views dropped, the input untouched)."""
        if not self.mean:
            raise RuntimeError("WeightStandardiser: call fit(training networks) first")
        data._require_single("WeightStandardiser")
        flat = data.chunks.detach().reshape(-1).clone()
        for piece, values in data.piece_blocks(flat):
            key = piece.key
            if key not in self.mean:
                raise KeyError(f"entry {key!r} is in no network the standardiser was fitted on "
                               f"(fitted entries: {', '.join(sorted(self.mean))})")
            values.sub_(self.mean[key])
            if self.std[key] >= self.eps:
                values.div_(self.std[key])
        return with_chunks(data, flat.view_as(data.chunks))

    def transform(self, networks: Iterable[NetworkData]) -> list[NetworkData]:
        return [self(data) for data in networks]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(entries={len(self.mean)}, eps={self.eps})"


INPUT_NORMS = ("none", "entry")


def standardise_splits(splits: dict[str, list], input_norm: str = "entry", fit_on: str = "train") -> dict[str, list]:
    """Every split standardised with statistics of ``splits[fit_on]`` only (``input_norm`` ``"none"``: as given)."""
    if input_norm not in INPUT_NORMS:
        raise ValueError(f"unknown input normalisation {input_norm!r}; choose from {INPUT_NORMS}")
    if input_norm == "none":
        return splits
    standardise = WeightStandardiser().fit(splits[fit_on])
    return {name: standardise.transform(networks) for name, networks in splits.items()}
