r"""DeepSets over every parameter value of a network, with layer-type and level encodings.

.. math:: z = \rho\Big(\frac{1}{|\theta|}\sum_{v \in \theta} \phi\big(v / \mathrm{rms}_\ell,\ \log\mathrm{rms}_\ell,\ e(\ell)\big)\Big)

Architecture-agnostic (any mix of networks in a batch); invariant to any permutation of the
values, so it sees distributions of weights, not their arrangement.
"""
from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn import MLP

from ...data.network_data import NetworkData
from ...data.views import element_view
from ...segment import segment_mean
from ..encodings import StructureEncoding
from ..encoder import NetworkEncoder
from ..features import layer_rms, scaled_values


class DeepSets(NetworkEncoder, name="deepsets"):
    def __init__(self, hidden: int = 64, out_dim: int | None = 1, layers: int = 2) -> None:
        super().__init__()
        self.lift = nn.Linear(2, hidden)
        self.encoding = StructureEncoding(hidden)
        self.phi = MLP([hidden] * (layers + 1), norm=None, act="gelu")
        self.rho = MLP([hidden] * (layers + 1), norm=None, act="gelu")

    def encode(self, data: NetworkData) -> Tensor:
        view = element_view(data)
        dtype = self.lift.weight.dtype
        rms = layer_rms(data).to(dtype)
        x = self.lift(scaled_values(view.values.to(dtype), rms.index_select(0, view.layer)))
        x = x + self.encoding(data.layer_type, data.layer_level).index_select(0, view.layer)
        return self.rho(segment_mean(self.phi(x), view.net_ptr))

