"""The benchmarks' quick mode (CI smoke size) writes results that say something true."""
import json
import pathlib
import sys

BENCH = pathlib.Path(__file__).parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import bench_compile  # noqa: E402
import bench_invariance  # noqa: E402
import bench_precision  # noqa: E402
import bench_sne_levers  # noqa: E402
import bench_ssl_views  # noqa: E402
import bench_throughput  # noqa: E402
import bench_training  # noqa: E402
import bench_zoo  # noqa: E402
import large_models  # noqa: E402
import numpy as np  # noqa: E402
import run as bench_run  # noqa: E402
from isolated import run_isolated  # noqa: E402


def test_quick_run_writes_one_json_per_simple_benchmark(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_invariance, "run", lambda quick, out, root="": (pathlib.Path(out) / "invariance.json")
                        .write_text("{}"))
    bench_run.main(["--quick", "--only", "convert,segments,throughput,invariance,bootstrap,probe", "--out", str(tmp_path)])
    probes = json.loads((tmp_path / "probe.json").read_text())["rows"]
    assert [r["property"] for r in probes] == ["activation"]                # quick: one factor
    for r in probes:
        assert r["speedup"] == r["full_s"] / r["row_space_s"] and r["dimensions"] > r["train_networks"]
        assert r["accuracy_row_space"] == r["accuracy_full"] and r["alpha_row_space"] == r["alpha_full"]
    bootstrap = json.loads((tmp_path / "bootstrap.json").read_text())["rows"]
    assert [r["test_networks"] for r in bootstrap] == [20, 150]
    for row in bootstrap:
        assert row["speedup"] == row["loop_s"] / row["vectorised_s"] and row["max_abs_difference"] < 1e-9
    convert = json.loads((tmp_path / "convert.json").read_text())
    assert [r["network"] for r in convert["rows"]] == ["mlp-1k", "cnn-100k", "transformer-800k"]
    for row in convert["rows"]:
        assert row["ratio"] == row["convert_s"] / row["cat_s"] > 0
        assert row["ratio_first"] == row["convert_first_s"] / row["cat_s"] > 0
    batched = {r["zoo"]: r for r in convert["batched"]}
    assert set(batched) == {f"{k}k, {m}" for k in (1, 5) for m in ("one architecture", "four architectures")}
    for row in batched.values():
        assert row["networks"] == 500 and row["ratio"] == row["convert_all_s"] / row["cat_s"] > 0
        per = row["per_network_us"]
        assert abs(per["fill_and_objects"] + per["read_state"] - per["convert_all"]) < 1e-6
    assert 600 < batched["1k, four architectures"]["params_per_network"] < 1000
    assert 4900 < batched["5k, one architecture"]["params_per_network"] < 5300
    assert (tmp_path / "invariance.json").exists()
    throughput = json.loads((tmp_path / "throughput.json").read_text())["rows"]
    assert (tmp_path / "throughput.png").stat().st_size > 0
    by_zoo = {}
    for row in throughput:
        by_zoo.setdefault((row["zoo"], row["allocator"]), {})[row["model"]] = row
    one_block = "sne, one chunk block"
    assert {zoo for zoo, _ in by_zoo} == set(bench_throughput.QUICK_ZOOS)      # quick: the zoos holding every model
    for allocator in ("glibc default", "retain freed memory"):
        assert set(by_zoo["mlp+cnn", allocator]) == {"sne", one_block, "deepsets", "neural_graph"}
        weight_space = {"nfn_np", "nfn_hnp", "nft"}
        assert set(by_zoo["mlp, one shape", allocator]) == {"sne", "deepsets", "neural_graph", "dwsnet"} | weight_space
    assert set(bench_throughput.ZOO_MODELS["mlp+cnn+transformer"]) == {"sne", one_block, "deepsets"}  # no attention in NG
    for rows in by_zoo.values():
        for row in rows.values():
            assert abs(row["sne_speedup"] - rows["sne"]["networks_per_s"] / row["networks_per_s"]) < 1e-9
            if row["working_set_mb"] == 0:               # a pass that added no resident memory: no ratio
                assert row["sne_memory_fraction"] is None
            else:
                assert abs(row["sne_memory_fraction"] - rows["sne"]["working_set_mb"] / row["working_set_mb"]) < 1e-9
        assert rows["neural_graph" if "neural_graph" in rows else "sne"]["data_mb"] >= rows["sne"]["data_mb"]
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
    invariant = max(rows[m]["invariance_gap"] for m in ("deepsets", "neural_graph", "dwsnet", "nfn_np", "nfn_hnp", "nft"))
    assert invariant < 1e-4                                   # float noise only
    assert rows["sne"]["invariance_gap"] > 100 * invariant    # SNE is not invariant by construction
    assert rows["neural_graph"]["invariance_gap"] > 0         # the permuted graph was really rebuilt


