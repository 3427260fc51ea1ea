"""A reusable conversion plan: everything ``convert`` derives from an architecture, computed once.

Networks of a zoo share their architecture, so the layout (which entries form which layer,
in which neuron-row order), the chunk metadata and, for small networks, a gather index from
the concatenated parameters to the padded chunk tensor depend only on the *signature* of the
state_dict: its keys, shapes, dtypes, devices, which entries are tied, and the module types.
:class:`PlanCache` (``sne_pyg.data.convert.PLANS``) keeps the plans of the last
:data:`CACHE_SIZE` architectures, keyed by that signature, so a repeated conversion is one
``torch.cat`` plus one gather (small networks) or one ``torch.cat(..., out=)`` per layer (the
rest), with no per-layer Python planning.
"""
from __future__ import annotations

import itertools
import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import Tensor

from .layout import NetworkLayout, Skipped
from .network_data import NetworkData

# Two ways to fill the chunks. Layer by layer: one ``torch.cat(..., out=)`` of a layer's pieces into its
# rows (about 7 us of Python per layer, then each value is moved once). Gather: one ``torch.cat`` of all
# sources and one ``index_select`` through a cached int32 index (about 1 ns per value, two passes). A
# cached plan gathers when the network has at most GATHER_VALUES_PER_LAYER padded values per layer
# (measured crossover on 20-layer CNNs: 100k-200k values) and at most GATHER_MAX_NUMEL in all.
GATHER_VALUES_PER_LAYER = 6000
GATHER_MAX_NUMEL = 1 << 21
CACHE_SIZE = 16      # at most 16 x 8 MB of cached int32 gather indices


class StateEntries(NamedTuple):
    """A state_dict sorted in one pass (:func:`read_state`)."""

    signature: tuple                 # what the layout depends on: the plan cache key
    sources: dict[str, Tensor]       # float entries, tied ones once, in state_dict order
    others: dict[str, Tensor]        # non-float entries: not encoded, kept in ``layout.skipped``
    aliases: dict[str, str]          # tied entry -> the entry it repeats


def read_state(state: dict[str, Any], modules: dict[str, Any]) -> StateEntries:
    """Sort a state_dict into encoded, skipped and tied entries and compute its architecture signature.

    Raises:
        TypeError: a key is not a string or an entry is not a tensor (the key is named).
    """
    signature: list[tuple] = []
    sources: dict[str, Tensor] = {}
    others: dict[str, Tensor] = {}
    aliases: dict[str, str] = {}
    starting_at: dict[int, list[tuple[Tensor, str]]] = {}   # data_ptr -> float entries starting there
    for key, value in state.items():
        if not isinstance(key, str):
            raise TypeError(f"state_dict keys must be strings, got {key!r}")
        if not isinstance(value, Tensor):
            raise TypeError(f"state_dict entry {key!r} is a {type(value).__name__}, not a tensor")
        if not value.is_floating_point():
            others[key] = value
            signature.append((key, value.dtype, value.shape))
            continue
        address = value.data_ptr()
        if address:   # empty and meta tensors (address 0) are never tied
            same_start = starting_at.get(address)
            if same_start is None:
                starting_at[address] = [(value, key)]
            else:
                tied = next((seen for earlier, seen in same_start if same_parameter(earlier, value)), None)
                if tied is not None:
                    aliases[key] = tied
                    signature.append((key, tied))
                    continue
                same_start.append((value, key))
        sources[key] = value
        signature.append((key, value.shape, value.dtype, value.is_cpu))
    if modules:
        signature.append(tuple((name, type(module)) for name, module in modules.items()))
    return StateEntries(tuple(signature), sources, others, aliases)


def skip_reason(value: Tensor) -> str:
    if value.is_complex():
        return f"{value.dtype} tensor: complex values are not encoded (only real floating-point tensors are)"
    return f"{value.dtype} values are not parameters (only float tensors are encoded)"


