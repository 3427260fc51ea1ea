"""Random weight-space symmetries applied to modules and to converted networks.

* :func:`random_permutation` -- a random element of the derived permutation group; works on an
  ``nn.Module`` (a permuted deep copy) and on :class:`NetworkData` (a gather of chunk values, so
  the converted data of a permuted network equals ``convert`` of the permuted module).
* :func:`sign_flip` -- hidden neurons that pass only through odd activations (tanh, sin, identity)
  may flip sign: ``f(-z) = -f(z)``.
* :func:`positive_scaling` -- hidden neurons behind ReLU / LeakyReLU may be scaled by ``a > 0``
  on their incoming weights and bias and ``1 / a`` on their outgoing weights.
"""
from __future__ import annotations

import copy

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch

from ..data.layer_types import CONV_TYPES, NORM_TYPES, LayerType
from ..data.network_data import NetworkData, with_chunks
from ..segment import ptr_from_sizes
from .derive import SymmetryError, derive_permutation_spec
from .spec import CARRIER, CONSUMER, PRODUCER, AxisRef, Group, PermutationSpec, scale_axis

ODD_ACTIVATIONS = {"tanh", "sin", "hardtanh", "softsign"}
HOMOGENEOUS_ACTIVATIONS = {"relu", "leaky_relu", "prelu"}   # f(a z) = a f(z) for a > 0


def spec_from_layout(data: NetworkData) -> PermutationSpec:
    """Permutation groups of a converted *sequential* MLP/CNN, read from its layout alone.

    Consecutive Linear/Conv layers share their hidden neurons; a per-channel norm layer between
    them carries the permutation; a linear layer reading ``k`` values per channel of a conv is a
    flatten (block permutation). Anything else raises :class:`SymmetryError`: pass the module to
    :func:`derive_permutation_spec` instead.
    """
    layers = data.layout.layers
    groups, previous, block = [], None, 1
    for spec in layers:
        weight = spec.pieces[0].key
        if spec.type in (LayerType.LINEAR, *CONV_TYPES.values()) and spec.pieces[0].kind == "rows":
            if previous is not None:
                if spec.fan_in % previous.size:
                    raise SymmetryError(f"layer {spec.name!r} reads {spec.fan_in} inputs after "
                                        f"{previous.size} neurons; not a sequential chain")
                block = spec.fan_in // previous.size if spec.type == LayerType.LINEAR else 1
                previous.refs.append(AxisRef(weight, 1, 0, block, CONSUMER))
                groups.append(previous)
            refs = [AxisRef(p.key, 0, 0, 1, PRODUCER) for p in spec.pieces]
            previous = Group(spec.rows, refs, name=spec.name, activations={"unknown"})
        elif spec.type in NORM_TYPES and previous is not None and spec.rows == previous.size:
            previous.refs.extend(AxisRef(p.key, 0, 0, 1, CARRIER) for p in spec.pieces)
        else:
            raise SymmetryError(f"layer {spec.name!r} ({LayerType(spec.type).name}): symmetries of converted data "
                                "are read for sequential MLPs/CNNs only; derive them from the module instead")
    return PermutationSpec([g for g in groups if g.size > 1])


def random_permutation(network, generator: torch.Generator | None = None, spec: PermutationSpec | None = None,
                       example_input: Tensor | None = None):
    """A random symmetry-group element applied to ``network`` (a module, or converted data).

    Modules: returns a permuted deep copy (same class, same keys, same function); the input is
    untouched. ``NetworkData``: returns new data whose chunks are the permuted values. ``spec``
    defaults to :func:`derive_permutation_spec` (modules) or :func:`spec_from_layout` (data).
    """
    if isinstance(network, nn.Module):
        spec = spec or derive_permutation_spec(network, example_input)
        return apply_to_module(network, spec, spec.sample(generator))
    if isinstance(network, NetworkData):
        if isinstance(network, Batch) or isinstance(network.layout, list):
            return permute_batch(network, generator)
        spec = spec or spec_from_layout(network)
        return apply_to_data(network, spec, spec.sample(generator))
    raise TypeError(f"random_permutation takes an nn.Module or NetworkData, got {type(network).__name__}")