def test_quick_large_and_scaling_results(tmp_path):
    bench_run.main(["--quick", "--only", "large,scaling", "--out", str(tmp_path)])
    large = json.loads((tmp_path / "large.json").read_text())["rows"]
    expected = {"gpt2": large_models.parameter_count(large_models.gpt2(0.05)),
                "resnet50": large_models.parameter_count(large_models.resnet50(0.125))}
    for row in large:
        if row["model"] == "sne":
            assert row["ok"] and row["finite"] and row["params"] == expected[row["network"]]
            assert row["rss_after_convert_gb"] > 0 and row["encode_working_set_gb"] >= 0
            assert row["task_peak_gb"] >= row["convert_peak_gb"]
    graphs = {r["network"]: r for r in large if r["model"] == "neural_graph"}
    assert not graphs["gpt2"]["ok"] and "not supported" in graphs["gpt2"]["error"]   # attention / embeddings
    assert graphs["resnet50"]["ok"] and graphs["resnet50"]["edges"] > 0
    scaling = json.loads((tmp_path / "scaling.json").read_text())
    for row in scaling["rows"]:
        assert row["ok"] and row["params"] == 3 * row["width"] ** 2 + 3 * row["width"]
    sne = [r for r in scaling["rows"] if r["model"] == "sne"]
    fitted = np.polyfit(np.log([r["params"] for r in sne]), np.log([r["encode_s"] for r in sne]), 1)[0]
    assert abs(scaling["slopes"]["sne"]["time"] - fitted) < 1e-9
    assert (tmp_path / "scaling.png").stat().st_size > 0


def allocate(gb: float) -> dict:
    import torch
    return {"sum": float(torch.ones(int(gb * 2**30 / 4)).sum())}


def test_isolated_run_reports_memory_and_refuses_what_exceeds_the_cap():
    fits = run_isolated(allocate, gb=0.25)
    assert fits["ok"] and fits["sum"] == int(0.25 * 2**30 / 4)
    assert fits["peak_above_baseline_gb"] >= 0.24                   # the tensor really lived in this process
    refused = run_isolated(allocate, cap_gb=2.0, gb=4.0)
    assert not refused["ok"] and ("MemoryError" in refused["error"] or "alloc" in refused["error"])


def test_quick_zoo_generation_benchmark(tmp_path):
    result = bench_zoo.run(quick=True, out=str(tmp_path))
    assert json.loads((tmp_path / "zoo.json").read_text())["vectorisation"] == result["vectorisation"]
    assert [r["architecture"] for r in result["vectorisation"]] == list(bench_zoo.ARCHITECTURES)
    for row in result["vectorisation"]:
        assert row["networks"] == 4 and row["speedup"] == row["vectorised_networks_per_s"] / row["loop_networks_per_s"]
    sharded = result["sharding"]
    assert sharded["bit_identical"] and sharded["speedup"] == sharded["one_process_s"] / sharded["two_processes_s"]


