"""DWSNet-style INR folders: converted weights reproduce every INR's image; labels and splits from the paths."""
import json
import math

import pytest
import torch
from torch import nn

from sne_pyg.data import ZooFolder
from tests.builders import load_script


class SineLayer(nn.Module):
    """A SIREN layer stored as raw ``weight``/``bias`` parameters, as DWSNet's INRs are."""

    def __init__(self, dim_in: int, dim_out: int, w0: float = 30.0) -> None:
        super().__init__()
        bound = 1 / dim_in if dim_in == 2 else math.sqrt(6 / dim_in) / w0
        self.weight = nn.Parameter(torch.empty(dim_out, dim_in).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.randn(dim_out) * 0.1)
        self.w0 = w0

    def forward(self, x):
        return torch.sin(self.w0 * nn.functional.linear(x, self.weight, self.bias))


class INR(nn.Module):
    def __init__(self, hidden: int = 8) -> None:
        super().__init__()
        self.seq = nn.Sequential(SineLayer(2, hidden), SineLayer(hidden, hidden), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.seq(x) + 0.5


def _write_inrs(root, count: int = 12):
    """DWSNet's layout: ``mnist_png_<training|testing>_<class>_<index>/checkpoints/model_final.pth``."""
    inrs = {}
    for i in range(count):
        torch.manual_seed(i)
        inr = INR()
        kind = "training" if i < 9 else "testing"
        relative = f"mnist_png_{kind}_{i % 10}_{1000 + i}/checkpoints/model_final.pth"
        (root / relative).parent.mkdir(parents=True)
        torch.save(inr.state_dict(), root / relative)
        inrs[relative] = (inr, i % 10)
    return inrs


def _check_round_trip(zoo, inrs, expected_splits):
    coords = torch.rand(50, 2) * 2 - 1
    seen = {}
    for split in ("train", "val", "test"):
        for data in ZooFolder(str(zoo), split):
            inr, label = inrs[data.source]
            rebuilt = INR(hidden=8)
            rebuilt.load_state_dict(data.to_state_dict())
            assert torch.equal(rebuilt(coords), inr(coords))
            assert data.y.tolist() == [[float(label)]]
            seen[data.source] = split
    assert set(seen) == set(inrs)
    for source, split in seen.items():
        assert split in expected_splits(source)


def test_folder_mode_takes_labels_and_splits_from_the_paths(tmp_path):
    root = tmp_path / "mnist-inrs"
    inrs = _write_inrs(root)
    converter = load_script("converters/inr_folder.py")
    sizes = converter.main([str(root), "--out", str(tmp_path / "zoo"), "--chunk-size", "16", "--val-fraction", "0.34"])
    assert sizes == {"train": 6, "val": 3, "test": 3}
    _check_round_trip(tmp_path / "zoo", inrs,
                      lambda source: ("train", "val") if "training" in source else ("test",))


def test_splits_json_of_moved_data_is_resolved_under_root(tmp_path):
    root = tmp_path / "moved" / "mnist-inrs"
    inrs = _write_inrs(root)
    names = sorted(inrs)
    # DWSNet writes absolute paths of the machine that generated the data
    table = {s: {"path": [f"/elsewhere/dataset/mnist-inrs/{n}" for n in part], "label": [str(inrs[n][1]) for n in part]}
             for s, part in (("train", names[:6]), ("val", names[6:9]), ("test", names[9:]))}
    (tmp_path / "splits.json").write_text(json.dumps(table))
    from sne_pyg.converters import inr_folder
    sizes = inr_folder.main([str(root), "--splits", str(tmp_path / "splits.json"), "--out", str(tmp_path / "zoo")])
    assert sizes == {"train": 6, "val": 3, "test": 3}
    split_of = {n: s for s, part in table.items() for n in (p.split("mnist-inrs/")[1] for p in part["path"])}
    _check_round_trip(tmp_path / "zoo", inrs, lambda source: (split_of[source],))


def test_errors_name_the_path_and_nothing_is_written(tmp_path):
    from sne_pyg.converters import inr_folder
    root = tmp_path / "inrs"
    (root / "no_label_here").mkdir(parents=True)
    torch.save(INR().state_dict(), root / "no_label_here" / "model.pth")
    with pytest.raises(ValueError, match="no_label_here"):
        inr_folder.main([str(root), "--out", str(tmp_path / "zoo")])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no checkpoint files"):
        inr_folder.main([str(empty), "--out", str(tmp_path / "zoo")])
    (tmp_path / "bad.json").write_text(json.dumps({"train": {"path": [], "label": []}}))
    with pytest.raises(ValueError, match="missing"):
        inr_folder.main([str(root), "--splits", str(tmp_path / "bad.json"), "--out", str(tmp_path / "zoo")])
    assert not (tmp_path / "zoo").exists()


def test_pickled_code_is_refused(tmp_path):
    """A checkpoint that needs arbitrary unpickling (here: a whole module) is not loaded."""
    from sne_pyg.converters import inr_folder
    root = tmp_path / "inrs" / "mnist_png_training_3_1" / "checkpoints"
    root.mkdir(parents=True)
    torch.save(INR(), root / "model_final.pth")
    with pytest.raises(ValueError, match="model_final.pth: refused to load.*it asks for"):
        inr_folder.main([str(tmp_path / "inrs"), "--out", str(tmp_path / "zoo")])
    assert not (tmp_path / "zoo").exists()


def test_paths_without_split_words_are_split_at_random_by_fractions(tmp_path):
    root = tmp_path / "inrs"
    inrs = {}
    for i in range(10):
        torch.manual_seed(i)
        relative = f"class_{i % 3}_{i}/inr.pth"
        (root / relative).parent.mkdir(parents=True)
        inr = INR()
        torch.save(inr.state_dict(), root / relative)
        inrs[relative] = (inr, i % 3)
    from sne_pyg.converters import inr_folder
    sizes = inr_folder.main([str(root), "--out", str(tmp_path / "zoo"), "--fractions", "0.6,0.2,0.2"])
    assert sizes == {"train": 6, "val": 2, "test": 2}
    _check_round_trip(tmp_path / "zoo", inrs, lambda source: ("train", "val", "test"))
