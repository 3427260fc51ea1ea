"""``NetworkData``: one network as hierarchical sets (chunk -> layer -> network)."""
from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import Data

from ..segment import ptr_from_sizes
from .layout import LayerSpec, NetworkLayout, Piece

# Pointers into another level: offset by the size of that level in each example when batching
# (None: by one per network). PyG would offset names containing 'index'/'batch' by the chunk
# count, which is wrong here, so every pointer has an explicit rule.
_PARENT_OF = {"chunk2layer": "layer_type", "layer2net": None,
              # neural-graph view (sne_pyg.data.neural_graph): its own node set
              "ng_edge_index": "ng_x", "ng_node2net": None}
_CAT_DIM = {"ng_edge_index": 1}
# chunk size of the first network of the collation running in this thread (see NetworkData.__inc__)
_collation = threading.local()


class NetworkData(Data):
    r"""A converted network, batched by :class:`torch_geometric.loader.DataLoader`.

    Chunk level (``C`` chunks of ``c`` scalars; chunks are PyG's "nodes"):
        ``chunks [C, c]``     parameter values, each layer zero-padded to a multiple of ``c``;
        ``chunk_len [C]``     number of valid (unpadded) values, a prefix of each chunk;
        ``chunk2layer [C]``   layer id of each chunk (sorted).
    Layer level (``L`` layers):
        ``layer_type``, ``layer_level`` (depth position), ``layer_num_chunks``, ``layer_numel``,
        ``layer_rows``, ``layer_cols``, ``layer_fan_in``, ``layer_fan_out``, ``layer2net``.
    Network level (``B`` networks): ``net_num_layers``, ``net_num_chunks``, optional ``y``.
    ``layout`` (a :class:`NetworkLayout`) maps the chunks back to the exact state_dict.
    """

    def __inc__(self, key: str, value: Any, *args, **kwargs) -> Any:
        if key == "chunks":
            # PyG's collate asks the first network for the cat dim of ``chunks``, then every network for its
            # increment, before concatenating: networks of another chunk size are named here instead of
            # failing in torch.cat with a size mismatch
            expected = getattr(_collation, "chunk_size", None)
            if expected is not None and value.size(-1) != expected:
                raise ValueError(f"cannot batch networks converted with different chunk sizes ({expected} and "
                                 f"{value.size(-1)}); convert every network of a batch with one chunk_size")
            return 0
        if key in _PARENT_OF:
            parent = _PARENT_OF[key]
            return 1 if parent is None else self[parent].size(0)
        return super().__inc__(key, value, *args, **kwargs)

    def __cat_dim__(self, key: str, value: Any, *args, **kwargs) -> Any:
        if key == "chunks":
            _collation.chunk_size = value.size(-1)
            return 0
        if key in _PARENT_OF:
            return _CAT_DIM.get(key, 0)
        return super().__cat_dim__(key, value, *args, **kwargs)

    # ---- sizes and derived views -------------------------------------------------
    @property
    def chunk_size(self) -> int:
        return self.chunks.size(1)

    @property
    def num_chunks(self) -> int:
        return self.chunks.size(0)

    @property
    def num_layers(self) -> int:
        return self.layer_type.size(0)

    @property
    def num_networks(self) -> int:
        return self.net_num_layers.size(0)

    @property
    def chunk_mask(self) -> Tensor:
        """``[C, c]`` bool: True where a value is real, False where it is padding."""
        positions = torch.arange(self.chunk_size, device=self.chunks.device)
        return positions.unsqueeze(0) < self.chunk_len.unsqueeze(1)

    @property
    def layer_ptr(self) -> Tensor:
        """CSR pointer ``[L + 1]`` of chunks per layer."""
        return ptr_from_sizes(self.layer_num_chunks)

    @property
    def net_ptr(self) -> Tensor:
        """CSR pointer ``[B + 1]`` of layers per network."""
        return ptr_from_sizes(self.net_num_layers)

    @property
    def layer_names(self) -> list[str]:
        layouts = self.layout if isinstance(self.layout, list) else [self.layout]
        return [layer.name for layout in layouts for layer in layout.layers]

    @property
    def num_params(self) -> int:
        """Encoded scalar count (padding excluded)."""
        return int(self.layer_numel.sum())

    # ---- back to weights ---------------------------------------------------------
    def layer_values(self, layer: int) -> Tensor:
        """The ``[rows, cols]`` neuron-row matrix of one layer (a view, no copy)."""
        start = int(self.layer_num_chunks[:layer].sum()) * self.chunk_size
        rows, cols = int(self.layer_rows[layer]), int(self.layer_cols[layer])
        return self.chunks.reshape(-1)[start:start + rows * cols].view(rows, cols)

    def layer_blocks(self, flat: Tensor | None = None) -> Iterator[tuple[int, LayerSpec, Tensor]]:
        """``(network, spec, block)`` for every layer of every network, in order: ``block`` is the
        ``[rows, cols]`` view of the layer in ``flat`` (default ``chunks.reshape(-1)``; any tensor laid
        out like it, e.g. positions)."""
        flat = self.chunks.reshape(-1) if flat is None else flat
        layouts = self.layout if isinstance(self.layout, list) else [self.layout]
        starts = ptr_from_sizes(self.layer_num_chunks)[:-1] * self.chunk_size
        specs = ((net, spec) for net, layout in enumerate(layouts) for spec in layout.layers)
        for (net, spec), start in zip(specs, starts.tolist()):
            yield net, spec, flat[start:start + spec.numel].view(spec.rows, spec.cols)

    def piece_blocks(self, flat: Tensor | None = None) -> Iterator[tuple[Piece, Tensor]]:
        """``(piece, block)`` for every encoded piece of every layer, in order: ``block`` is the piece's
        ``[rows, width]`` view in ``flat`` (as in :meth:`layer_blocks`)."""
        for _, layer, block in self.layer_blocks(flat):
            col = 0
            for piece, width in zip(layer.pieces, layer.piece_cols):
                yield piece, block[:, col:col + width]
                col += width

    def _unpack(self, flat: Tensor, dtype: torch.dtype | None = None) -> dict[str, Tensor]:
        """Cut a tensor laid out like ``chunks.reshape(-1)`` into the encoded state_dict entries."""
        layout: NetworkLayout = self.layout
        out = {key: torch.empty(info.shape, dtype=dtype or info.dtype) for key, info in layout.params.items()}
        for piece, block in self.piece_blocks(flat):
            piece.view(out[piece.key]).copy_(block)
        return out

    def positions(self) -> dict[str, Tensor]:
        """For every encoded entry, the index of each of its values in ``chunks.reshape(-1)``."""
        self._require_single("positions")
        return self._unpack(torch.arange(self.chunks.numel()), torch.long)

    def _require_single(self, what: str) -> None:
        if self.num_networks != 1:
            raise ValueError(f"{what}() needs one network, this batch holds {self.num_networks}: "
                             f"use batch.get_example(i).{what}()")

    def to_state_dict(self) -> dict[str, Any]:
        """The state_dict this network was converted from: same keys, order, dtypes, values."""
        self._require_single("to_state_dict")
        layout: NetworkLayout = self.layout
        out = self._unpack(self.chunks.detach().cpu().reshape(-1))
        state = {}
        for key in layout.keys:
            if key in layout.skipped:
                value = layout.skipped[key].value
                state[key] = value.clone() if isinstance(value, Tensor) else value
            elif key in layout.aliases:
                state[key] = out[layout.aliases[key]]
            else:
                state[key] = out[key]
        return state


DERIVED_PREFIXES = ("ng_",)   # views computed from the chunks (NeuralGraphView): stale after a transform


def with_chunks(data: NetworkData, chunks: Tensor) -> NetworkData:
    """A shallow copy of ``data`` (one network or a batch) with new chunk values; views derived from
    the old values (``ng_*``) are dropped, so models recompute them from the new ones."""
    out = copy.copy(data)
    out.chunks = chunks
    for key in [k for k in out.keys() if k.startswith(DERIVED_PREFIXES)]:
        del out[key]
    return out
