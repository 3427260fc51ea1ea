"""Transfer tables: every pair scored like an independent tau_over_seeds run; averages; unreadable pairs."""
import math

import pytest
import torch

from sne_pyg.data import convert
from sne_pyg.experiments import (average_tau, format_transfer_table, held_out_tests, model_options_for, pair_key,
                                 split_key, tau_over_seeds, transfer_results)
from tests import builders


def _zoo(seed: int, n: int = 16, scale: float = 1.0):
    """MLPs whose target is their first layer's weight norm (a property a model can learn)."""
    nets = []
    for i in range(n):
        model = builders.mlp(seed=1000 * seed + i)
        with torch.no_grad():
            model[0].weight.mul_(scale * (0.5 + i / n))
        nets.append(convert(model, chunk_size=8, y=[float(model[0].weight.detach().norm())]))
    return {"train": nets[:10], "val": nets[10:13], "test": nets[13:]}


def test_every_pair_matches_an_independent_run():
    zoos = {"a": _zoo(0), "b": _zoo(1, scale=2.0)}
    tests_for = lambda source: {t: z["test"] if t == source else z["train"] + z["test"] for t, z in zoos.items()}  # noqa: E731
    results, unsupported = transfer_results(["statnn"], {k: (z["train"], z["val"]) for k, z in zoos.items()},
                                            tests_for, seeds=2, hidden=8, epochs=3)
    assert list(results) == ["a->a", "a->b", "b->a", "b->b"] and unsupported == {}
    for key, entry in results.items():
        source, target = split_key(key)
        alone = tau_over_seeds("statnn", zoos[source]["train"], zoos[source]["val"],
                               {target: tests_for(source)[target]}, 2, 8, 3)
        assert entry["statnn"]["taus"] == pytest.approx(alone[target]["taus"])
        assert entry["statnn"]["tau_mean"] == pytest.approx(sum(alone[target]["taus"]) / 2)
        assert entry["statnn"]["params"] == alone["params"]


def test_cached_runs_resume_per_source_model_and_seed(tmp_path, monkeypatch):
    zoos = {"a": _zoo(0), "b": _zoo(1, scale=2.0)}
    tests_for = lambda source: {t: z["test"] if t == source else z["train"] + z["test"] for t, z in zoos.items()}  # noqa: E731
    sources = {k: (z["train"], z["val"]) for k, z in zoos.items()}
    first = transfer_results(["statnn"], sources, tests_for, seeds=2, hidden=8, epochs=3,
                             cache=(str(tmp_path), {"title": "toy"}))
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [
        f"{s}-statnn-seed{k}.json" for s in "ab" for k in (0, 1)]
    plain = transfer_results(["statnn"], sources, tests_for, seeds=2, hidden=8, epochs=3)
    assert first == plain                                          # caching changes nothing

    def no_training(*a, **k):
        raise AssertionError("a cached run was trained again")
    import sne_pyg.experiments.seeds as seeds_module
    monkeypatch.setattr(seeds_module, "fit", no_training)
    assert transfer_results(["statnn"], sources, tests_for, seeds=2, hidden=8, epochs=3,
                            cache=(str(tmp_path), {"title": "toy"})) == first
    with pytest.raises(ValueError, match="a-statnn-seed0.json holds a result of other settings"):
        transfer_results(["statnn"], sources, tests_for, seeds=2, hidden=16, epochs=3,
                         cache=(str(tmp_path), {"title": "toy"}))


def test_held_out_tests_use_the_own_test_split_and_all_of_every_other_zoo():
    zoos = {name: {"train": [f"{name}{i}" for i in range(3)], "val": [f"{name}v"], "test": [f"{name}t"]}
            for name in "abc"}
    assert held_out_tests(zoos, "a", ["a", "b"]) == {"a": ["at"], "b": ["b0", "b1", "b2", "bv", "bt"]}
    assert list(held_out_tests(zoos, "c", ["b", "a"])) == ["b", "a"]      # the targets asked for, in order


def test_averages_skip_undefined_taus_and_same_zoo_pairs():
    cell = lambda tau: {"tau_mean": tau, "tau_std": 0.0}  # noqa: E731
    results = {"a->a": {"m": cell(0.9)}, "a->b": {"m": cell(0.2)}, "b->a": {"m": cell(math.nan)},
               "b->b": {"m": cell(0.7), "n": cell(0.1)}}
    assert average_tau(results, "m") == pytest.approx((0.9 + 0.2 + 0.7) / 3)
    assert average_tau(results, "m", transfer_only=True) == pytest.approx(0.2)
    assert average_tau(results, "n", transfer_only=True) != average_tau(results, "n", transfer_only=True)  # NaN
    table = format_transfer_table(results, ["m", "n"])
    assert "n/a" in table.splitlines()[1] and "0.100 +- 0.000" in table
    assert split_key(pair_key("arch1", "transformer")) == ("arch1", "transformer")