def test_quick_training_benchmark_covers_every_model(tmp_path):
    rows = bench_training.run(quick=True, out=str(tmp_path))
    assert json.loads((tmp_path / "training.json").read_text())["rows"] == rows
    by_zoo = {}
    for row in rows:
        by_zoo.setdefault(row["zoo"], {})[row["model"]] = row
    from sne_pyg.nn import MODELS
    assert set(by_zoo["sine-INR"]) == set(MODELS)
    assert set(by_zoo["mlp+cnn"]) == {"sne", "deepsets", "neural_graph"}
    for models in by_zoo.values():
        for row in models.values():
            assert row["train_networks_per_s"] > 0
            assert abs(row["sne_speedup"] - models["sne"]["train_networks_per_s"] / row["train_networks_per_s"]) < 1e-9


def test_quick_compile_benchmark_compares_a_compiled_twin_with_equal_weights(tmp_path):
    import torch
    from sne_pyg.nn import build_model
    model = build_model("sne", hidden=8, out_dim=1)
    twin = bench_compile.compiled_copy(model, "aot_eager")
    assert isinstance(twin.chunk_encoder, torch._dynamo.eval_frame.OptimizedModule)   # really compiled
    assert not isinstance(model.chunk_encoder, torch._dynamo.eval_frame.OptimizedModule)  # the original untouched
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters()))
    rows = bench_compile.run(quick=True, out=str(tmp_path))
    assert json.loads((tmp_path / "compile.json").read_text())["rows"] == rows
    assert [r["mode"] for r in rows] == ["inference", "training"]
    for row in rows:
        assert row["backend"] == "aot_eager"
        assert row["speedup"] == row["compiled_networks_per_s"] / row["eager_networks_per_s"]
        assert row["max_output_difference"] < 1e-5                  # the same function
    assert rows[0]["max_gradient_difference"] is None and rows[1]["max_gradient_difference"] < 1e-4


def test_quick_precision_benchmark_reports_speed_and_error_of_bfloat16(tmp_path):
    rows = bench_precision.run(quick=True, out=str(tmp_path))
    assert json.loads((tmp_path / "precision.json").read_text())["rows"] == rows
    assert [r["mode"] for r in rows] == ["inference", "training"]
    for row in rows:
        assert row["speedup"] == row["bfloat16_networks_per_s"] / row["float32_networks_per_s"]
        assert 0 < row["relative_error"] < 0.5            # really ran in lower precision, and still close


def test_autocast_wrapper_runs_matrix_products_in_bfloat16():
    import torch
    a = torch.randn(4, 4)
    assert bench_precision.autocast(lambda: a @ a)().dtype == torch.bfloat16
    assert (a @ a).dtype == torch.float32


def test_quick_ssl_views_benchmark_times_both_paths_on_identical_views(tmp_path):
    rows = bench_ssl_views.run(quick=True, out=str(tmp_path))
    assert json.loads((tmp_path / "ssl_views.json").read_text())["rows"] == rows
    assert [(r["batch"], r["noise"]) for r in rows] == [("tetris_ffn", 0.0), ("tetris_ffn", 0.05), ("mixed", 0.0),
                                                         ("mixed", 0.05)]
    for row in rows:
        assert row["identical"] is True
        assert row["speedup"] == row["per_network_s"] / row["batched_s"]


def test_sne_lever_costs_are_relative_to_the_default_from_one_run(tmp_path):
    rows = bench_sne_levers.run(quick=True, out=str(tmp_path))
    assert json.loads((tmp_path / "sne_levers.json").read_text())["rows"] == rows
    by_name = {r["variant"]: r for r in rows}
    assert list(by_name) == list(bench_sne_levers.VARIANTS)
    default = by_name["default"]
    assert default["speed_vs_default"] == 1.0
    for row in rows:                  # one ratio definition: seconds(default) / seconds(variant) = speed / speed
        assert abs(row["speed_vs_default"] - row["train_networks_per_s"] / default["train_networks_per_s"]) < 1e-9
    assert by_name["heads1"]["params"] == by_name["chunk16"]["params"] == default["params"]   # same weights, other cost
    assert by_name["depth1"]["params"] < default["params"] < by_name["depth3"]["params"] < by_name["hidden64"]["params"]
