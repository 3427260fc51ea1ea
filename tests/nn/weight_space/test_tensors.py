import pytest
import torch

from sne_pyg.nn.weight_space import TensorLayout, invariant_pool, weight_space_tensors
from tests.nn.weight_space.helpers import random_space

SIZES, KERNELS = [2, 3, 4, 5], [(3, 3), (2,), ()]


def test_np_tensors_keep_every_axis_and_move_kernels_into_channels():
    weights, biases = random_space(SIZES, KERNELS)
    xs, layout = weight_space_tensors(weights, biases, "np")
    assert layout.names == ("W1", "b1", "W2", "b2", "W3", "b3")
    assert layout.dims == ((1, 0), (1,), (2, 1), (2,), (3, 2), (3,))
    assert layout.multiplicity == (9, 1, 2, 1, 1, 1)
    assert xs[0].shape == (3, 3, 2, 9 * 2)
    # entry (network 1, neuron 2, input 1, kernel (0, 2), feature 1) lands at channel (0 * 3 + 2) * 2 + 1
    assert xs[0][1, 2, 1, 5] == weights[0][1, 2, 1, 0, 2, 1]


def test_hnp_tensors_absorb_input_and_output_neurons():
    weights, biases = random_space(SIZES, KERNELS)
    xs, layout = weight_space_tensors(weights, biases, "hnp")
    assert layout.dims == ((1,), (1,), (2, 1), (2,), (2,), ())
    assert layout.multiplicity == (2 * 9, 1, 2, 1, 5, 5)
    # W1 [B, n1, n0 * 9 * F]: input neuron 1, kernel (2, 0), feature 0 -> ((1 * 9) + 6) * 2 + 0
    assert xs[0][0, 2, 30] == weights[0][0, 2, 1, 2, 0, 0]
    # W3 [B, n3=5, n2=4, F] -> [B, n2, n3 * F]: output neuron 4, input 3, feature 1 -> channel 4 * 2 + 1
    assert xs[4][0, 3, 9] == weights[2][0, 4, 3, 1]
    assert torch.equal(xs[5][0], biases[2][0].flatten())                      # b3: no axis left
    pooled = invariant_pool(xs)
    assert pooled.shape == (3, sum(layout.channels(2))) == (3, 64)
    assert torch.allclose(pooled[:, 18 * 2 + 2:18 * 2 + 2 + 4], xs[2].mean(dim=(1, 2)))      # W2 over both axes
    assert torch.equal(invariant_pool(xs, "max")[:, :36], xs[0].amax(dim=1))


def test_layout_round_trips_and_bad_group():
    _, layout = weight_space_tensors(*random_space(SIZES, KERNELS), "hnp")
    assert TensorLayout.from_dict(layout.to_dict()) == layout
    with pytest.raises(ValueError, match="group must be one of"):
        weight_space_tensors(*random_space(SIZES), "all")