def test_a_model_that_cannot_read_a_target_is_reported_not_scored():
    mlps = _zoo(0)
    attention = [convert(builders.transformer_encoder(seed=i), chunk_size=8, y=[float(i)]) for i in range(4)]
    results, unsupported = transfer_results(["neural_graph", "deepsets"], {"mlp": (mlps["train"], mlps["val"])},
                                            lambda s: {"mlp": mlps["test"], "attn": attention}, seeds=1, hidden=8,
                                            epochs=1)
    assert set(results["mlp->attn"]) == {"deepsets"} and set(results["mlp->mlp"]) == {"neural_graph", "deepsets"}
    assert list(unsupported) == ["mlp->attn"] and "not supported" in unsupported["mlp->attn"]["neural_graph"]


def test_neural_graph_is_built_to_read_the_widest_kernel_of_all_zoos():
    cnn = convert(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 5), torch.nn.Flatten(), torch.nn.Linear(2, 1)), 8)
    zoos = {"a": {"train": _zoo(0)["train"]}, "b": {"test": [cnn]}}
    assert model_options_for(["sne", "neural_graph"], zoos) == {"neural_graph": {"max_kernel": 25}}
    assert model_options_for(["sne"], zoos) == {}
    given = {"sne": {"neuron_context": True}, "neural_graph": {"hidden_layers": 3}, "statnn": {"x": 1}}
    assert model_options_for(["sne", "neural_graph"], zoos, given) == {         # a model not in the table: dropped
        "sne": {"neuron_context": True}, "neural_graph": {"max_kernel": 25, "hidden_layers": 3}}


def test_a_model_option_of_the_cross_examples_reaches_the_model_and_the_cache_key(tmp_path, monkeypatch):
    """``--model-option`` of cross_dataset.py / cross_architecture.py: the option goes to the model's
    constructor in every (source, seed) run and into each run's cache settings."""
    import sne_pyg.experiments.transfer as transfer
    from tests.builders import load_script
    seen = {}

    def fake_tau_over_seeds(model, train, val, tests, seeds, hidden, epochs, progress, model_options, cache):
        seen[(cache[2]["source"], model)] = (model_options, cache[2]["options"])
        return {**{t: {"tau_mean": 0.0, "tau_std": 0.0, "taus": [0.0] * seeds, "predictions": [[0.0] * len(n)] * seeds,
                       "targets": [0.0] * len(n)} for t, n in tests.items()}, "params": 1}
    monkeypatch.setattr(transfer, "tau_over_seeds", fake_tau_over_seeds)
    zoos = {name: _zoo(i) for i, name in enumerate(("digits", "tetris"))}
    for script in ("examples/cross_dataset.py", "examples/cross_architecture.py"):
        example = load_script(script)
        args = example.parse_args(["--models", "sne,statnn", "--model-option", "sne.neuron_context=true",
                                   "--out", str(tmp_path / script.split("/")[1])])
        seen.clear()
        transfer.transfer_experiment(args, zoos, ["digits", "tetris"], ["digits", "tetris"], "t")
        assert seen == {(s, m): (({"neuron_context": True},) * 2 if m == "sne" else (None, None))
                        for s in ("digits", "tetris") for m in ("sne", "statnn")}


def test_summary_writes_an_average_over_no_pairs_as_null_and_stays_strict_json(tmp_path):
    import json
    from sne_pyg.experiments.transfer import write_transfer_summary
    entry = lambda taus: {"tau_mean": sum(taus) / len(taus), "tau_std": 0.0, "taus": taus}
    results = {"a->a": {"sne": entry([0.2, 0.4]), "hyperrep": entry([0.5, 0.5])}, "a->b": {"sne": entry([0.6, 0.8])}}
    write_transfer_summary(str(tmp_path), {}, results, ["sne", "hyperrep"], {})

    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    summary = json.loads((tmp_path / "summary.json").read_text(), parse_constant=refuse)
    assert summary["averages"]["hyperrep"] == {"average": 0.5, "average_transfer": None}
    assert summary["averages"]["sne"]["average_transfer"] == 0.7
    assert abs(summary["averages"]["sne"]["average"] - 0.5) < 1e-12
