import itertools

import pytest
import torch

from sne_pyg.nn.weight_space import EquivariantLinear, invariant_pool, weight_space_tensors
from tests.nn.weight_space.helpers import permute_space, permute_tensors, random_perms, random_space


def _orbits(sizes, permuted):
    """Brute force: orbits of the group permuting the neuron layers ``permuted`` on weight-space entries
    and on pairs of entries (union-find over generators: a transposition and a cycle per layer)."""
    coords = [(f"W{l}", (j, k)) for l in range(1, len(sizes)) for j in range(sizes[l]) for k in range(sizes[l - 1])]
    coords += [(f"b{l}", (j,)) for l in range(1, len(sizes)) for j in range(sizes[l])]
    index = {c: i for i, c in enumerate(coords)}

    def act(coord, d, perm):
        name, idx = coord
        l = int(name[1:])
        axes = (l, l - 1) if name[0] == "W" else (l,)
        return name, tuple(perm[i] if a == d else i for a, i in zip(axes, idx))

    generators = []
    for d in permuted:
        n = sizes[d]
        generators += [(d, [1, 0] + list(range(2, n))), (d, list(range(1, n)) + [0])]

    def count(items, move):
        parent = list(range(len(items)))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i
        pos = {item: i for i, item in enumerate(items)}
        for i, item in enumerate(items):
            for d, perm in generators:
                a, b = find(i), find(pos[move(item, d, perm)])
                parent[a] = b
        return len({find(i) for i in range(len(items))})

    pairs = list(itertools.product(coords, coords))
    entry_orbits = count(coords, act)
    pair_orbits = count(pairs, lambda p, d, perm: (act(p[0], d, perm), act(p[1], d, perm)))
    assert len(index) == len(coords)
    return pair_orbits, entry_orbits


def _layer(sizes, group):
    xs, layout = weight_space_tensors(*random_space(sizes, features=1), group)
    return EquivariantLinear(list(layout.dims), layout.channels(1), layout.channels(1)), xs, layout


def _params(layer):
    return sum(p.numel() for p in layer.parameters())


def test_np_parameter_count_by_hand_and_by_orbits():
    # NP, L = 2 layers, sizes [2, 3, 2]: per the characterisation, W_l -> W_l has 4 terms (pointwise,
    # row mean, column mean, full mean), each of the 2L = 4 tensors reaches every output through its full
    # mean, and the terms keeping one shared layer are W_{l-1} -> W_l, b_{l-1} -> W_l, b_l -> W_l,
    # W_{l+1} -> W_l, W_l -> b_l, W_{l+1} -> b_l, b_l -> b_l: in total 4L^2 + 10L - 4 = 32 terms, plus one
    # bias per tensor (2L = 4).
    layer, _, _ = _layer([2, 3, 2], "np")
    assert layer.num_terms == 4 * 2 ** 2 + 10 * 2 - 4 == 32
    assert _params(layer) == 36
    pairs, entries = _orbits([2, 3, 2], permuted=[0, 1, 2])
    assert (pairs, entries) == (32, 4)


def test_hnp_parameter_count_by_hand_and_by_orbits():
    # HNP, sizes [n0, n1, n2] = [2, 3, 2]: only layer 1 permutes. W1 [n1, n0], b1 [n1] and W2^T [n1, n2] are
    # s = n0 + 1 + n2 = 5 columns over layer 1; b2 has n2 = 2 fixed entries. Column -> column: 2 terms
    # (pointwise, mean) for each of the s x s column pairs; column -> b2 and b2 -> column: the mean, s n2 each;
    # b2 -> b2: n2^2. Total 2 s^2 + 2 s n2 + n2^2 = 74; biases: one per column and per b2 entry, s + n2 = 7.
    layer, _, _ = _layer([2, 3, 2], "hnp")
    assert _params(layer) == 2 * 25 + 2 * 5 * 2 + 4 + 5 + 2 == 81
    assert _orbits([2, 3, 2], permuted=[1]) == (74, 7)


@pytest.mark.parametrize("sizes,group,permuted", [([2, 3, 4, 2], "np", [0, 1, 2, 3]),
                                                    ([2, 3, 4, 2], "hnp", [1, 2]),
                                                    ([3, 2, 2], "hnp", [1])])
def test_free_parameters_equal_the_orbit_count(sizes, group, permuted):
    layer, _, _ = _layer(sizes, group)
    pairs, entries = _orbits(sizes, permuted)
    assert sum(lin.weight.numel() for maps in layer.maps for lin in maps) == pairs
    assert sum(b.numel() for b in layer.bias) == entries


@pytest.mark.parametrize("group,reduction", [("np", "mean"), ("hnp", "mean"), ("np", "max"), ("hnp", "max")])
def test_layer_is_equivariant_with_kernels(group, reduction):
    sizes, kernels = [3, 4, 5, 2], [(3, 3), (3, 3), ()]
    weights, biases = random_space(sizes, kernels)
    xs, layout = weight_space_tensors(weights, biases, group)
    torch.manual_seed(0)
    layer = EquivariantLinear(list(layout.dims), layout.channels(2), layout.channels(4), reduction).double()
    permuted = range(len(sizes)) if group == "np" else range(1, len(sizes) - 1)
    perms = random_perms(sizes, permuted)
    ys, _ = weight_space_tensors(*permute_space(weights, biases, perms), group)
    for a, b in zip(permute_tensors(layer(xs), layout.dims, perms), layer(ys)):
        assert torch.allclose(a, b, atol=1e-10)
    # the outputs do move with the permutation (the comparison above is not vacuous)
    assert not all(torch.allclose(a, b) for a, b in zip(layer(xs), layer(ys)))


def test_hnp_layer_is_not_equivariant_to_input_permutations():
    sizes = [3, 4, 2]
    weights, biases = random_space(sizes)
    xs, layout = weight_space_tensors(weights, biases, "hnp")
    torch.manual_seed(0)
    layer = EquivariantLinear(list(layout.dims), layout.channels(2), layout.channels(2)).double()
    ys, _ = weight_space_tensors(*permute_space(weights, biases, random_perms(sizes, [0])), "hnp")
    assert not torch.allclose(invariant_pool(layer(xs)), invariant_pool(layer(ys)), atol=1e-6)
    np_xs, np_layout = weight_space_tensors(weights, biases, "np")          # while NP pools the same input to
    np_layer = EquivariantLinear(list(np_layout.dims), np_layout.channels(2), np_layout.channels(2)).double()
    np_ys, _ = weight_space_tensors(*permute_space(weights, biases, random_perms(sizes, [0])), "np")
    assert torch.allclose(invariant_pool(np_layer(np_xs)), invariant_pool(np_layer(np_ys)), atol=1e-10)


def test_bad_arguments():
    with pytest.raises(ValueError, match="same tensors"):
        EquivariantLinear([(1,)], [2, 3], [2])
    with pytest.raises(ValueError, match="reduction"):
        EquivariantLinear([(1,)], [2], [2], reduction="sum")
