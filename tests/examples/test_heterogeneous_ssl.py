"""The heterogeneous self-supervised example: SNE and DeepSets pretrained on a zoo HyperRep cannot read."""
import json
import os

import numpy as np
import pytest
import torch

from sne_pyg.experiments.probing import PROPERTIES
from sne_pyg.probe import linear_probe
from sne_pyg.zoos.kinds import pooled_splits
from tests.builders import assert_same_scores, load_script, recorded, stop_ssl_at, stopped_and_resumed


def test_quick_run_probes_every_property_and_the_architecture_and_resumes(tmp_path, quick_zoos):
    example = load_script("examples/heterogeneous_ssl.py")
    argv = ["--quick", "--seeds", "1", "--root", quick_zoos, "--out", str(tmp_path / "out"), "--no-progress"]
    results = example.main(argv)
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert set(saved["methods"]) == {"s(W) global", "sne_ssl", "deepsets_ssl"}
    assert "token layout" in saved["hyperrep"]["unsupported"]
    for method, scores in saved["methods"].items():
        assert "architecture" in scores and 0 <= scores["architecture"]["accuracy"]["mean"] <= 1, method
        assert set(scores) - {"architecture"} <= set(PROPERTIES)
    # the baseline row, recomputed independently from each network's state_dict
    splits, origin = pooled_splits(["arch1", "arch2", "mlp", "transformer"], ["digits"], quick_zoos, 8, 2,
                                   None, progress=False)
    names = ["arch1", "arch2", "mlp", "transformer"]

    def stats(net):
        values = np.concatenate([v.detach().double().numpy().ravel() for v in net.to_state_dict().values()
                                 if v.is_floating_point()])
        return np.concatenate([[values.mean(), values.std(ddof=1)], np.quantile(values, [0.01, 0.25, 0.5, 0.75, 0.99])])

    probe = linear_probe(*[(np.stack([stats(n) for n in splits[s]]),
                            np.array([names.index(a) for a in origin[s]["architecture"]])) for s in ("train", "val", "test")],
                         task="classification")
    assert saved["methods"]["s(W) global"]["architecture"]["accuracy"]["mean"] == pytest.approx(probe["accuracy"])
    cache = sorted(os.listdir(tmp_path / "out" / "cache"))
    assert cache == ["deepsets_ssl-seed0.json", "sne_ssl-seed0.json"]
    stamps = {f: os.stat(tmp_path / "out" / "cache" / f).st_mtime_ns for f in cache}
    again = example.main(argv)                   # resumes: nothing is trained again
    assert {f: os.stat(tmp_path / "out" / "cache" / f).st_mtime_ns for f in cache} == stamps
    assert_same_scores(again["methods"], results["methods"])
    assert "HyperRep: not applicable" in (tmp_path / "out" / "table.md").read_text()
    path = tmp_path / "out" / "cache" / "sne_ssl-seed0.json"
    stored = json.loads(path.read_text())
    assert stored["settings"] == example.run_settings(example.parse_args(argv), "sne_ssl")
    path.write_text(json.dumps(dict(stored, settings=dict(stored["settings"], ssl_epochs=99))))
    with pytest.raises(ValueError, match="sne_ssl-seed0.json holds a result of other settings"):
        example.main(argv)                       # a run of other settings is never reused silently


def test_a_run_stopped_mid_training_resumes_from_its_epoch_checkpoint(tmp_path, quick_zoos, monkeypatch):
    """With the zoos' permutation specs in its settings, SNE's pretraining is stopped after one epoch and the rerun
    resumes from the checkpoint to the uninterrupted run's embeddings, bit for bit, and its scores."""
    example = load_script("examples/heterogeneous_ssl.py")
    flags = ["--quick", "--seeds", "1", "--methods", "sne_ssl", "--root", quick_zoos, "--no-progress"]
    embeddings = recorded(monkeypatch, example, "embed")
    whole, resumed = stopped_and_resumed(example.main, flags, tmp_path, monkeypatch, example, "fit_ssl",
                                         {"monitor": stop_ssl_at(1)}, "sne_ssl-seed0")
    assert len(embeddings) == 6                   # train, val, test of the whole run, then of the resumed one
    assert all(torch.equal(a, b) for a, b in zip(embeddings[:3], embeddings[3:]))
    assert_same_scores(resumed["methods"], whole["methods"])
