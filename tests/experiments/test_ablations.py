"""Ablation data: re-chunked zoos are exact conversions; training subsets are nested and sized."""
import pytest
import torch

from sne_pyg import convert
from sne_pyg.experiments.ablations import TABLE6, rechunk, training_subset
from sne_pyg.nn import SNE
from sne_pyg.zoos.sine_inr import generate_sine_inr_zoo


def test_rechunked_networks_equal_a_fresh_conversion_and_keep_their_records():
    zoo = generate_sine_inr_zoo(4, steps=3, progress=False, recipe="peers", chunk_size=64)
    for c in (8, 512):
        again = rechunk(zoo, c)
        for old, new in zip(zoo, again):
            fresh = convert(old.to_state_dict(), c, y=old.y)
            assert new.chunk_size == c and torch.equal(new.chunks, fresh.chunks)
            assert torch.equal(new.y, old.y) and torch.equal(new.fit_mse, old.fit_mse)
            assert torch.equal(new.fit_steps, old.fit_steps)
            state, original = new.to_state_dict(), old.to_state_dict()
            assert list(state) == list(original) and all(torch.equal(state[k], original[k]) for k in state)


def test_training_subsets_are_nested_and_sized():
    sizes = {f: training_subset(480, f, seed=1) for f in (0.05, 0.1, 0.25, 0.5, 1.0)}
    assert [len(v) for v in sizes.values()] == [24, 48, 120, 240, 480]
    fractions = list(sizes)
    for small, large in zip(fractions, fractions[1:]):
        assert set(sizes[small]) <= set(sizes[large])
    assert training_subset(480, 0.05, seed=2) != sizes[0.05]
    assert len(training_subset(10, 0.01)) == 2
    with pytest.raises(ValueError, match="fraction"):
        training_subset(10, 0.0)


def test_every_table6_variant_builds_a_distinct_model():
    counts = set()
    for variant, spec in TABLE6.items():
        torch.manual_seed(0)
        counts.add((sum(p.numel() for p in SNE(hidden=16, **spec.get("model", {})).parameters()),
                    tuple(sorted(spec.get("train", {}).items()))))
    assert len(counts) == len(TABLE6)
