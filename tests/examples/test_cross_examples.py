"""The cross-dataset and cross-architecture examples: every pair, consistent statistics, n/a where unreadable."""
import json
import math
import statistics
from pathlib import Path

import pytest

from sne_pyg.experiments import average_tau
from tests.builders import load_script


def _check_entries(results: dict, pairs: set, models: set):
    assert set(results) == pairs
    for key, entry in results.items():
        for model, r in entry.items():
            assert model in models and len(r["taus"]) == 3
            finite = [t for t in r["taus"] if not math.isnan(t)]
            assert all(-1 <= t <= 1 for t in finite)
            if len(finite) == 3:
                assert r["tau_mean"] == pytest.approx(statistics.fmean(finite))
                assert r["tau_std"] == pytest.approx(statistics.stdev(finite))


def test_quick_cross_dataset_fills_the_full_matrix(tmp_path, quick_zoos):
    example = load_script("examples/cross_dataset.py")
    out = tmp_path / "out"
    results = example.main(["--quick", "--datasets", "digits,tetris", "--models", "statnn,sne",
                            "--root", quick_zoos, "--out", str(out), "--no-progress"])
    saved = json.loads((out / "results.json").read_text())
    assert json.dumps(saved, sort_keys=True) == json.dumps(results, sort_keys=True)
    _check_entries(saved, {"digits->digits", "digits->tetris", "tetris->digits", "tetris->tetris"}, {"statnn", "sne"})
    assert all(set(entry) == {"statnn", "sne"} for entry in saved.values())
    averages = json.loads((out / "average.json").read_text())
    for model in ("statnn", "sne"):
        assert averages[model]["average_transfer"] == pytest.approx(
            statistics.fmean([saved["digits->tetris"][model]["tau_mean"], saved["tetris->digits"][model]["tau_mean"]]))
        assert averages[model]["average"] == pytest.approx(average_tau(saved, model), nan_ok=True)
    assert (out / "transfer.png").stat().st_size > 0 and not (out / "unsupported.json").exists()
    # summary.json, the README's result file: the same taus and averages, the run's command, a renderable table
    from sne_pyg.experiments.readme_tables import render_transfer
    summary = json.loads((out / "summary.json").read_text())
    assert summary["command"].startswith("python examples/cross_dataset.py --quick") and summary["models"] == ["statnn", "sne"]
    assert {k: {m: e["taus"] for m, e in v.items()} for k, v in summary["results"].items()} == \
        {k: {m: e["taus"] for m, e in v.items()} for k, v in saved.items()}
    for model in ("statnn", "sne"):
        assert summary["averages"][model] == pytest.approx(averages[model], nan_ok=True)
    assert set(summary["sne_vs_best"]) == set(json.loads((out / "sne_vs_best.json").read_text()))
    assert len(render_transfer(summary).splitlines()) == 2 + 4 + 2
    import hashlib                         # each zoo's bytes: the SHA-256 of its split files
    folders = {name: next(Path(quick_zoos).glob(f"arch1-{name}-*")) for name in ("digits", "tetris")}
    assert summary["zoo_sha256"] == {name: {s: hashlib.sha256((folder / f"{s}.pt").read_bytes()).hexdigest()
                                            for s in ("train", "val", "test")} for name, folder in folders.items()}


def test_quick_cross_architecture_marks_what_a_model_cannot_read(tmp_path, quick_zoos):
    example = load_script("examples/cross_architecture.py")
    out = tmp_path / "out"
    example.main(["--quick", "--sources", "arch2", "--targets", "arch2,arch1,transformer",
                  "--models", "neural_graph,deepsets,hyperrep", "--root", quick_zoos, "--out", str(out),
                  "--no-progress"])
    saved = json.loads((out / "results.json").read_text())
    _check_entries(saved, {"arch2->arch2", "arch2->arch1", "arch2->transformer"}, {"neural_graph", "deepsets", "hyperrep"})
    # arch2 has 5x5 kernels and a flatten: NeuralGraph reads them; it does not read attention layers;
    # HyperRep reads only the architecture it was built for
    assert set(saved["arch2->arch2"]) == {"neural_graph", "deepsets", "hyperrep"}
    assert set(saved["arch2->arch1"]) == {"neural_graph", "deepsets"}
    assert set(saved["arch2->transformer"]) == {"deepsets"}
    unsupported = json.loads((out / "unsupported.json").read_text())
    assert set(unsupported) == {"arch2->arch1", "arch2->transformer"}
    assert "not supported" in unsupported["arch2->transformer"]["neural_graph"]
    assert all("token layout" in unsupported[pair]["hyperrep"] for pair in unsupported)


def test_bad_choices_are_refused_before_any_work(tmp_path):
    for script, argv in (("examples/cross_dataset.py", ["--datasets", "digits"]),
                         ("examples/cross_dataset.py", ["--datasets", "digits,cifar"]),
                         ("examples/cross_architecture.py", ["--targets", "resnet"]),
                         ("examples/heterogeneous_zoo.py", ["--models", "sne,gpt5"])):
        with pytest.raises(SystemExit):
            load_script(script).main(argv + ["--root", str(tmp_path / "cache")])
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("script", ["examples/cross_dataset.py", "examples/cross_architecture.py",
                                    "examples/heterogeneous_zoo.py", "examples/accuracy_prediction.py",
                                    "examples/hyper_representations.py", "examples/heterogeneous_ssl.py",
                                    "examples/ablations.py", "examples/inr_frequency.py"])
def test_seeds_below_one_are_refused_by_the_parser(script, capsys):
    example = load_script(script)
    with pytest.raises(SystemExit):
        example.parse_args(["--seeds", "0"])
    assert "--seeds: must be a whole number >= 1, got '0'" in capsys.readouterr().err
    assert example.parse_args(["--seeds", "2"]).seeds == 2
