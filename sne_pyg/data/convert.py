"""``convert``: any ``nn.Module`` or state_dict -> :class:`NetworkData`."""
from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from .activations import activation_id
from .classify import plan_group
from .convert_plan import ConvertPlan, PlanCache, StateEntries, read_state
from .layer_kinds import table_version
from .layout import LayerSpec, NetworkLayout, ParamInfo
from .network_data import NetworkData

# Plans of recently converted architectures (see convert_plan): a zoo pays the planning once.
PLANS = PlanCache()


def convert(model: nn.Module | Mapping[str, Any] | Iterable, chunk_size: int = 64, *,
            dtype: torch.dtype | None = None, y: Any = None, dataflow: Mapping[str, Sequence[str]] | None = None,
            activations: Mapping[str, str] | None = None) -> NetworkData | list[NetworkData]:
    """Convert a network into hierarchical set data (a list, tuple or generator of them: :func:`convert_all`).

    Every float entry of the state_dict is kept exactly: the entries of one module form
    one layer (attention in-projections form three), laid out as neuron rows
    (see :mod:`sne_pyg.data.layout`), flattened, zero-padded to a multiple of
    ``chunk_size`` and cut into chunks. Integer / bool buffers (``num_batches_tracked``)
    are skipped and listed in ``data.layout.skipped``.

    Parameters on a GPU are read back: the converted network always lives on the CPU (move
    batches with ``batch.to(device)``).

    Everything that depends only on the architecture (keys, shapes, dtypes, tied entries,
    module types) is planned once and cached (:mod:`sne_pyg.data.convert_plan`), so the
    networks of a zoo after the first are filled without planning (one gather, or one
    ``torch.cat`` per layer).

    Args:
        model: an ``nn.Module`` (layer types from its modules) or a state_dict mapping
            (layer types from names and shapes).
        chunk_size: scalars per chunk, an int from 1 to the network's largest layer size rounded up to a
            power of two (at least 1024 is always allowed; larger chunks would be mostly padding).
        dtype: storage dtype of ``chunks``, a floating-point dtype; default float64 if any entry is
            float64, else float32 (which holds float16 / bfloat16 values exactly). A value that overflows
            it is an error.
        y: optional target(s) of the network, stored as a ``[1, k]`` float tensor.
        dataflow: which layers feed which, ``{layer: (source layers...)}``, recorded in the layout so
            the neural-graph view can add residual edges; trace it with
            ``convert(model, dataflow=sne_pyg.symmetry.derive_dataflow(model))`` (torch.fx; modules only).
        activations: the activation after each layer, ``{layer: name}``, recorded in the layout for the
            neural-graph view's activation embedding; read it with
            ``convert(model, activations=sne_pyg.data.activations.derive_activations(model))``.

    Raises:
        TypeError: ``model`` is neither, or an entry is not a tensor (the key is named).
        ValueError: bad ``chunk_size`` or ``dtype``, no float parameters, a NaN / Inf value or one that
            overflows ``dtype`` (key named).
    """
    if isinstance(model, (list, tuple, Iterator)):
        if dataflow is not None or activations is not None:
            raise ValueError("dataflow and activations describe one network: convert such networks one by one")
        return convert_all(model, chunk_size, dtype=dtype, ys=y)
    _check_chunk_size(chunk_size)
    state, modules = _state_and_modules(model)
    entries = read_state(state, modules)
    data = _plan(state, entries, modules, chunk_size, dtype).fill(entries.sources, entries.others)
    if dataflow is not None:
        data.layout.dataflow = _checked_dataflow(dataflow)
    if activations is not None:
        data.layout.activations = _checked_activations(activations, data.layout)
    if y is not None:
        data.y = torch.as_tensor(y, dtype=torch.float32).reshape(1, -1)
    return data


