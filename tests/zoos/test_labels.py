import math

import pytest
import torch

from sne_pyg.data import NetworkData, ZooFolder, save_splits
from sne_pyg.data.dataset import select_target
from sne_pyg.zoos import classifier_zoo as cz
from sne_pyg.zoos.kinds import cached_splits, cached_zoo
from sne_pyg.zoos.labels import LABELS, parse_target, zoo_target


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory) -> str:
    return cached_zoo("mlp-shapes", str(tmp_path_factory.mktemp("labels")), 6, 2, chunk_size=32, checkpoints=2,
                      fractions=(0.5, 0.25, 0.25), progress=False)


def test_every_generating_factor_is_a_target_with_the_value_it_was_drawn_with(tiny_zoo):
    drawn = {r.run: r for r in cz.sample_runs(6, seed=0)}
    networks = list(ZooFolder(tiny_zoo, "train"))
    expected = {"log10_lr": lambda r, e: math.log10(r.lr), "log10_l2": lambda r, e: math.log10(r.l2),
                "dropout": lambda r, e: r.dropout, "train_fraction": lambda r, e: r.train_fraction,
                "log10_init_scale": lambda r, e: math.log10(r.init_scale), "epoch": lambda r, e: e,
                "activation": lambda r, e: cz.ACTIVATION_CHOICES.index(r.activation),
                "init": lambda r, e: cz.INIT_CHOICES.index(r.init),
                "optimizer": lambda r, e: cz.OPTIMIZER_CHOICES.index(r.optimizer), "seed": lambda r, e: r.seed}
    assert set(expected) | set(cz.TARGET_NAMES) == set(LABELS)
    for name, value in expected.items():
        chosen = zoo_target(networks, name)
        for net, picked in zip(networks, chosen):
            run = drawn[int(net.run)]
            assert picked.y.shape == (1, 1)
            assert float(picked.y) == pytest.approx(value(run, int(net.epoch)), rel=1e-6), name
            assert torch.equal(picked.hparams, net.hparams)         # only y changes
    for column, name in enumerate(cz.TARGET_NAMES):                 # y's columns by name = by index
        assert all(torch.equal(a.y, b.y) for a, b in zip(zoo_target(networks, name), select_target(networks, column)))
    assert all(net.y.shape == (1, 3) for net in networks)             # the inputs are not changed


def test_categorical_and_unknown_targets_are_refused_with_the_name(tiny_zoo):
    networks = list(ZooFolder(tiny_zoo, "val"))
    for name in ("activation", "init", "optimizer", "seed"):
        with pytest.raises(ValueError, match=f"'{name}' is categorical"):
            zoo_target(networks, name, numeric_only=True)
    with pytest.raises(ValueError, match="unknown label"):
        zoo_target(networks, "learning_rate")
    bare = NetworkData(y=torch.zeros(1, 3))
    with pytest.raises(ValueError, match="network 0 has no 'hparams'"):
        zoo_target([bare], "dropout")


def test_cached_splits_take_a_label_by_name(tiny_zoo, tmp_path):
    root = tiny_zoo.rsplit("/", 1)[0]
    splits = cached_splits("mlp-shapes", root, 6, 2, "log10_l2", chunk_size=32, checkpoints=2,
                           fractions=(0.5, 0.25, 0.25), progress=False)
    for split, networks in splits.items():
        assert [float(n.y) for n in networks] == pytest.approx(
            [float(n.hparams[0, cz.HPARAM_NAMES.index("log10_l2")]) for n in ZooFolder(tiny_zoo, split)])


def test_parse_target():
    assert parse_target("2") == 2 and parse_target(1) == 1 and parse_target("-1") == -1
    assert parse_target("all") == "all" and parse_target("dropout") == "dropout"
    with pytest.raises(ValueError, match="log10_lr"):
        parse_target("lr")


def test_the_experiments_default_zoo_holds_600_training_and_300_test_networks():
    from sne_pyg.experiments.arguments import ZOO_CHECKPOINTS, ZOO_FRACTIONS, ZOO_RUNS
    networks = [NetworkData(y=torch.zeros(1, 1)) for _ in range(ZOO_RUNS * ZOO_CHECKPOINTS)]
    runs = [i // ZOO_CHECKPOINTS for i in range(len(networks))]
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        sizes = save_splits(networks, folder, ZOO_FRACTIONS, 0, groups=runs)
    assert sizes["train"] >= 600 and sizes["test"] >= 150 and ZOO_CHECKPOINTS >= 4
    assert sizes == {"train": 600, "val": 100, "test": 300}
