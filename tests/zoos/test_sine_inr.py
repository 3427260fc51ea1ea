import math
import warnings

import pytest
import torch

from sne_pyg.zoos import SineINRZoo, SirenINR, fit_sine_inrs
from sne_pyg.zoos.sine_inr import FREQ_RANGE, batched_siren, sample_frequencies


def _grid():
    return torch.linspace(-math.pi, math.pi, 128)


def test_batched_forward_equals_the_module():
    freq = torch.tensor([1.0, 4.0, 9.5], dtype=torch.float64)
    states, _ = fit_sine_inrs(freq, steps=5, progress=False)
    x = _grid()
    params = [torch.stack([s[k] for s in states]) for k in states[0]]
    batched = batched_siren(params, x)
    for i, state in enumerate(states):
        inr = SirenINR()
        inr.load_state_dict(state)
        assert torch.allclose(inr(x[:, None]).squeeze(-1), batched[i], atol=1e-5)


def test_fitting_reduces_the_error_of_every_inr():
    freq = torch.tensor([0.7, 3.0, 8.0], dtype=torch.float64)
    x = _grid()
    before, _ = fit_sine_inrs(freq, steps=0, progress=False, generator=torch.Generator().manual_seed(5))
    after, reported = fit_sine_inrs(freq, steps=200, lr=1e-3, progress=False,
                                    generator=torch.Generator().manual_seed(5))
    for i, a in enumerate(freq.tolist()):
        errors = []
        for states in (before, after):
            inr = SirenINR()
            inr.load_state_dict(states[i])
            with torch.no_grad():
                errors.append(float((inr(x[:, None]).squeeze(-1) - torch.sin(a * x)).pow(2).mean()))
        assert errors[1] < 0.01 * errors[0]
        assert math.isclose(errors[1], float(reported[i]), rel_tol=1e-3, abs_tol=1e-7)


@pytest.mark.parametrize("shared", [True, False])
def test_shared_initialisation(shared):
    states, _ = fit_sine_inrs(torch.tensor([1.0, 2.0]), steps=0, shared_init=shared, progress=False)
    same = all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert same == shared


def test_frequencies_in_range():
    a = sample_frequencies(1000, torch.Generator().manual_seed(0))
    assert FREQ_RANGE[0] <= float(a.min()) and float(a.max()) <= FREQ_RANGE[1]
    assert float(a.min()) < 1.0 and float(a.max()) > 9.5


def test_zoo_splits_targets_and_cache(tmp_path, monkeypatch):
    kwargs = dict(size=12, steps=10, chunk_size=16, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)   # PyG warns when it falls back to unsafe loading
        splits = {s: SineINRZoo(str(tmp_path), s, **kwargs) for s in ("train", "val", "test")}
    sizes = {s: len(d) for s, d in splits.items()}
    assert sizes == {"train": 10, "val": 1, "test": 1}
    targets = sorted(float(d.y) for ds in splits.values() for d in ds)
    expected = sorted(sample_frequencies(12, torch.Generator().manual_seed(0)).float().tolist())
    assert targets == pytest.approx(expected, abs=1e-6)
    # each network is a SIREN whose weights load back into the module
    inr = SirenINR()
    inr.load_state_dict(splits["train"][0].to_state_dict())
    # a second construction reads the cache instead of fitting again
    monkeypatch.setattr(SineINRZoo, "generate", lambda self: (_ for _ in ()).throw(AssertionError("regenerated")))
    again = SineINRZoo(str(tmp_path), "train", **kwargs)
    assert torch.equal(again[0].chunks, splits["train"][0].chunks)


def test_bad_split_arguments(tmp_path):
    with pytest.raises(ValueError, match="split"):
        SineINRZoo(str(tmp_path), "holdout", size=4, steps=1, progress=False)
    with pytest.raises(ValueError, match="fractions"):
        SineINRZoo(str(tmp_path), "train", size=4, steps=1, progress=False, fractions=(0.5, 0.5, 0.5))


def test_peer_recipe_init_bounds():
    from sne_pyg.zoos.sine_inr import peer_init
    w1, b1, w2, b2, w3, b3 = peer_init([torch.Generator().manual_seed(s) for s in range(200)])
    assert w1.abs().max() <= math.sqrt(6) / 30 and w1.abs().max() > 0.9 * math.sqrt(6) / 30   # the first layer too
    assert w2.abs().max() <= math.sqrt(6 / 32) / 30 and w2.abs().max() > 0.9 * math.sqrt(6 / 32) / 30
    assert not b1.any() and not b2.any()                                                   # SIREN biases zero
    assert w3.abs().max() <= 1 / math.sqrt(32) and b3.abs().max() > 0.5 / math.sqrt(32)   # PyTorch's default
    again = peer_init([torch.Generator().manual_seed(7)])
    assert all(torch.equal(a[0], b[7]) for a, b in zip(again, (w1, b1, w2, b2, w3, b3)))   # one seed per INR


def test_peer_recipe_fits_each_inr_as_adam_alone_would_and_stops_it():
    from sne_pyg.zoos.sine_inr import batched_siren, fit_peer_sine_inrs, peer_init, sample_frequencies
    freq = sample_frequencies(5, torch.Generator().manual_seed(0))
    seeds = [11, 12, 13, 14, 15]
    states, mse, steps = fit_peer_sine_inrs(freq, seeds, max_steps=40, points=300, stop_mse=0.05)
    assert steps.min() < 40 and (mse[steps < 40] <= 0.05).all()          # some stopped early, at the threshold
    x = torch.arange(-math.pi, math.pi, 2 * math.pi / 300)
    for i in range(5):                                                   # one INR alone, torch.optim.Adam
        params = [p.clone().requires_grad_() for p in peer_init([torch.Generator().manual_seed(seeds[i])])]
        optimizer = torch.optim.Adam(params, lr=1e-3, weight_decay=1e-4)
        target = torch.sin(freq[i:i + 1].float()[:, None] * x[None])
        for step in range(41):
            loss = (batched_siren(params, x) + 0.5 - target).pow(2).mean()
            if float(loss) <= 0.05 or step == 40:
                break
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        assert step == int(steps[i])
        assert abs(float(loss) - float(mse[i])) < 1e-5
        for p, key in zip(params, states[i]):
            torch.testing.assert_close(p[0].detach(), states[i][key], rtol=0, atol=1e-5)


def test_peer_recipe_zoo_records_fits_and_caches_apart(tmp_path):
    peers = SineINRZoo(str(tmp_path), "train", size=10, steps=5, recipe="peers", progress=False)
    ours = SineINRZoo(str(tmp_path), "train", size=10, steps=5, progress=False)
    assert peers.processed_dir != ours.processed_dir
    nets = list(peers)
    assert all(int(d.fit_steps) <= 5 and float(d.fit_mse) > 0 for d in nets)
    assert len(nets) == 8 and list(nets[0].to_state_dict()) == ["net.0.weight", "net.0.bias", "net.2.weight",
                                                                  "net.2.bias", "net.4.weight", "net.4.bias"]
    with pytest.raises(ValueError, match="recipe must be one of"):
        SineINRZoo(str(tmp_path), "train", size=10, recipe="theirs")
