"""Offline single-channel classification datasets: four of 8x8, so one architecture fits them all, and
the 4x4 TETRIS of Schürholt et al. 2021.

* ``digits``: scikit-learn's bundled handwritten digits (1,797 images, 10 classes).
* ``mnist1d``: the ``mnist1d`` package's procedural 1-D digits (40 samples per signal, 10 classes),
  linearly resampled to 64 values and laid out row by row as 8x8.
* ``tetris``: the seven tetrominoes (I, O, T, S, Z, J, L; Schuerholt et al. 2021's TETRIS task) drawn
  in a 4x4 grid at a random rotation and offset, upsampled to 8x8, with intensity jitter and noise.
* ``shapes``: ten procedural line/outline shapes (bars, diagonals, squares, cross, X, ring, corner,
  dots) at random positions and sizes, with noise.
* ``tetris4``: the hyper-representation paper's TETRIS at its own size: 4x4 grey images of four
  tetrominoes (I, O, T, L in one orientation; the paper does not list its four) at a random offset, with
  intensity jitter and noise (in :data:`ALL_DATASETS`, not in the 8x8 :data:`DATASETS`).

Every dataset is generated from a seed, standardised with its training set's mean and std, and
split into train and test parts; nothing is downloaded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

SIDE = 8
NUM_CLASSES = 10


@dataclass
class ImageDataset:
    name: str
    x_train: Tensor      # [N, 1, 8, 8] float32, standardised
    y_train: Tensor      # [N] int64
    x_test: Tensor
    y_test: Tensor
    num_classes: int


def _finish(name: str, x: np.ndarray, y: np.ndarray, num_classes: int, seed: int, test_fraction: float = 0.25,
            side: int = SIDE) -> ImageDataset:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    x, y = x[order].astype(np.float32), y[order].astype(np.int64)
    n_test = int(round(test_fraction * len(x)))
    x_train, x_test, y_train, y_test = x[n_test:], x[:n_test], y[n_test:], y[:n_test]
    mean, std = x_train.mean(), x_train.std() + 1e-8
    as_tensor = lambda a: torch.from_numpy(((a - mean) / std).reshape(-1, 1, side, side).astype(np.float32))  # noqa: E731
    return ImageDataset(name, as_tensor(x_train), torch.from_numpy(y_train), as_tensor(x_test),
                        torch.from_numpy(y_test), num_classes)


def digits(seed: int = 0) -> ImageDataset:
    from sklearn.datasets import load_digits     # here: scikit-learn's import costs seconds
    bunch = load_digits()
    return _finish("digits", bunch.data / 16.0, bunch.target, 10, seed)


def mnist1d(seed: int = 0, samples: int = 4000) -> ImageDataset:
    from mnist1d.data import get_dataset_args, make_dataset   # here: importing mnist1d costs 1.6 s
    args = get_dataset_args()
    args.num_samples, args.seed = samples, seed
    data = make_dataset(args)                      # procedural: no file, no network
    x = np.concatenate([data["x"], data["x_test"]])
    y = np.concatenate([data["y"], data["y_test"]])
    grid = np.linspace(0, x.shape[1] - 1, SIDE * SIDE)
    resampled = np.stack([np.interp(grid, np.arange(x.shape[1]), row) for row in x])
    return _finish("mnist1d", resampled, y, 10, seed)


TETROMINOES = {
    "I": [(0, 0), (0, 1), (0, 2), (0, 3)],
    "O": [(0, 0), (0, 1), (1, 0), (1, 1)],
    "T": [(0, 0), (0, 1), (0, 2), (1, 1)],
    "S": [(0, 1), (0, 2), (1, 0), (1, 1)],
    "Z": [(0, 0), (0, 1), (1, 1), (1, 2)],
    "J": [(0, 0), (1, 0), (1, 1), (1, 2)],
    "L": [(0, 2), (1, 0), (1, 1), (1, 2)],
}


def _tetromino(cells: list[tuple[int, int]], rotation: int, rng: np.random.Generator) -> np.ndarray:
    grid = np.zeros((4, 4))
    cells = np.array(cells)
    for _ in range(rotation):                        # rotate by 90 degrees: (r, c) -> (c, -r)
        cells = np.stack([cells[:, 1], -cells[:, 0]], 1)
    cells = cells - cells.min(0)
    span = cells.max(0) + 1
    offset = np.array([rng.integers(0, 5 - span[0]), rng.integers(0, 5 - span[1])])
    grid[tuple((cells + offset).T)] = 1.0
    return grid


def tetris(seed: int = 0, samples: int = 2800) -> ImageDataset:
    rng = np.random.default_rng(seed + 1)
    names = list(TETROMINOES)
    y = rng.integers(0, len(names), samples)
    images = []
    for label in y:
        grid = _tetromino(TETROMINOES[names[label]], int(rng.integers(4)), rng)
        image = np.kron(grid, np.ones((2, 2))) * rng.uniform(0.6, 1.0)
        images.append(image + rng.normal(0, 0.15, image.shape))
    return _finish("tetris", np.stack(images).reshape(samples, -1), y, len(names), seed)


TETRIS4_SHAPES = ("I", "O", "T", "L")


def tetris4(seed: int = 0, samples: int = 1000) -> ImageDataset:
    rng = np.random.default_rng(seed + 3)
    y = rng.integers(0, len(TETRIS4_SHAPES), samples)
    images = [_tetromino(TETROMINOES[TETRIS4_SHAPES[label]], 0, rng) * rng.uniform(0.6, 1.0)
              + rng.normal(0, 0.1, (4, 4)) for label in y]
    return _finish("tetris4", np.stack(images).reshape(samples, -1), y, len(TETRIS4_SHAPES), seed, side=4)


def _shape(label: int, rng: np.random.Generator) -> np.ndarray:
    img = np.zeros((SIDE, SIDE))
    size = int(rng.integers(4, 8))
    r0, c0 = (int(rng.integers(0, SIDE - size + 1)) for _ in range(2))
    idx = np.arange(size)
    if label == 0:                                   # horizontal bar
        img[r0 + size // 2, c0:c0 + size] = 1
    elif label == 1:                                 # vertical bar
        img[r0:r0 + size, c0 + size // 2] = 1
    elif label == 2:                                 # diagonal
        img[r0 + idx, c0 + idx] = 1
    elif label == 3:                                 # anti-diagonal
        img[r0 + idx, c0 + size - 1 - idx] = 1
    elif label == 4:                                 # square outline
        img[r0, c0:c0 + size] = img[r0 + size - 1, c0:c0 + size] = 1
        img[r0:r0 + size, c0] = img[r0:r0 + size, c0 + size - 1] = 1
    elif label == 5:                                 # filled square
        img[r0:r0 + size, c0:c0 + size] = 1
    elif label == 6:                                 # plus
        img[r0 + size // 2, c0:c0 + size] = img[r0:r0 + size, c0 + size // 2] = 1
    elif label == 7:                                 # X
        img[r0 + idx, c0 + idx] = img[r0 + idx, c0 + size - 1 - idx] = 1
    elif label == 8:                                 # ring
        yy, xx = np.mgrid[:SIDE, :SIDE]
        radius = np.hypot(yy - (r0 + (size - 1) / 2), xx - (c0 + (size - 1) / 2))
        img[np.abs(radius - (size - 1) / 2) < 0.6] = 1
    else:                                            # corner (L outline)
        img[r0:r0 + size, c0] = img[r0 + size - 1, c0:c0 + size] = 1
    return img


def shapes(seed: int = 0, samples: int = 3000) -> ImageDataset:
    rng = np.random.default_rng(seed + 2)
    y = rng.integers(0, 10, samples)
    images = np.stack([_shape(int(label), rng) * rng.uniform(0.6, 1.0) + rng.normal(0, 0.15, (SIDE, SIDE))
                       for label in y])
    return _finish("shapes", images.reshape(samples, -1), y, 10, seed)


DATASETS = {"digits": digits, "mnist1d": mnist1d, "tetris": tetris, "shapes": shapes}   # 8x8: one architecture fits all
ALL_DATASETS = {**DATASETS, "tetris4": tetris4}


def load_dataset(name: str, seed: int = 0) -> ImageDataset:
    if name not in ALL_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; available: {sorted(ALL_DATASETS)}")
    return ALL_DATASETS[name](seed)
