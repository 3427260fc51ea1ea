import json
import os

import numpy as np
import pytest

from sne_pyg.data.sources import zoo_split
from sne_pyg.data.views import flat_view
from sne_pyg.probe import linear_probe
from sne_pyg.zoos.kinds import cached_zoo
from sne_pyg.reducers import umap_available
from tests.builders import load_script


def test_quick_run_probes_every_method_and_resumes_from_its_cache(tmp_path):
    example = load_script("examples/hyper_representations.py")
    argv = ["--quick", "--seeds", "1", "--root", str(tmp_path / "cache"), "--out", str(tmp_path / "out"),
            "--no-progress"]
    results = example.main(argv)
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    umap = {"UMAP(W)"} if umap_available() else set()
    assert set(saved["methods"]) == {"W", "s(W)", "PCA(W)", "kPCA-cos(W)", "kPCA-rbf(W)", "hyperrep", "sne_ssl",
                                     "sne_supervised"} | umap
    for method, scores in saved["methods"].items():
        assert {"test_accuracy", "generalization_gap", "epoch"} <= set(scores), method
        assert all(set(s) & {"r2", "accuracy"} for p, s in scores.items() if p != "reconstruction_r2")
    assert -1e9 < saved["methods"]["hyperrep"]["reconstruction_r2"]["mean"] <= 1
    cache = sorted(os.listdir(tmp_path / "out" / "cache"))
    assert cache == ["hyperrep-seed0.json", "sne_ssl-seed0.json", "sne_supervised-seed0.json"]
    stamps = {f: os.stat(tmp_path / "out" / "cache" / f).st_mtime_ns for f in cache}
    again = example.main(argv)                                    # resumes: nothing is trained again
    assert {f: os.stat(tmp_path / "out" / "cache" / f).st_mtime_ns for f in cache} == stamps
    assert json.dumps(again["methods"], sort_keys=True) == json.dumps(results["methods"], sort_keys=True)
    assert "| hyperrep |" in (tmp_path / "out" / "table.md").read_text()
    # the W row is linear_probe of the flat weight vectors, computed here independently of the example
    folder = cached_zoo("arch1-digits", str(tmp_path / "cache"), 16, 2, progress=False)
    splits = {s: zoo_split(folder, s) for s in ("train", "val", "test")}
    z = {s: np.concatenate([flat_view(d).double().numpy() for d in part]) for s, part in splits.items()}
    y = {s: np.array([float(d.y[0, 0]) for d in part]) for s, part in splits.items()}
    direct = linear_probe((z["train"], y["train"]), (z["val"], y["val"]), (z["test"], y["test"]))
    assert results["methods"]["W"]["test_accuracy"]["r2"]["mean"] == pytest.approx(direct["r2"])
