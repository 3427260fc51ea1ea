"""Zoo files load without unpickling code, and a split that changed on disk is caught."""
import builtins
import os
import shutil
import warnings

import pytest
import torch
from torch_geometric.data import InMemoryDataset

from sne_pyg import SNE, convert
from sne_pyg.cli import main
from sne_pyg.data import NetworkData, ZooFolder, save_splits
from sne_pyg.data.dataset import NetworkZoo, read_collated, read_networks, recorded_digests, write_networks
from tests import builders


class Payload:
    """Unpickling this writes ``marker``: what an attacker would plant in a zoo file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return builtins.exec, (f"open({self.marker!r}, 'w').write('ran')",)


def networks(n=10):
    return [convert(builders.mlp(seed=i), 8, y=[float(i)]) for i in range(n)]


def plant(path, marker) -> None:
    """Rewrite a network file with the payload inside its data dict (a full unpickle would run it)."""
    data, slices = read_collated(path)
    data["extra"] = Payload(str(marker))
    torch.save((data, slices, NetworkData), path)


@pytest.fixture
def zoo(tmp_path):
    folder = tmp_path / "zoo"
    save_splits(networks(), str(folder), (0.6, 0.2, 0.2))
    return folder


def test_the_planted_file_would_run_code_through_pyg_loading(zoo, tmp_path):
    """The attack is real: PyG's own loader falls back to full unpickling and runs the payload."""
    marker = tmp_path / "pyg_ran"
    plant(zoo / "train.pt", marker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        InMemoryDataset(None).load(str(zoo / "train.pt"), NetworkData)
    assert marker.exists()


@pytest.mark.parametrize("reader", ["zoo_folder", "read_networks", "cli_train", "cli_encode"])
def test_a_planted_zoo_file_is_refused_and_never_runs(zoo, tmp_path, capsys, reader):
    marker = tmp_path / "ran"
    plant(zoo / "train.pt", marker)
    shutil.copy(zoo / "train.pt", tmp_path / "work_group.pt")
    (zoo / "settings.json").unlink()            # no hash to compare: the load itself must refuse
    if reader == "zoo_folder":
        with pytest.raises(ValueError, match=r"train.pt: refused to load.*\(it asks for exec\)"):
            ZooFolder(str(zoo), "train")
    elif reader == "read_networks":             # zoo work files (resumed generation) are read this way
        with pytest.raises(ValueError, match="work_group.pt: refused to load"):
            read_networks(str(tmp_path / "work_group.pt"))
    elif reader == "cli_train":
        assert main(["train", "--data", str(zoo), "--out", str(tmp_path / "run"), "--epochs", "1",
                     "--no-progress"]) == 2
        assert "train.pt: refused to load" in capsys.readouterr().err
    else:
        SNE(hidden=8).save(str(tmp_path / "m.safetensors"))
        assert main(["encode", "--model", str(tmp_path / "m.safetensors"), "--data", str(zoo),
                     "--out", str(tmp_path / "z.npz"), "--no-progress"]) == 2
        assert "refused to load" in capsys.readouterr().err
    assert not marker.exists()


def test_split_hashes_are_recorded_and_a_swapped_or_truncated_split_is_named(zoo):
    digests = recorded_digests(str(zoo))
    assert set(digests) == {"train", "val", "test"} and len(set(digests.values())) == 3
    assert len(ZooFolder(str(zoo), "train")) == 6
    shutil.copy(zoo / "val.pt", zoo / "train.pt")                 # another split's file in its place
    with pytest.raises(ValueError, match="train.pt: its content does not match the hash"):
        ZooFolder(str(zoo), "train")
    blob = (zoo / "test.pt").read_bytes()
    (zoo / "test.pt").write_bytes(blob[: len(blob) // 2])          # truncated
    with pytest.raises(ValueError, match="test.pt: its content does not match"):
        ZooFolder(str(zoo), "test")
    (zoo / "settings.json").unlink()                               # without a hash, the reader itself names it
    with pytest.raises(ValueError, match="test.pt: not a readable network file"):
        ZooFolder(str(zoo), "test")


def test_a_file_of_something_else_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="other.pt: not a file of converted networks"):
        read_networks(str(path))
    write_networks(networks(3), str(tmp_path / "ok.pt"))
    assert [float(d.y) for d in read_networks(str(tmp_path / "ok.pt"))] == [0.0, 1.0, 2.0]


class TinyZoo(NetworkZoo):
    generated = 0

    def settings(self) -> dict:
        return {"kind": "tiny"}

    def generate(self):
        TinyZoo.generated += 1
        return networks()


def test_a_cached_zoo_whose_split_changed_is_generated_again(tmp_path):
    first = TinyZoo(str(tmp_path), "train")
    assert TinyZoo.generated == 1
    TinyZoo(str(tmp_path), "train")
    assert TinyZoo.generated == 1                                   # cached
    marker = tmp_path / "ran"
    plant(os.path.join(first.processed_dir, "train.pt"), marker)
    with pytest.warns(UserWarning, match="regenerating"):
        again = TinyZoo(str(tmp_path), "train")
    assert TinyZoo.generated == 2 and not marker.exists()
    assert [float(d.y) for d in again] == [float(d.y) for d in first]


def test_a_zoo_rewritten_halfway_is_refused_not_mixed(zoo, monkeypatch):
    """An interruption after the new settings and train split landed leaves old val/test: caught by hash."""
    renamed = []
    real_replace = os.replace

    def interrupted(src, dst):
        if len(renamed) == 2:                  # settings.json and train.pt are in place, then the power goes
            raise KeyboardInterrupt
        renamed.append(dst)
        real_replace(src, dst)
    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_splits(networks(12)[::-1], str(zoo), (0.5, 0.25, 0.25))
    monkeypatch.undo()
    assert [os.path.basename(p) for p in renamed] == ["settings.json", "train.pt"]
    assert len(ZooFolder(str(zoo), "train")) == 6
    with pytest.raises(ValueError, match="val.pt: its content does not match"):
        ZooFolder(str(zoo), "val")
