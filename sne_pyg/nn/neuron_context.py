r"""Neuron context of every element of a chunk: statistics of the neurons a weight connects, for SNE.

A chunk is a set of scalars, so the value :math:`v = W^{(\ell)}_{ij}` alone does not say which neurons it
joins. This module gives each element eight permutation-equivariant numbers (mean and root mean square of
the scaled values :math:`v / \mathrm{rms}_\ell`) about its place in the network:

* its **row** :math:`i` of layer :math:`\ell` (all of neuron :math:`i`'s incoming parameters, its bias included);
* its **column** :math:`j` of layer :math:`\ell` (one input's weights into every neuron, or the bias column);
* the **outgoing** weights of neuron :math:`i`: the columns of the next layer that read it;
* the **incoming** weights of the input neuron its column reads: that row of the previous layer.

All four are sums over segments (``index_add``), no messages: a permutation of hidden neurons permutes
rows and columns together and leaves every element's context unchanged. Consecutive layers ``l``, ``l+1``
of one network are linked when ``l+1`` is a Linear or convolution whose ``fan_in`` equals ``l``'s rows;
its columns then come in ``g = cols // fan_in`` per input (``g = k^2`` for a ``k x k`` kernel), the first
``fan_in * g`` of them. That is exact for sequential MLPs and CNNs; a norm layer between two convolutions
links to the one after it (the one before gets no outgoing context); elsewhere (residual blocks, attention)
the links follow layer order and shapes, and layers without a match get zeros.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..data.layer_types import CONV_TYPES, LayerType
from ..data.network_data import NetworkData
from ..segment import ptr_from_sizes

CONTEXT_FEATURES = 8
_READS_NEURONS = torch.tensor([LayerType.LINEAR, *CONV_TYPES.values()])


class NeuronContext:
    """Row and column statistics of one batch, then :meth:`features` of any block of its chunks.

    Args:
        data: the converted batch.
        scale: ``[L]`` each layer's RMS (the values are read as ``v / scale``).
        block: chunks whose element indices are built at once (bounds memory on huge networks).
    """

    def __init__(self, data: NetworkData, scale: Tensor, block: int = 4096) -> None:
        self.data, self.scale = data, scale
        rows, cols = data.layer_rows, data.layer_cols
        self.row_offset, self.col_offset = ptr_from_sizes(rows)[:-1], ptr_from_sizes(cols)[:-1]
        self.first_chunk = data.layer_ptr[:-1]
        num_layers = rows.numel()
        # link l -> l+1 when l+1 reads l's neurons; group = columns per input of the reading layer
        reads = torch.isin(data.layer_type, _READS_NEURONS.to(rows.device)) & (data.layer_fan_in > 0)
        self.group = torch.where(reads, cols // data.layer_fan_in.clamp(min=1), torch.zeros_like(cols))
        linked = torch.zeros(num_layers, dtype=torch.bool, device=rows.device)
        if num_layers > 1:
            linked[:-1] = ((data.layer2net[1:] == data.layer2net[:-1]) & reads[1:]
                           & (data.layer_fan_in[1:] == rows[:-1]) & (self.group[1:] >= 1))
        self.next_linked = linked                       # l has a next layer reading its rows
        self.prev_linked = torch.zeros_like(linked)
        self.prev_linked[1:] = linked[:-1]              # l reads the rows of l-1
        dtype = scale.dtype
        num_rows, num_cols = int(rows.sum()), int(cols.sum())
        sums = {"row": torch.zeros(3, num_rows, dtype=dtype, device=rows.device),
                "col": torch.zeros(3, num_cols, dtype=dtype, device=rows.device),
                "input": torch.zeros(3, num_rows, dtype=dtype, device=rows.device)}
        for start in range(0, data.chunks.size(0), block):
            ids = self._ids(slice(start, start + block))
            moments = torch.stack([torch.ones_like(ids["value"]), ids["value"], ids["value"] ** 2])
            for key, where in (("row", ids["valid"]), ("col", ids["valid"]), ("input", ids["prev_valid"])):
                target = ids["prev_row"] if key == "input" else ids[key]
                sums[key].index_add_(1, target[where], moments[:, where])
        # "input": per row of layer l, the moments of the columns of l+1 that read it (stored at l's rows)
        self.stats = {key: self._mean_rms(total) for key, total in sums.items()}

    @staticmethod
    def _mean_rms(total: Tensor) -> Tensor:
        count = total[0].clamp(min=1)
        return torch.stack([total[1] / count, (total[2] / count).sqrt()], dim=-1)      # [N, 2]

    def _ids(self, sl: slice) -> dict[str, Tensor]:
        data = self.data
        chunks = data.chunks[sl]
        c = chunks.size(1)
        owner = data.chunk2layer[sl]
        positions = torch.arange(c, device=chunks.device)
        chunk_ids = torch.arange(sl.start, sl.start + chunks.size(0), device=chunks.device)
        flat = (chunk_ids - self.first_chunk[owner]).unsqueeze(1) * c + positions
        cols = data.layer_cols[owner].unsqueeze(1)
        row, col = torch.div(flat, cols, rounding_mode="floor"), flat % cols
        valid = positions < data.chunk_len[sl, None]
        group = self.group[owner].unsqueeze(1)
        reads_prev = self.prev_linked[owner].unsqueeze(1) & (col < data.layer_fan_in[owner].unsqueeze(1) * group) & valid
        prev = (owner - 1).clamp(min=0).unsqueeze(1)
        input_neuron = torch.div(col, group.clamp(min=1), rounding_mode="floor")
        last_row = max(int(data.layer_rows.sum()) - 1, 0)
        return {"value": chunks.to(self.scale.dtype) / self.scale[owner].clamp_min(1e-12).unsqueeze(1),
                "valid": valid, "prev_valid": reads_prev,
                "row": (self.row_offset[owner].unsqueeze(1) + row).clamp(max=last_row),
                "col": self.col_offset[owner].unsqueeze(1) + col,
                "prev_row": (self.row_offset[prev] + input_neuron).clamp(max=last_row), "owner": owner}

    def features(self, sl: slice) -> Tensor:
        """``[n, c, 8]`` for chunks ``sl``: row, column, outgoing and incoming (mean, rms); zeros on padding and
        where a layer has no linked neighbour."""
        ids = self._ids(sl)
        zero = torch.zeros(1, dtype=self.scale.dtype, device=ids["value"].device)
        own_row = self.stats["row"][ids["row"]]
        own_col = self.stats["col"][ids["col"]]
        outgoing = torch.where((self.next_linked[ids["owner"]].unsqueeze(1) & ids["valid"]).unsqueeze(-1),
                               self.stats["input"][ids["row"]], zero)
        incoming = torch.where(ids["prev_valid"].unsqueeze(-1), self.stats["row"][ids["prev_row"]], zero)
        out = torch.cat([own_row, own_col, outgoing, incoming], dim=-1)
        return out.masked_fill(~ids["valid"].unsqueeze(-1), 0.0)
