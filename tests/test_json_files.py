import hashlib
import json
import math

import pytest

from sne_pyg.json_files import settings_digest, strict, write_json


def strict_load(path):
    """Parse ``path`` refusing NaN / Infinity, as a strict JSON reader does."""
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(path.read_text(), parse_constant=refuse)


def test_strict_replaces_every_non_finite_float_at_any_depth_and_keeps_the_rest():
    value = {"a": math.nan, "b": [1.5, math.inf, (-math.inf, 2)], "c": {"d": {"e": math.nan, "f": "nan"}},
             "g": True, "h": None, "i": 0, "j": -0.25}
    assert strict(value) == {"a": None, "b": [1.5, None, [None, 2]], "c": {"d": {"e": None, "f": "nan"}},
                             "g": True, "h": None, "i": 0, "j": -0.25}
    assert math.isnan(value["a"])                     # the input is not changed


def test_write_json_writes_strict_json_in_a_new_folder_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "deep" / "er" / "results.json"
    write_json(str(path), {"tau": [0.5, math.nan], "mse": math.inf}, indent=2)
    assert strict_load(path) == {"tau": [0.5, None], "mse": None}
    assert sorted(p.name for p in path.parent.iterdir()) == ["results.json"]


def test_write_json_keeps_the_old_file_when_the_new_value_cannot_be_written(tmp_path):
    path = tmp_path / "results.json"
    write_json(str(path), {"kept": 1})
    with pytest.raises(TypeError):
        write_json(str(path), {"bad": object()})
    assert strict_load(path) == {"kept": 1}
    assert not (tmp_path / "results.json.partial").exists()


def test_result_writers_of_the_reports_write_strict_json(tmp_path):
    from sne_pyg.experiments.reports import write_comparisons, write_results
    write_results(str(tmp_path), {"sne": {"tau_mean": math.nan, "taus": [math.nan, 0.5]}}, "| table |")
    assert strict_load(tmp_path / "results.json") == {"sne": {"tau_mean": None, "taus": [None, 0.5]}}
    comparison = {"other": "mlp", "difference": math.nan, "metric": "tau", "level": 0.95, "low": math.nan,
                  "high": 0.1, "verdict": "tie"}
    write_comparisons({"test": comparison, "none": None}, str(tmp_path))
    assert strict_load(tmp_path / "sne_vs_best.json") == {"test": dict(comparison, difference=None, low=None)}


def test_settings_digest_is_the_sha1_of_the_sorted_json_and_ignores_key_order():
    settings = {"size": 600, "recipe": "peers", "nested": {"b": [1, 2], "a": 0.5}}
    reordered = {"nested": {"a": 0.5, "b": [1, 2]}, "recipe": "peers", "size": 600}
    text = '{"nested": {"a": 0.5, "b": [1, 2]}, "recipe": "peers", "size": 600}'     # json.dumps, keys sorted
    assert settings_digest(settings) == settings_digest(reordered) == hashlib.sha1(text.encode()).hexdigest()[:10]
    assert settings_digest(settings, length=16) == hashlib.sha1(text.encode()).hexdigest()[:16]
    assert settings_digest(dict(settings, size=601)) != settings_digest(settings)
