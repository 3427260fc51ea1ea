import os

import pytest
import torch
from torch import nn

from sne_pyg import convert
from sne_pyg.train import TargetScaler, TrainConfig, fit
from tests import builders


class _Noisy(nn.Module):
    """Per-network mean |w| -> BatchNorm -> dropout -> linear: a model that draws from the global torch RNG."""

    def __init__(self, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.norm, self.drop, self.lin = nn.BatchNorm1d(1), nn.Dropout(0.3), nn.Linear(1, 1)

    def forward(self, batch):
        per_net = torch.zeros(batch.num_graphs).index_add_(0, batch.batch, batch.chunks.abs().sum(1))
        return self.lin(self.drop(self.norm((per_net / batch.net_num_chunks).unsqueeze(1))))


def _zoo(n=10):
    return [convert(builders.mlp(seed=i), chunk_size=8, y=[float(i)]) for i in range(n)]


def _config(path, **overrides):
    settings = dict(epochs=6, batch_size=4, lr=0.05, seed=1, patience=4, augment=True, li_weight=0.5,
                    progress=False, checkpoint=str(path))
    return TrainConfig(**{**settings, **overrides})


def test_a_stopped_training_resumes_from_its_checkpoint_and_ends_exactly_as_an_uninterrupted_one(tmp_path):
    train, val = _zoo()[:6], _zoo()[6:]
    scaler = TargetScaler(torch.cat([d.y for d in train]))
    whole = _Noisy(seed=0)
    expected = fit(whole, train, val, _config(tmp_path / "whole.pt"), scaler)
    assert not os.path.exists(tmp_path / "whole.pt")             # removed once training ended
    path = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        fit(_Noisy(seed=0), train, val, _config(path), scaler, on_epoch=builders.stop_at(3))
    stored = torch.load(path, weights_only=True)
    assert stored["epoch"] == 2 and len(stored["history"]) == 3  # epoch 3 had not been saved when it stopped
    resumed = _Noisy(seed=5)                                    # other initial weights: all come from the file
    result = fit(resumed, train, val, _config(path), scaler)
    assert result.history == expected.history and result.best_epoch == expected.best_epoch
    for key, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key
    assert not os.path.exists(path)


def test_a_checkpoint_of_other_settings_or_of_pickled_code_is_refused_and_kept(tmp_path):
    train = _zoo(8)
    scaler = TargetScaler(torch.cat([d.y for d in train]))
    path = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        fit(_Noisy(seed=0), train, train, _config(path), scaler, on_epoch=builders.stop_at(1))
    before = path.read_bytes()
    with pytest.raises(ValueError, match=f"{path}.*another training"):
        fit(_Noisy(seed=0), train, train, _config(path, lr=0.01), scaler)
    assert path.read_bytes() == before
    torch.save({"signature": _Noisy(seed=0)}, tmp_path / "code.pt")    # a module: only unpickling could load it
    with pytest.raises(ValueError, match="code.pt: cannot read"):
        fit(_Noisy(seed=0), train, train, _config(tmp_path / "code.pt"), scaler)
    # progress and device do not shape the run: the checkpoint resumes with them changed
    fit(_Noisy(seed=0), train, train, _config(path, progress=True), scaler)
    assert not os.path.exists(path)


def test_a_checkpoint_keeps_each_gpu_generator_once_cuda_is_in_use_and_restores_it(tmp_path, monkeypatch):
    """Dropout on a GPU draws from the GPUs' default generators: once CUDA is initialised their states go into the
    checkpoint (through a torch.load(weights_only=True) round trip) and come back on resume, device by device, on
    as many GPUs as both the file and the machine have. Two stand-in GPUs here; tests/test_cuda.py runs it for real."""
    from sne_pyg.train.resume import restore_training_state, save_training_state, training_state
    gpus = [torch.arange(4, dtype=torch.uint8), torch.arange(4, 8, dtype=torch.uint8)]
    restored = {}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: [g.clone() for g in gpus])
    monkeypatch.setattr(torch.cuda, "set_rng_state", lambda state, index: restored.__setitem__(index, state))
    model = nn.Linear(2, 1)
    save_training_state(str(tmp_path / "c.pt"), training_state({}, 4, False, {"model": model}, {}))
    state = torch.load(tmp_path / "c.pt", weights_only=True)
    assert [torch.equal(a, b) for a, b in zip(state["rng"]["cuda"], gpus)] == [True, True]
    assert restore_training_state(state, "c.pt", {"model": model}, {}) == (5, False)
    assert list(restored) == [0] and torch.equal(restored[0], gpus[0])      # this machine: one GPU
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)          # a CPU run: no CUDA state at all
    assert "cuda" not in training_state({}, 0, False, {"model": model}, {})["rng"]


def _fit_in_two_processes(rank: int, init_file: str, folder: str, name: str, stop: int | None) -> None:
    """One of 2 gloo processes of a data-parallel ``fit`` with its checkpoint in ``folder``; rank 0 saves the final
    weights and history as ``folder/name.pt``, or nothing when stopped (``stop_at(stop)``)."""
    import torch.distributed as dist
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    model, zoo = _Noisy(seed=0), _zoo()
    try:
        result = fit(model, zoo[:8], zoo[8:], _config(os.path.join(folder, "run.pt")),
                     TargetScaler(torch.arange(8.0).unsqueeze(1)), builders.stop_at(stop) if stop else None)
        if rank == 0:
            torch.save({"model": model.state_dict(), "history": result.history, "resumed_at": result.resumed_at},
                       os.path.join(folder, f"{name}.pt"))
    except KeyboardInterrupt:
        pass
    finally:
        dist.destroy_process_group()


def test_a_stopped_two_process_training_resumes_with_each_process_generators(tmp_path):
    """A data-parallel run (2 gloo processes; dropout, permutation augmentation and Logit Invariance draw from each
    process's own generators) stopped at epoch 3 leaves one checkpoint holding every process's generators; run
    again with 2 processes it ends exactly as an uninterrupted 2-process run. One process is refused that file."""
    import torch.multiprocessing as mp
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    for folder in (whole, stopped):
        folder.mkdir()
    mp.spawn(_fit_in_two_processes, args=(str(tmp_path / "init0"), str(whole), "result", None), nprocs=2, join=True)
    assert not (whole / "run.pt").exists()                         # removed once training ended
    mp.spawn(_fit_in_two_processes, args=(str(tmp_path / "init1"), str(stopped), "result", 3), nprocs=2, join=True)
    state = torch.load(stopped / "run.pt", weights_only=True)
    assert state["epoch"] == 2 and state["world_size"] == 2 and not (stopped / "result.pt").exists()
    assert not torch.equal(state["rng_by_rank"][0]["augment"], state["rng_by_rank"][1]["augment"])
    kept = (stopped / "run.pt").read_bytes()
    with pytest.raises(ValueError, match=r"run\.pt is a checkpoint of a run on 2 process\(es\); resume it with as "
                                         r"many \(this run has 1\)"):
        fit(_Noisy(seed=0), _zoo()[:8], _zoo()[8:], _config(stopped / "run.pt"), TargetScaler(torch.zeros(2, 1)))
    assert (stopped / "run.pt").read_bytes() == kept
    mp.spawn(_fit_in_two_processes, args=(str(tmp_path / "init2"), str(stopped), "result", None), nprocs=2, join=True)
    expected, resumed = (torch.load(f / "result.pt", weights_only=True) for f in (whole, stopped))
    assert resumed["resumed_at"] == 3 and expected["resumed_at"] == 0
    assert resumed["history"] == expected["history"]
    for key, value in expected["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    assert not (stopped / "run.pt").exists()
