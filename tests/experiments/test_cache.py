import json

import pytest

from sne_pyg.experiments import cached


def test_cached_results_are_made_once_and_checked_against_their_settings(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"mse": 0.5}
    out = str(tmp_path)
    assert cached(out, "sne-seed0", compute, {"epochs": 3}) == {"mse": 0.5}
    assert cached(out, "sne-seed0", compute, {"epochs": 3}) == {"mse": 0.5} and len(calls) == 1
    stored = json.loads((tmp_path / "cache" / "sne-seed0.json").read_text())
    assert stored == {"settings": {"epochs": 3}, "value": {"mse": 0.5}}
    with pytest.raises(ValueError, match="sne-seed0.json holds a result of other settings"):
        cached(out, "sne-seed0", compute, {"epochs": 4})
    assert len(calls) == 1 and not list((tmp_path / "cache").glob("*.partial"))
    assert cached(out, "plain", lambda: [1, 2]) == [1, 2] == cached(out, "plain", compute)   # without settings


def test_cached_tensors_round_trip_with_their_settings_and_are_never_overwritten(tmp_path):
    import torch
    from sne_pyg.experiments.cache import load_cached_tensor, save_cached_tensor
    out, value = str(tmp_path), torch.randn(5, 3, dtype=torch.float64)
    assert load_cached_tensor(out, "sne-seed0-embedding", {"epochs": 3}) is None
    assert save_cached_tensor(out, "sne-seed0-embedding", value, {"epochs": 3}) is value
    assert torch.equal(load_cached_tensor(out, "sne-seed0-embedding", {"epochs": 3}), value)
    with pytest.raises(ValueError, match="sne-seed0-embedding.safetensors holds a tensor of other settings"):
        load_cached_tensor(out, "sne-seed0-embedding", {"epochs": 4})
    with pytest.raises(FileExistsError, match="sne-seed0-embedding.safetensors exists"):
        save_cached_tensor(out, "sne-seed0-embedding", value * 2, {"epochs": 3})
    assert torch.equal(load_cached_tensor(out, "sne-seed0-embedding", {"epochs": 3}), value)
    assert not list((tmp_path / "cache").glob("*.partial"))
