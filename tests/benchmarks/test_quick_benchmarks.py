"""The benchmarks' quick mode (CI smoke size) writes results that say something true."""
import json
import pathlib
import sys

BENCH = pathlib.Path(__file__).parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_invariance  # noqa: E402
import run as bench_run  # noqa: E402


def test_quick_run_writes_one_json_per_benchmark(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_invariance, "run", lambda quick, out, root="": (pathlib.Path(out) / "invariance.json")
                        .write_text("{}"))
    bench_run.main(["--quick", "--out", str(tmp_path)])
    convert = json.loads((tmp_path / "convert.json").read_text())
    assert [r["network"] for r in convert["rows"]] == ["mlp-1k", "cnn-100k", "transformer-800k"]
    for row in convert["rows"]:
        assert row["ratio"] == row["convert_s"] / row["cat_s"] > 0
    assert (tmp_path / "invariance.json").exists()
    throughput = json.loads((tmp_path / "throughput.json").read_text())["rows"]
    by_zoo = {}
    for row in throughput:
        by_zoo.setdefault(row["zoo"], {})[row["model"]] = row
    assert set(by_zoo["mlp+cnn"]) == {"sne", "deepsets", "neural_graph"}
    assert set(by_zoo["mlp+cnn+transformer"]) == {"sne", "deepsets"}      # NeuralGraph cannot read attention
    for rows in by_zoo.values():
        for row in rows.values():
            assert abs(row["sne_speedup"] - rows["sne"]["networks_per_s"] / row["networks_per_s"]) < 1e-9
    segments = json.loads((tmp_path / "segments.json").read_text())
    for mode in ("forward", "forward+backward"):
        rows = {r["implementation"]: r for r in segments["rows"] if r["mode"] == mode}
        assert "PyG SetTransformerAggregation" in rows and "ours (native)" in rows
        reference = next(r for name, r in rows.items() if name.startswith("ours (") and r["relative_to_ours"] == 1.0)
        for r in rows.values():
            assert abs(r["relative_to_ours"] - r["seconds"] / reference["seconds"]) < 1e-9


def test_invariance_gap_separates_invariant_models_from_sne(tmp_path):
    rows = bench_invariance.run(quick=True, out=str(tmp_path), root=str(tmp_path / "zoo"))
    saved = json.loads((tmp_path / "invariance.json").read_text())["rows"]
    assert saved == rows
    invariant = max(rows[m]["invariance_gap"] for m in ("deepsets", "neural_graph", "dwsnet"))
    assert invariant < 1e-4                                   # float noise only
    assert rows["sne"]["invariance_gap"] > 100 * invariant    # SNE is not invariant by construction
    assert rows["neural_graph"]["invariance_gap"] > 0         # the permuted graph was really rebuilt