def convert_all(networks: Iterable[nn.Module | Mapping[str, Any]], chunk_size: int = 64, *,
                dtype: torch.dtype | None = None, ys: Iterable[Any] | None = None,
                names: Sequence[str] | None = None, block: int = 4096) -> list[NetworkData]:
    """Convert many networks: the same :class:`NetworkData` as ``[convert(n) for n in networks]``, faster.

    Networks are read ``block`` at a time (a generator is never held whole); within a block those of
    one architecture share one plan and are filled together: one flatten of all their parameters, one
    gather into a ``[N, C * c]`` block and one finiteness check (:meth:`ConvertPlan.fill_many`), so what
    remains per network is reading its state_dict and building its ``NetworkData`` object. Each
    network's ``chunks`` is a row of its block's tensor (``torch.save`` of one network alone would
    write the whole block: save datasets, which collate, or ``.clone()``).

    Args:
        ys: optional targets, one per network (as ``y`` of :func:`convert`).
        names: how errors name the networks (e.g. their files); default ``network <position>``.
        block: networks converted together (memory: about two copies of a block's parameters).

    Raises:
        as :func:`convert`, naming the failing network (``network 17: ...`` or its entry of ``names``).
    """
    _check_chunk_size(chunk_size)
    if isinstance(block, bool) or not isinstance(block, int) or block < 1:
        raise ValueError(f"block must be an int >= 1, got {block!r}")
    targets = iter(ys) if ys is not None else itertools.repeat(None)
    out: list[NetworkData] = []
    position = 0
    networks = iter(networks)
    while part := list(itertools.islice(networks, block)):
        with _collector_paused():
            labels = [names[position + i] if names is not None else f"network {position + i}"
                      for i in range(len(part))]
            out += _convert_block(part, labels, chunk_size, dtype, [next(targets, None) for _ in part])
        position += len(part)
    return out


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while a block's objects are made (restored after).

    Each network adds a few dozen container objects (its ``Data`` stores, layout and tensors), so a
    block of thousands triggers repeated full collections that rescan every object made so far:
    measured 3-4x the whole conversion time of 10,000 small networks. Nothing made here forms a
    cycle that would need the collector in between.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _convert_block(networks: list, labels: list[str], chunk_size: int, dtype, targets: list) -> list[NetworkData]:
    groups: dict[tuple, list[tuple[int, Any, Any]]] = {}
    for i, network in enumerate(networks):
        try:
            state, modules = _state_and_modules(network)
            entries = read_state(state, modules)
        except TypeError as error:
            raise TypeError(f"{labels[i]}: {error}") from None
        groups.setdefault(entries.signature, []).append((i, entries, (state, modules)))
    out: list[NetworkData | None] = [None] * len(networks)
    for members in groups.values():
        _, first, (first_state, first_modules) = members[0]
        try:
            plan = _plan(first_state, first, first_modules, chunk_size, dtype)
        except ValueError as error:
            raise ValueError(f"{labels[members[0][0]]}: {error}") from None
        filled = plan.fill_many([e.sources for _, e, _ in members], [e.others for _, e, _ in members],
                                [labels[i] for i, _, _ in members])
        for (i, _, _), data in zip(members, filled):
            if targets[i] is not None:
                data.y = torch.as_tensor(targets[i], dtype=torch.float32).reshape(1, -1)
            out[i] = data
    return out


def _plan(state: dict, entries, modules: dict, chunk_size: int, dtype) -> ConvertPlan:
    """The cached plan of this architecture (planned from ``state`` on first sight)."""
    return PLANS.get((entries.signature, chunk_size, dtype, table_version()),
                     lambda: ConvertPlan(_build_layout(list(state), entries, modules), chunk_size, dtype))


def _check_chunk_size(chunk_size) -> None:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be an int >= 1, got {chunk_size!r}")


def _checked_dataflow(dataflow) -> dict[str, tuple[str, ...]]:
    if not isinstance(dataflow, Mapping):
        raise TypeError(f"dataflow must map layer names to their source layers (trace it with "
                        f"sne_pyg.symmetry.derive_dataflow(model)), got {type(dataflow).__name__}")
    return {layer: tuple(sources) for layer, sources in dataflow.items()}


def _checked_activations(activations, layout) -> dict[str, str]:
    if not isinstance(activations, Mapping):
        raise TypeError(f"activations must map layer names to activation names (read them with "
                        f"sne_pyg.data.activations.derive_activations(model)), got {type(activations).__name__}")
    names = {spec.name for spec in layout.layers}
    for layer, name in activations.items():
        if layer not in names:
            raise ValueError(f"activations: {layer!r} is not a layer of this network (layers: {sorted(names)})")
        activation_id(name)
    return dict(activations)


def _state_and_modules(model) -> tuple[dict[str, Any], dict[str, nn.Module]]:
    if isinstance(model, nn.Module):
        return model.state_dict(), dict(model.named_modules())
    if isinstance(model, Mapping):
        return dict(model), {}
    raise TypeError(f"convert() takes an nn.Module or a state_dict mapping, got {type(model).__name__}")


def _build_layout(keys: list[str], entries: StateEntries, modules: dict[str, nn.Module]) -> NetworkLayout:
    """The layers of one architecture (``skipped`` left empty: its values belong to each network)."""
    if not entries.sources:
        raise ValueError("the network has no floating-point parameters to encode"
                         + (f" (skipped: {sorted(entries.others)})" if entries.others else " (it is empty)"))
    params = {key: ParamInfo(tuple(value.shape), value.dtype) for key, value in entries.sources.items()}
    groups: dict[str, dict[str, Tensor]] = {}
    for key, value in entries.sources.items():
        prefix, _, name = key.rpartition(".")
        groups.setdefault(prefix, {})[name] = value

    layers: list[LayerSpec] = []
    for level, (prefix, group) in enumerate(groups.items()):
        parent = modules.get(prefix.rpartition(".")[0]) if prefix else None
        for plan in plan_group(prefix, group, modules.get(prefix), parent):
            shapes = [piece.shape_of(params[piece.key].shape) for piece in plan.pieces]
            rows = shapes[0][0]
            cols = tuple(c for _, c in shapes)
            layers.append(LayerSpec(
                name=prefix + plan.suffix if prefix else plan.suffix.lstrip(".") or "<root>",
                type=plan.type, level=level, rows=rows, pieces=tuple(plan.pieces), piece_cols=cols,
                fan_in=plan.fan_in if plan.fan_in is not None else cols[0], fan_out=rows))
    return NetworkLayout(keys=keys, params=params, layers=layers, aliases=dict(entries.aliases))