def max_chunk_size(layout: NetworkLayout) -> int:
    """The largest chunk size ``convert`` accepts for ``layout``: the largest layer's size rounded up to a
    power of two, and at least :data:`MIN_CHUNK_BOUND` (beyond it a chunk is mostly padding)."""
    largest = max((layer.numel for layer in layout.layers), default=1)
    return max(MIN_CHUNK_BOUND, 1 << max(largest - 1, 0).bit_length())


MIN_CHUNK_BOUND = 1024


def same_parameter(a: Tensor, b: Tensor) -> bool:
    """Entries starting at the same address with the same shape, strides and dtype are one (tied) parameter."""
    return a.shape == b.shape and a.stride() == b.stride() and a.dtype == b.dtype


class ConvertPlan:
    """How to turn the sources of one architecture into :class:`NetworkData` (see module docstring).

    Args:
        layout: the layout built for this architecture (without ``skipped`` entries: those are per network).
        chunk_size: scalars per chunk.
        dtype: storage dtype of ``chunks``, or None for the default (float64 if any entry is float64).
    """

    def __init__(self, layout: NetworkLayout, chunk_size: int, dtype: torch.dtype | None) -> None:
        c = chunk_size
        if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
            raise ValueError(f"dtype must be a floating-point torch.dtype, got {dtype!r}: chunks hold real parameter "
                             f"values, which an integer or complex dtype would change")
        if c > max_chunk_size(layout):
            raise ValueError(f"chunk_size {c} is larger than this network needs (at most {max_chunk_size(layout)}: "
                             f"its largest layer, rounded up to a power of two, or {MIN_CHUNK_BOUND}); every chunk "
                             f"would be mostly padding")
        self.layout = layout
        self.dtype = dtype or (torch.float64 if any(i.dtype == torch.float64 for i in layout.params.values())
                               else torch.float32)
        layers = layout.layers
        # per-layer metadata in Python (a network has few layers); per-chunk fields with tensor ops
        numel = [layer.numel for layer in layers]
        num_chunks = [-(-n // c) for n in numel]
        self.starts = list(itertools.accumulate((k * c for k in num_chunks), initial=0))[:-1]
        self.num_chunks = sum(num_chunks)
        self.chunk_size = c

        counts = torch.tensor(num_chunks, dtype=torch.long)
        chunk_len = torch.full((self.num_chunks,), c, dtype=torch.long)
        last_chunks = [start // c + k - 1 for start, k in zip(self.starts, num_chunks) if k]
        chunk_len[last_chunks] = torch.tensor([n - (k - 1) * c for n, k in zip(numel, num_chunks) if k],
                                              dtype=torch.long)
        chunk_fields = {"chunk_len": chunk_len,
                        "chunk2layer": torch.repeat_interleave(torch.arange(len(layers)), counts,
                                                               output_size=self.num_chunks)}
        meta = {"layer_type": [int(layer.type) for layer in layers], "layer_level": [layer.level for layer in layers],
                "layer_num_chunks": num_chunks, "layer_numel": numel, "layer_rows": [layer.rows for layer in layers],
                "layer_cols": [layer.cols for layer in layers], "layer_fan_in": [layer.fan_in for layer in layers],
                "layer_fan_out": [layer.fan_out for layer in layers], "layer2net": [0] * len(layers),
                "net_num_layers": [len(layers)], "net_num_chunks": [self.num_chunks]}
        # all index fields in one tensor: a fill clones it once and splits it into views
        self._index_names = (*chunk_fields, *meta)
        self._index_sizes = [self.num_chunks] * 2 + [len(values) for values in meta.values()]
        self._index_pack = torch.cat([*chunk_fields.values(),
                                      torch.tensor([v for values in meta.values() for v in values], dtype=torch.long)])

        # positions of the padding: the tail of each layer's last chunk
        padding = [(start + n, k * c - n) for start, n, k in zip(self.starts, numel, num_chunks) if k * c > n]
        total_pad = sum(length for _, length in padding)
        if padding:
            first, length = (torch.tensor(column, dtype=torch.long) for column in zip(*padding))
            offset = torch.repeat_interleave(first - (torch.cumsum(length, 0) - length), length, output_size=total_pad)
            self._padding = offset + torch.arange(total_pad)
        else:
            self._padding = torch.zeros(0, dtype=torch.long)
        self.gather: Tensor | None = None   # built on the second network (see fill)
        self._zero: Tensor | None = None
        self._row_gather: Tensor | None = None   # the gather index within one network's row (fill_many)
        self._sources_on_cpu = True
        self.uses = 0

    # ---- filling -----------------------------------------------------------------
    def _fill_by_layer(self, flat: Tensor, view_of: Callable[[str], Tensor], pad: float = 0) -> Tensor:
        """Write every layer's pieces side by side into its neuron rows of ``flat``, ``pad`` into the padding."""
        with torch.no_grad():                 # cat(out=) refuses sources that require grad
            for layer, start in zip(self.layout.layers, self.starts):
                rows = flat[start:start + layer.numel].view(layer.rows, layer.cols)
                if len(layer.pieces) == 1:
                    rows.copy_(layer.pieces[0].view(view_of(layer.pieces[0].key)))
                else:
                    torch.cat([piece.view(view_of(piece.key)) for piece in layer.pieces], dim=1, out=rows)
            return flat.index_fill_(0, self._padding, pad)

    def _gather_index(self) -> Tensor:
        """``flat = cat(sources + [0])[index]``: the layer-by-layer fill applied to source positions."""
        offsets, position = {}, 0
        for key, info in self.layout.params.items():
            offsets[key] = (position, info.shape)
            position += torch.Size(info.shape).numel()

        def positions(key: str) -> Tensor:
            start, shape = offsets[key]
            return torch.arange(start, start + torch.Size(shape).numel()).view(shape)
        index = self._fill_by_layer(torch.empty(self.num_chunks * self.chunk_size, dtype=torch.long), positions,
                                    pad=position)                               # position: the appended zero
        return index.int() if position < 2 ** 31 else index   # int32 gathers ~17% faster

    def _gathers(self) -> bool:
        values = self.num_chunks * self.chunk_size
        return values <= GATHER_MAX_NUMEL and values <= GATHER_VALUES_PER_LAYER * max(len(self.layout.layers), 1)

    def fill(self, sources: dict[str, Tensor], others: dict[str, Tensor]) -> NetworkData:
        """Build the network's data from its :class:`StateEntries` ``sources`` and ``others``."""
        self.uses += 1
        if self.uses == 1:   # the signature fixes every source's device: one check per architecture
            self._sources_on_cpu = all(t.is_cpu for t in sources.values())
        if not self._sources_on_cpu:   # parameters on a GPU: the converted network lives on the CPU
            sources = {key: t.detach().cpu() for key, t in sources.items()}
        tensors = list(sources.values())
        if self.uses == 2 and self._gathers():
            self.gather = self._gather_index()     # a single network of an architecture never needs it
            self._zero = tensors[0].new_zeros(1)   # the padding value the gather index points at
        if self.gather is not None:
            tensors.append(self._zero)
            flat = flatten(tensors).index_select(0, self.gather)
            if flat.dtype != self.dtype:
                flat = flat.to(self.dtype)
        else:
            flat = self._fill_by_layer(torch.empty(self.num_chunks * self.chunk_size, dtype=self.dtype),
                                       sources.__getitem__)
        flat = flat.detach()   # sources that require grad (named_parameters) leave no graph behind
        # One reduction instead of an elementwise isfinite pass (25x cheaper on large networks): any
        # NaN/Inf makes the sum non-finite. A sum that overflows from finite values is re-checked exactly.
        if not math.isfinite(flat.sum().item()):
            bad = [key for key, t in sources.items() if not bool(torch.isfinite(t).all())]
            if bad:
                raise ValueError(f"non-finite (NaN or Inf) values in {bad}")
            if not bool(torch.isfinite(flat).all()):      # finite sources, infinite after the dtype conversion
                top = torch.finfo(self.dtype).max
                over = [key for key, t in sources.items() if bool((t.abs() > top).any())]
                raise ValueError(f"values of {over} overflow {self.dtype} (largest finite {top:.3g}); convert with "
                                 f"a wider dtype")
        return self._assemble(flat, others)

    def fill_many(self, sources: list[dict[str, Tensor]], others: list[dict[str, Tensor]],
                  names: list[str]) -> list[NetworkData]:
        """:meth:`fill` for ``N`` networks of this architecture at once: one flatten of every source, one
        gather into ``[N, C * c]``, one finiteness check; each network's ``chunks`` is a row of that block.
        ``names`` label the networks in errors."""
        if not self._gathers() or len(sources) < 2:
            return [self._fill_named(s, o, name) for s, o, name in zip(sources, others, names)]
        self.uses += len(sources)
        if self.gather is None:
            self.gather = self._gather_index()
            self._zero = next(iter(sources[0].values())).new_zeros(1)
        tensors = [t if t.is_cpu else t.detach().cpu() for network in sources for t in network.values()]
        values = flatten(tensors).view(len(sources), -1)
        width = values.size(1)
        if self._row_gather is None:       # the padding (index ``width``: the appended zero) is zeroed after it
            self._row_gather = self.gather.masked_fill(self.gather == width, 0)
        block = values.index_select(1, self._row_gather).index_fill_(1, self._padding, 0)
        if block.dtype != self.dtype:
            block = block.to(self.dtype)
        block = block.detach()
        if not math.isfinite(block.sum().item()):
            for network, other, name in zip(sources, others, names):
                self._fill_named(network, other, name)                  # raises, naming the network and key
        packs = self._index_pack.repeat(len(sources)).view(len(sources), -1).unbind(0)
        rows = block.view(len(sources), self.num_chunks, self.chunk_size).unbind(0)
        return [self._assemble(chunks, other, pack) for chunks, other, pack in zip(rows, others, packs)]

    def _fill_named(self, sources: dict[str, Tensor], others: dict[str, Tensor], name: str) -> NetworkData:
        try:
            return self.fill(sources, others)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None

    def _assemble(self, flat: Tensor, others: dict[str, Tensor], pack: Tensor | None = None) -> NetworkData:
        layout = self.layout
        skipped = {key: Skipped(skip_reason(value), value.detach().clone()) for key, value in others.items()}
        pack = self._index_pack.clone() if pack is None else pack
        attrs = dict(zip(self._index_names, torch.split_with_sizes(pack, self._index_sizes)))
        attrs.update(
            chunks=flat.view(-1, self.chunk_size), num_nodes=self.num_chunks,
            layout=NetworkLayout(keys=list(layout.keys), params=dict(layout.params), layers=list(layout.layers),
                                 aliases=dict(layout.aliases), skipped=skipped))
        return new_network_data(attrs)


def flatten(tensors: list[Tensor]) -> Tensor:
    """``torch.cat([t.reshape(-1) for t in tensors])`` in one C++ call (no Python view per tensor)."""
    return torch._utils._flatten_dense_tensors(tensors)


def new_network_data(attrs: dict[str, Any]) -> NetworkData:
    """``NetworkData(**attrs)`` for non-None values, writing the fresh store directly (13x faster).

    ``Data.__init__`` routes every attribute through two ``__setattr__`` layers and a cache
    check that a fresh object does not need; falls back to it if PyG's storage changes shape.
    """
    data = NetworkData()
    mapping = getattr(getattr(data, "_store", None), "_mapping", None)
    if type(mapping) is dict and not mapping:
        mapping.update(attrs)
        return data
    return NetworkData(**attrs)


class PlanCache:
    """A small LRU map ``(signature, chunk_size, dtype) -> ConvertPlan``."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._plans: OrderedDict[tuple, ConvertPlan] = OrderedDict()

    def get(self, key: tuple, build: Callable[[], ConvertPlan]) -> ConvertPlan:
        plan = self._plans.get(key)
        if plan is None:
            plan = build()
            self._plans[key] = plan
            if len(self._plans) > self.size:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        return plan

    def clear(self) -> None:
        self._plans.clear()

    def __len__(self) -> int:
        return len(self._plans)

    def __repr__(self) -> str:
        return f"PlanCache({len(self)}/{self.size})"
