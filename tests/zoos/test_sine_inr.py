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
