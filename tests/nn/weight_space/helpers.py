"""Weight-space tensors for tests: random ones for a chain, and neuron permutations applied to them."""
from __future__ import annotations

import torch

from sne_pyg.nn.weight_space import weight_space_tensors


def random_space(sizes, kernels=None, features=2, batch=3, seed=0):
    """Random per-entry features ``weights[l] [B, n_l, n_{l-1}, *kernel, F]``, ``biases[l] [B, n_l, F]``."""
    gen = torch.Generator().manual_seed(seed)
    kernels = kernels or [()] * (len(sizes) - 1)
    weights = [torch.randn(batch, b, a, *k, features, generator=gen, dtype=torch.double)
               for a, b, k in zip(sizes[:-1], sizes[1:], kernels)]
    biases = [torch.randn(batch, b, features, generator=gen, dtype=torch.double) for b in sizes[1:]]
    return weights, biases


def permute_space(weights, biases, perms: dict[int, torch.Tensor]):
    """Permute neuron layer ``d`` by ``perms[d]`` everywhere it indexes a weight or a bias."""
    out_w, out_b = [], []
    for l, (w, b) in enumerate(zip(weights, biases), start=1):
        if l in perms:
            w, b = w.index_select(1, perms[l]), b.index_select(1, perms[l])
        if l - 1 in perms:
            w = w.index_select(2, perms[l - 1])
        out_w.append(w)
        out_b.append(b)
    return out_w, out_b


def random_perms(sizes, layers, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return {d: torch.randperm(sizes[d], generator=gen) for d in layers}


def permute_tensors(xs, dims, perms):
    """The same permutation applied to weight-space tensors (axes named by ``dims``)."""
    out = []
    for x, axes in zip(xs, dims):
        for a, d in enumerate(axes):
            if d in perms:
                x = x.index_select(1 + a, perms[d])
        out.append(x)
    return out


def tensors(sizes, group, kernels=None, seed=0):
    return weight_space_tensors(*random_space(sizes, kernels, seed=seed), group)
