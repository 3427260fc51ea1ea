"""TETRIS-SEED and TETRIS-HYP (Schürholt et al. 2021): the 4x4 dataset, the 109-parameter FFN, the run settings."""
import pytest
import torch

from sne_pyg.zoos import classifier_zoo as cz
from sne_pyg.zoos.architectures import build_classifier
from sne_pyg.zoos.datasets import DATASETS, load_dataset
from sne_pyg.zoos.kinds import ZOO_KINDS


def test_tetris4_is_four_shapes_on_4x4_and_seeded():
    data = load_dataset("tetris4", 0)
    assert data.x_train.shape[1:] == (1, 4, 4) and data.num_classes == 4
    assert set(data.y_train.tolist()) == {0, 1, 2, 3}
    assert torch.equal(load_dataset("tetris4", 0).x_test, data.x_test)
    assert not torch.equal(load_dataset("tetris4", 1).x_test, data.x_test)
    assert "tetris4" not in DATASETS                  # the 8x8 family (cross-dataset defaults) stays as it was


def test_the_ffn_has_109_parameters_and_only_pairs_with_tetris4():
    model = build_classifier("tetris_ffn", "tanh")
    assert sum(p.numel() for p in model.parameters()) == 16 * 5 + 5 + 5 * 4 + 4
    assert model(torch.randn(3, 1, 4, 4)).shape == (3, 4)
    assert "tetris-seed" in ZOO_KINDS and "tetris-hyp" in ZOO_KINDS
    assert not any(k.startswith("tetris_ffn") or k.endswith("tetris4") for k in ZOO_KINDS)


def test_seed_runs_vary_only_the_seed_and_grid_runs_cover_the_grid():
    runs = cz.seed_runs(50, seed=3)
    settings = {(r.activation, r.init, r.optimizer, r.lr, r.l2, r.dropout, r.train_fraction) for r in runs}
    assert len(settings) == 1 and len({r.seed for r in runs}) == 50
    grid = cz.grid_runs(72, seed=3)
    cells = [(r.activation, r.init, r.lr) for r in grid]
    expected = {(a, i, lr) for a in ("tanh", "relu") for i in cz.INIT_CHOICES for lr in (1e-3, 1e-4, 1e-5)}
    assert set(cells[:36]) == expected and cells[36:] == cells[:36]
    assert len({r.seed for r in grid}) == 72
    with pytest.raises(ValueError, match="runs must be one of"):
        cz.generate_classifier_zoo("tetris_ffn", "tetris4", 2, epochs=1, runs="random", progress=False)


def test_tetris_seed_keeps_every_epoch_with_its_labels():
    networks = ZOO_KINDS["tetris-seed"].generate(size=4, chunk_size=32, seed=1, progress=False, steps=3)
    drawn = {r.run: r for r in cz.seed_runs(4, seed=1)}
    epochs = {}
    for net in networks:
        run = drawn[int(net.run)]
        epochs.setdefault(int(net.run), []).append(int(net.epoch))
        assert int(net.seed) == run.seed
        assert net.hparams[0].tolist() == pytest.approx(run.hparams(int(net.epoch)))
        assert net.chunks[net.chunk_mask].numel() == 109
    assert {r: sorted(e) for r, e in epochs.items()} == {r: [1, 2, 3] for r in range(4)}
