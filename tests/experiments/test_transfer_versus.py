"""Two transfer tables of one model compared pair by pair from their cached runs (paired bootstrap)."""
import json

import numpy as np
import pytest

from sne_pyg.experiments.bootstrap import paired_bootstrap
from sne_pyg.experiments.transfer import transfer_results
from sne_pyg.experiments.transfer_versus import compare_transfer_runs, main
from tests.experiments.test_transfer import _zoo


def _tables(tmp_path):
    zoos = {"a": _zoo(0), "b": _zoo(1, scale=2.0)}
    tests_for = lambda source: {t: z["test"] if t == source else z["train"] + z["test"] for t, z in zoos.items()}  # noqa: E731
    sources = {k: (z["train"], z["val"]) for k, z in zoos.items()}
    made = {}
    for name, hidden in (("base", 8), ("other", 12)):
        made[name], _ = transfer_results(["statnn"], sources, tests_for, seeds=2, hidden=hidden, epochs=3,
                                         cache=(str(tmp_path / name), {"title": "toy"}))
    return made


def test_each_pair_is_the_paired_bootstrap_of_the_two_tables_predictions(tmp_path):
    made = _tables(tmp_path)
    rows = compare_transfer_runs(str(tmp_path / "base"), str(tmp_path / "other"), "statnn", resamples=500)
    assert list(rows) == ["a->a", "a->b", "b->a", "b->b"]
    for pair, row in rows.items():
        base, other = made["base"][pair]["statnn"], made["other"][pair]["statnn"]
        again = paired_bootstrap(np.array(other["predictions"]), np.array(base["predictions"]),
                                 np.array(base["targets"]), "tau", resamples=500)
        assert row["seeds"] == 2 and row["verdict"] == again.verdict
        for key in ("difference", "low", "high"):
            assert row[key] == pytest.approx(getattr(again, key), abs=1e-12, nan_ok=True)
        assert row["base_tau"] == pytest.approx(base["tau_mean"], nan_ok=True)
        assert row["other_tau"] == pytest.approx(other["tau_mean"], nan_ok=True)
    out = tmp_path / "versus.json"
    again = main([str(tmp_path / "base"), str(tmp_path / "other"), "--model", "statnn", "--resamples", "500",
                  "--out", str(out)])
    assert json.dumps(again, sort_keys=True) == json.dumps(rows, sort_keys=True)      # NaN intervals on 3 networks
    assert json.loads(out.read_text())["pairs"]["a->b"]["difference"] == pytest.approx(rows["a->b"]["difference"])


def test_runs_scored_on_other_networks_or_missing_runs_are_refused_by_name(tmp_path):
    _tables(tmp_path)
    path = tmp_path / "other" / "cache" / "a-statnn-seed1.json"
    stored = json.loads(path.read_text())
    stored["value"]["targets"]["b"][0] += 1.0
    path.write_text(json.dumps(stored))
    with pytest.raises(ValueError, match=r"other: a->b seed 1 was scored on other networks"):
        compare_transfer_runs(str(tmp_path / "base"), str(tmp_path / "other"), "statnn")
    with pytest.raises(SystemExit, match=r"cache: no cached run of 'sne'"):
        main([str(tmp_path / "base"), str(tmp_path / "other"), "--model", "sne"])
