"""Every expected failure of the command line is one line naming the file, key or flag, with exit code 2,
and it comes before any training; runs are not overwritten by accident."""
import os

import pytest
import torch
from torch import nn

from sne_pyg.cli import main


def fails(capsys, argv, *expected) -> str:
    """Run ``argv``; it must exit 2 with one ``sne-pyg ...: error:`` line holding every ``expected`` text."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    return err


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "net.pt"
    torch.save(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).state_dict(), path)
    return path


def test_corrupt_and_truncated_checkpoints_are_named(tmp_path, checkpoint, trained_run, capsys):
    (tmp_path / "rand.safetensors").write_bytes(os.urandom(300))
    fails(capsys, ["info", str(tmp_path / "rand.safetensors")], "rand.safetensors", "not a readable .safetensors")
    blob = checkpoint.read_bytes()
    (tmp_path / "half.pt").write_bytes(blob[: len(blob) // 2])
    fails(capsys, ["info", str(tmp_path / "half.pt")], "half.pt", "not a readable file")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.pt").write_bytes(blob)
    (folder / "b.pt").write_bytes(blob[:100])                      # one bad file inside a checkpoint folder
    fails(capsys, ["encode", "--model", str(trained_run / "model.safetensors"), "--data", str(folder),
                   "--out", str(tmp_path / "e.npz"), "--no-progress"], "b.pt", "not a readable file")


def test_a_folder_or_a_state_dict_where_a_model_file_belongs(tmp_path, checkpoint, trained_run, tiny_zoo, capsys):
    fails(capsys, ["evaluate", "--model", str(trained_run), "--data", str(tiny_zoo), "--out", str(tmp_path / "a")],
          "is a folder; expected a model file")
    fails(capsys, ["evaluate", "--model", str(checkpoint), "--data", str(tiny_zoo), "--out", str(tmp_path / "b")],
          "net.pt", "not an sne_pyg model file")


def test_config_file_errors(tmp_path, tiny_zoo, capsys):
    out = str(tmp_path / "run")
    (tmp_path / "syntax.toml").write_text("epochs = [1,\n")
    fails(capsys, ["train", "--config", str(tmp_path / "syntax.toml"), "--data", str(tiny_zoo), "--out", out],
          "syntax.toml", "not valid TOML")
    (tmp_path / "syntax.json").write_text('{"epochs": 1,}')
    fails(capsys, ["train", "--config", str(tmp_path / "syntax.json"), "--data", str(tiny_zoo), "--out", out],
          "syntax.json", "not valid JSON")
    fails(capsys, ["train", "--config", str(tmp_path / "missing.toml"), "--data", str(tiny_zoo), "--out", out],
          "missing.toml", "no such file")
    (tmp_path / "choice.toml").write_text('embedding_plot = "umap"\n')
    fails(capsys, ["train", "--config", str(tmp_path / "choice.toml"), "--data", str(tiny_zoo), "--out", out],
          "embedding_plot = 'umap' is not one of ['pca', 'tsne']")
    (tmp_path / "zero.toml").write_text("epochs = 0\n")
    fails(capsys, ["train", "--config", str(tmp_path / "zero.toml"), "--data", str(tiny_zoo), "--out", out],
          "epochs = 0", ">= 1")
    assert not os.path.exists(out)                                 # nothing was trained or written


@pytest.mark.parametrize("flag", ["--epochs", "--hidden", "--batch-size"])
def test_zero_sizes_are_refused_by_the_parser(flag, tiny_zoo, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--data", str(tiny_zoo), "--out", str(tmp_path / "r"), flag, "0"])
    assert stop.value.code == 2
    assert f"argument {flag}: must be a whole number >= 1, got '0'" in capsys.readouterr().err


def test_out_that_is_a_file_is_refused_before_training(tmp_path, tiny_zoo, trained_run, capsys):
    (tmp_path / "afile").write_text("keep me")
    fails(capsys, ["train", "--data", str(tiny_zoo), "--out", str(tmp_path / "afile"), "--hidden", "8",
                   "--epochs", "1", "--no-progress"], "afile: is a file")
    fails(capsys, ["encode", "--model", str(trained_run / "model.safetensors"), "--data", str(tiny_zoo),
                   "--out", str(tmp_path)], "must end in one of")
    (tmp_path / "dir.npz").mkdir()
    fails(capsys, ["encode", "--model", str(trained_run / "model.safetensors"), "--data", str(tiny_zoo),
                   "--out", str(tmp_path / "dir.npz")], "dir.npz: is a folder")
    assert (tmp_path / "afile").read_text() == "keep me"


def test_classification_on_real_valued_targets_is_refused_before_training(tiny_zoo, tmp_path, capsys):
    fails(capsys, ["train", "--data", str(tiny_zoo), "--out", str(tmp_path / "c"), "--task", "classification",
                   "--hidden", "8", "--epochs", "1", "--no-progress"], "integer class labels")
    assert not (tmp_path / "c").exists()


def test_runs_are_not_overwritten_unless_asked(tiny_zoo, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--data", str(tiny_zoo), "--out", str(out), "--hidden", "8", "--epochs", "1",
            "--batch-size", "8", "--no-progress"]
    assert main(args) == 0
    first = (out / "model.safetensors").read_bytes()
    (out / "notes.txt").write_text("mine")
    fails(capsys, args, "already holds a run", "--overwrite")
    assert (out / "model.safetensors").read_bytes() == first
    (out / "pred_vs_true.png").unlink()
    assert main(args + ["--overwrite", "--task", "regression", "--seed", "3"]) == 0
    assert (out / "model.safetensors").read_bytes() != first       # replaced by the new run
    assert (out / "notes.txt").read_text() == "mine"               # files the run did not write are left alone
    capsys.readouterr()
    emb = ["encode", "--model", str(out / "model.safetensors"), "--data", str(tiny_zoo), "--out",
           str(tmp_path / "z.csv"), "--no-progress"]
    assert main(emb) == 0
    fails(capsys, emb, "z.csv: exists", "--overwrite")
    assert main(emb + ["--overwrite"]) == 0
    assert not list(tmp_path.glob("*.partial*"))                   # outputs are written whole, then renamed
