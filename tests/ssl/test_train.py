"""fit_ssl's epoch checkpoints: a stopped self-supervised training resumes and ends as an uninterrupted one."""
import os

import pytest
import torch

from sne_pyg import SNE, HyperRep, convert
from sne_pyg.ssl.train import SSLConfig, fit_ssl
from sne_pyg.symmetry import derive_permutation_spec
from tests import builders


def _zoo(n=12):
    return [convert(builders.mlp(seed=i, widths=(3, 6, 5, 2)), 8) for i in range(n)]


def _weight_norm(objective) -> dict:
    """A monitor whose value depends on the whole training so far (kept in the history, so in the checkpoint)."""
    return {"weight_norm": torch.cat([p.detach().flatten() for p in objective.parameters()]).norm()}


def _hyperrep(seed: int) -> HyperRep:
    torch.manual_seed(seed)
    return HyperRep(hidden=8, out_dim=None, d_model=16, blocks=1, ff=32, dropout=0.2)   # dropout: global RNG


def _config(path, **overrides) -> SSLConfig:
    settings = dict(epochs=5, batch_size=4, lr=3e-3, beta=0.5, noise=0.01, patience=6, seed=3, progress=False,
                    checkpoint=str(path))
    return SSLConfig(**{**settings, **overrides})


def test_a_stopped_self_supervised_training_resumes_and_ends_exactly_as_an_uninterrupted_one(tmp_path):
    stop = 3
    nets = _zoo()
    whole = _hyperrep(seed=0)
    _, expected = fit_ssl(whole, nets[:8], nets[8:], _config(tmp_path / "whole.pt"), monitor=_weight_norm)
    assert not os.path.exists(tmp_path / "whole.pt")                  # removed once training ended
    path = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        fit_ssl(_hyperrep(seed=0), nets[:8], nets[8:], _config(path), monitor=builders.stop_ssl_at(stop, _weight_norm))
    stored = torch.load(path, weights_only=True)
    assert stored["epoch"] == stop - 1 and len(stored["history"]) == stop
    resumed = _hyperrep(seed=7)                                      # other initial weights: all come from the file
    _, result = fit_ssl(resumed, nets[:8], nets[8:], _config(path, progress=True), monitor=_weight_norm)
    assert result.history == expected.history and result.best_epoch == expected.best_epoch
    assert all(isinstance(h["weight_norm"], float) for h in result.history)     # a tensor value stored as a number
    for key, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key
    assert not os.path.exists(path)


def _sne(seed: int) -> SNE:
    torch.manual_seed(seed)
    return SNE(hidden=8, out_dim=None, heads=2)


def test_sne_with_its_projection_head_resumes_too(tmp_path):
    nets = _zoo()
    whole = _sne(seed=0)
    _, expected = fit_ssl(whole, nets[:8], nets[8:], _config(tmp_path / "whole.pt", beta=1.0, epochs=4))
    path = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        fit_ssl(_sne(seed=0), nets[:8], nets[8:], _config(path, beta=1.0, epochs=4), monitor=builders.stop_ssl_at(2))
    resumed = _sne(seed=1)
    _, result = fit_ssl(resumed, nets[:8], nets[8:], _config(path, beta=1.0, epochs=4))
    assert [h["val_loss"] for h in result.history] == [h["val_loss"] for h in expected.history]
    for key, value in whole.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[key]), key


def test_a_run_stopped_early_but_killed_before_its_checkpoint_was_removed_trains_no_more(tmp_path, monkeypatch):
    """patience 0 stops after the first epoch; a kill between that epoch's save and the file's removal leaves a
    finished checkpoint, which a resumed run must return as it is rather than train the remaining epochs."""
    nets = _zoo()
    path = tmp_path / "run.pt"
    config = _config(path, beta=1.0, epochs=4, patience=0)

    def killed(_path):
        raise KeyboardInterrupt("killed before removing the checkpoint")
    with monkeypatch.context() as patch:
        patch.setattr("sne_pyg.train.resume.os.remove", killed)
        with pytest.raises(KeyboardInterrupt):
            fit_ssl(_sne(seed=0), nets[:8], nets[8:], config)
    assert torch.load(path, weights_only=True)["stopped"]
    finished = _sne(seed=0)
    _, result = fit_ssl(finished, nets[:8], nets[8:], config)
    assert len(result.history) == 1 and result.best_epoch == 0
    assert not os.path.exists(path)


def test_a_checkpoint_of_other_augmentations_or_permutation_specs_is_refused_and_kept(tmp_path):
    nets = _zoo()
    spec = derive_permutation_spec(builders.mlp(seed=0, widths=(3, 6, 5, 2)))
    path = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        fit_ssl(_hyperrep(0), nets[:8], nets[8:], _config(path, permutation_specs={"mlp": spec}),
                monitor=builders.stop_ssl_at(2))
    before = path.read_bytes()
    for other in (dict(noise=0.02), dict(permutation_specs=None), dict(seed=4)):
        with pytest.raises(ValueError, match="another training"):
            fit_ssl(_hyperrep(0), nets[:8], nets[8:], _config(path, **{"permutation_specs": {"mlp": spec}, **other}))
        assert path.read_bytes() == before
    spec.groups[0].size += 1                                         # a spec of another architecture
    with pytest.raises(ValueError, match="another training"):
        fit_ssl(_hyperrep(0), nets[:8], nets[8:], _config(path, permutation_specs={"mlp": spec}))
    assert path.read_bytes() == before
