import os
from dataclasses import replace

import pytest
import torch

from sne_pyg.data import save_splits
from sne_pyg.zoos import classifier_zoo as cz
from sne_pyg.zoos.architectures import build_classifier
from sne_pyg.zoos.datasets import load_dataset


@pytest.fixture(scope="module")
def digits():
    data = load_dataset("digits", 0)
    keep = 256                          # a small training set keeps these tests fast
    return cz.ImageDataset("digits", data.x_train[:keep], data.y_train[:keep], data.x_test, data.y_test, 10)


def _runs(n, **fixed):
    runs = cz.sample_runs(n, seed=5)
    return [replace(r, activation="tanh", optimizer="adam", **fixed) for r in runs]


def test_sampled_hyperparameters_cover_their_ranges():
    runs = cz.sample_runs(400, seed=0)
    assert {r.activation for r in runs} == set(cz.ACTIVATION_CHOICES)
    assert {r.optimizer for r in runs} == set(cz.OPTIMIZER_CHOICES)
    assert {r.init for r in runs} == set(cz.INIT_CHOICES)
    assert {r.train_fraction for r in runs} == set(cz.TRAIN_FRACTIONS)
    assert all(5e-4 <= r.lr <= 5e-2 and 1e-8 <= r.l2 <= 1e-2 and 0 <= r.dropout <= 0.5 for r in runs)
    assert cz.sample_runs(5, seed=0) == runs[:5]


def test_runs_trained_together_equal_runs_trained_alone(digits):
    runs = _runs(3, dropout=0.0)
    together = cz.train_group("arch1", runs, digits, epochs=2, checkpoints=(2,))
    for r in runs:
        (_, _, alone, alone_y), = cz.train_group("arch1", [r], digits, epochs=2, checkpoints=(2,))
        (_, _, state, y), = [t for t in together if t[0] == r]
        for key in alone:
            torch.testing.assert_close(state[key], alone[key], rtol=1e-4, atol=1e-5)
        assert y == pytest.approx(alone_y, abs=1e-2)


def test_recorded_accuracies_are_those_of_the_saved_weights(digits):
    runs = _runs(2, dropout=0.3, train_fraction=0.5)
    results = cz.train_group("arch2", runs, digits, epochs=2, checkpoints=(1, 2))
    assert sorted((r.run, e) for r, e, _, _ in results) == sorted((r.run, e) for r in runs for e in (1, 2))
    for run, epoch, state, (test_acc, train_acc, gap) in results:
        model = build_classifier("arch2", run.activation).eval()
        model.load_state_dict(state)
        with torch.no_grad():
            assert test_acc == pytest.approx(float((model(digits.x_test).argmax(1) == digits.y_test).float().mean()),
                                             abs=1e-6)
            subset = torch.randperm(digits.x_train.size(0), generator=torch.Generator().manual_seed(run.seed))[
                :max(64, int(run.train_fraction * digits.x_train.size(0)))]
            hits = model(digits.x_train[subset]).argmax(1) == digits.y_train[subset]
        assert train_acc == pytest.approx(float(hits.float().mean()), abs=1e-6)
        assert gap == pytest.approx(train_acc - test_acc)


def test_diverged_runs_are_dropped(digits):
    runs = _runs(2, dropout=0.0)
    runs[0] = replace(runs[0], optimizer="adam", lr=1e30, init="normal", init_scale=1e15)
    results = cz.train_group("mlp", runs, digits, epochs=1, checkpoints=(1,))
    assert [r.run for r, *_ in results] == [runs[1].run]


def test_generation_resumes_from_finished_groups(tmp_path, monkeypatch):
    options = dict(epochs=1, chunk_size=32, seed=2, group_size=2, work_dir=str(tmp_path), progress=False)
    first = cz.generate_classifier_zoo("mlp", "tetris", 6, **options)
    work = [os.path.join(root, f) for root, _, files in os.walk(tmp_path) for f in files]
    assert len(work) >= 3
    os.remove(sorted(work)[0])                       # as if interrupted before the first group was written
    kept = {p: os.stat(p).st_mtime_ns for p in sorted(work)[1:]}
    calls = []
    original = cz.train_group
    monkeypatch.setattr(cz, "train_group", lambda *a, **k: calls.append(a) or original(*a, **k))
    second = cz.generate_classifier_zoo("mlp", "tetris", 6, **options)
    assert len(calls) == 1                           # only the missing group was trained again
    assert all(os.stat(p).st_mtime_ns == t for p, t in kept.items())
    key = lambda d: (int(d.run), int(d.epoch))       # noqa: E731
    for a, b in zip(sorted(first, key=key), sorted(second, key=key)):
        assert key(a) == key(b) and torch.equal(a.chunks, b.chunks) and torch.equal(a.y, b.y)
        assert a.hparams.shape == (1, len(cz.HPARAM_NAMES))


