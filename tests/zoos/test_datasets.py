import numpy as np
import pytest
import torch

from sne_pyg.zoos.datasets import DATASETS, TETROMINOES, _tetromino, load_dataset


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_is_8x8_standardised_and_seeded(name):
    data = load_dataset(name, seed=3)
    assert data.x_train.shape[1:] == (1, 8, 8) and data.x_test.shape[1:] == (1, 8, 8)
    assert data.x_train.size(0) == data.y_train.size(0) and data.x_test.size(0) == data.y_test.size(0)
    assert abs(float(data.x_train.mean())) < 1e-4 and abs(float(data.x_train.std()) - 1) < 1e-3
    assert int(data.y_train.min()) == 0 and int(data.y_train.max()) == data.num_classes - 1
    assert set(data.y_test.tolist()) <= set(range(data.num_classes))
    again = load_dataset(name, seed=3)
    assert torch.equal(again.x_train, data.x_train) and torch.equal(again.y_test, data.y_test)
    assert not torch.equal(load_dataset(name, seed=4).x_train[:10], data.x_train[:10])


def test_unknown_dataset_names_the_choices():
    with pytest.raises(ValueError, match="digits"):
        load_dataset("cifar")


@pytest.mark.parametrize("shape", sorted(TETROMINOES))
def test_tetrominoes_are_four_connected_cells_in_any_rotation(shape):
    rng = np.random.default_rng(0)
    for rotation in range(4):
        grid = _tetromino(TETROMINOES[shape], rotation, rng)
        cells = list(zip(*np.nonzero(grid)))
        assert grid.shape == (4, 4) and len(cells) == 4
        seen, stack = {cells[0]}, [cells[0]]          # flood fill: one 4-connected piece
        while stack:
            r, c = stack.pop()
            for n in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if n in cells and n not in seen:
                    seen.add(n)
                    stack.append(n)
        assert len(seen) == 4