def apply_to_module(module: nn.Module, spec: PermutationSpec, perms: list[Tensor]) -> nn.Module:
    out = copy.deepcopy(module)
    out.load_state_dict(spec.apply(module.state_dict(), perms))
    return out


def apply_to_data(data: NetworkData, spec: PermutationSpec, perms: list[Tensor]) -> NetworkData:
    """Permute converted data without reconverting: ``chunks`` gathered, structure kept, derived views
    (``ng_*``) dropped so that models recompute them from the permuted values."""
    source = data.positions()
    target = spec.apply(source, perms)
    index = torch.arange(data.chunks.numel())
    for key, where in source.items():
        index[where.flatten()] = target[key].flatten()
    return with_chunks(data, data.chunks.reshape(-1)[index.to(data.chunks.device)].view_as(data.chunks))


def permute_batch(batch: Batch, generator: torch.Generator | None = None) -> Batch:
    """Every network of a batch permuted independently (specs read from their layouts)."""
    flat = batch.chunks.reshape(-1)
    index = torch.arange(flat.numel())
    c = batch.chunk_size
    starts = ptr_from_sizes(batch.net_num_chunks)[:-1]
    for i in range(batch.num_networks):
        example = batch.get_example(i)
        spec = spec_from_layout(example)
        source = example.positions()
        target = spec.apply(source, spec.sample(generator))
        offset = int(starts[i]) * c
        for key, where in source.items():
            index[where.flatten() + offset] = target[key].flatten() + offset
    return with_chunks(batch, flat[index.to(flat.device)].view_as(batch.chunks))


def _eligible(spec: PermutationSpec, allowed: set[str]) -> list[Group]:
    return [g for g in spec.groups
            if g.activations - {"identity"} <= allowed and all(r.role in (PRODUCER, CONSUMER) for r in g.refs)]


def _rescale(module: nn.Module, groups: list[Group], factors: list[Tensor]) -> nn.Module:
    state = dict(module.state_dict())
    for group, factor in zip(groups, factors):
        for ref in group.refs:
            state[ref.key] = scale_axis(state[ref.key], ref, factor if ref.role == PRODUCER else 1.0 / factor)
    out = copy.deepcopy(module)
    out.load_state_dict(state)
    return out


def sign_flip(module: nn.Module, generator: torch.Generator | None = None, spec: PermutationSpec | None = None,
              example_input: Tensor | None = None) -> nn.Module:
    """Flip the sign of random hidden neurons that pass only through odd activations."""
    spec = spec or derive_permutation_spec(module, example_input)
    groups = _eligible(spec, ODD_ACTIVATIONS)
    if not groups:
        raise SymmetryError("sign_flip: no hidden neurons pass only through odd activations "
                            f"(groups: {[(g.name, sorted(g.activations)) for g in spec.groups]})")
    signs = [torch.randint(0, 2, (g.size,), generator=generator).float() * 2 - 1 for g in groups]
    return _rescale(module, groups, signs)


def positive_scaling(module: nn.Module, generator: torch.Generator | None = None, spec: PermutationSpec | None = None,
                     low: float = 0.5, high: float = 2.0, example_input: Tensor | None = None) -> nn.Module:
    """Scale random hidden ReLU neurons: incoming weights and bias by ``a``, outgoing weights by ``1/a``."""
    if not 0 < low <= high:
        raise ValueError(f"need 0 < low <= high, got {low}, {high}")
    spec = spec or derive_permutation_spec(module, example_input)
    groups = _eligible(spec, HOMOGENEOUS_ACTIVATIONS)
    if not groups:
        raise SymmetryError("positive_scaling: no hidden neurons pass only through ReLU-like activations "
                            f"(groups: {[(g.name, sorted(g.activations)) for g in spec.groups]})")
    factors = [low + (high - low) * torch.rand(g.size, generator=generator) for g in groups]
    return _rescale(module, groups, factors)