def test_checkpoints_of_one_run_share_a_split(tmp_path):
    networks = cz.generate_classifier_zoo("mlp", "shapes", 10, epochs=2, checkpoints=(1, 2), chunk_size=32,
                                          progress=False)
    assert len(networks) == 20
    save_splits(networks, str(tmp_path), (0.6, 0.2, 0.2), groups=[int(n.run) for n in networks])
    from sne_pyg.data import ZooFolder
    runs = {s: {int(d.run) for d in ZooFolder(str(tmp_path), s)} for s in ("train", "val", "test")}
    assert not (runs["train"] & runs["val"]) and not (runs["train"] & runs["test"]) and not (runs["val"] & runs["test"])
    assert sum(len(r) for r in runs.values()) == 10


def test_evenly_spaced_checkpoints():
    assert cz.evenly_spaced_checkpoints(10, 4) == (2, 5, 7, 10)
    assert cz.evenly_spaced_checkpoints(2, 4) == (1, 2)
    for epochs in range(1, 21):                      # count 2 is the former default: half and end
        assert cz.evenly_spaced_checkpoints(epochs, 2) == tuple(sorted({max(1, epochs // 2), epochs}))
    with pytest.raises(ValueError):
        cz.evenly_spaced_checkpoints(10, 0)


def test_four_checkpoints_per_run_with_every_generating_factor_recorded(tmp_path):
    from sne_pyg.data import ZooFolder
    from sne_pyg.zoos.kinds import cached_zoo
    folder = cached_zoo("mlp-shapes", str(tmp_path), 8, 4, chunk_size=32, checkpoints=4, fractions=(0.5, 0.25, 0.25),
                        progress=False)
    assert folder.endswith("-v2-k4-f0.5,0.25,0.25")      # v2: a cached zoo without activations is not reused
    drawn = {r.run: r for r in cz.sample_runs(8, seed=0)}
    by_run = {}
    for split in ("train", "val", "test"):
        for net in ZooFolder(folder, split):
            by_run.setdefault(int(net.run), []).append((split, int(net.epoch)))
            run = drawn[int(net.run)]
            assert int(net.seed) == run.seed
            assert net.hparams[0].tolist() == pytest.approx(run.hparams(int(net.epoch)))
            # mlp: Flatten, Linear, act, Dropout, Linear, act, Dropout, Linear: the run's activation after
            # each hidden layer, none after the output layer
            layout = net.layout[0] if isinstance(net.layout, list) else net.layout
            assert layout.activations == {"1": run.activation, "4": run.activation}
    for run, entries in by_run.items():
        assert sorted(e for _, e in entries) == [1, 2, 3, 4]
        assert len({s for s, _ in entries}) == 1      # every checkpoint of a run in one split
    assert len(by_run) <= 8 and sum(len(v) for v in by_run.values()) == 4 * len(by_run)
    with pytest.raises(ValueError, match="classifier zoos"):
        cached_zoo("sine_inr", str(tmp_path), 4, 2, checkpoints=4, progress=False)


def test_checkpoint_tags_stay_short_and_distinct():
    assert cz.checkpoint_tag((5, 10), 10) == "5,10"
    assert cz.checkpoint_tag((1, 2), 2) == "1,2"                 # the folders of existing small zoos keep their names
    assert cz.checkpoint_tag(tuple(range(1, 76)), 75) == "all"
    many = tuple(range(2, 76))
    tag = cz.checkpoint_tag(many, 75)
    assert len(tag) <= 41 and tag != cz.checkpoint_tag(many[:-1], 75) and tag == cz.checkpoint_tag(many, 75)
