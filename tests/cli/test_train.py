"""``sne-pyg train`` and ``pretrain`` stopped mid-training: the same command run again resumes from the epoch
checkpoint in ``--out``; a checkpoint of other settings or other data is refused, naming what differs."""
import json

import pytest
import torch
from safetensors.torch import load_file

from sne_pyg.cli import main
from sne_pyg.cli.distributed_run import CHECKPOINT
from tests.builders import stop_at, stop_ssl_at


def _train_args(zoo, out, *extra):
    return ["train", "--data", str(zoo), "--out", str(out), "--hidden", "8", "--epochs", "4", "--batch-size", "8",
            "--patience", "4", "--no-progress", *extra]


def _pretrain_args(zoo, out, *extra):
    return ["pretrain", "--data", str(zoo), "--out", str(out), "--model", "sne", "--hidden", "8", "--epochs", "3",
            "--batch-size", "8", "--beta", "1.0", "--no-progress", *extra]


def _stopped(monkeypatch, module: str, function: str, stop: dict, args: list[str]) -> None:
    """Run the command with ``module.function`` given ``stop`` (which interrupts its training) and restore it."""
    import importlib
    owner = importlib.import_module(module)
    original = getattr(owner, function)
    with monkeypatch.context() as patch:
        patch.setattr(owner, function, lambda *a, **k: original(*a, **{**k, **stop}))
        with pytest.raises(KeyboardInterrupt):
            main(args)


@pytest.mark.parametrize("command", ["train", "pretrain"])
def test_a_stopped_command_run_again_resumes_and_ends_as_an_uninterrupted_one(tiny_zoo, tmp_path, monkeypatch,
                                                                                command, capsys):
    make, module, function, stop, weights = {
        "train": (_train_args, "sne_pyg.cli.train", "fit", {"on_epoch": stop_at(2)}, "model.safetensors"),
        "pretrain": (_pretrain_args, "sne_pyg.cli.pretrain", "fit_ssl", {"monitor": stop_ssl_at(1)},
                     "encoder.safetensors")}[command]
    assert main(make(tiny_zoo, tmp_path / "whole")) == 0
    assert not (tmp_path / "whole" / CHECKPOINT).exists()            # removed once training ended
    out = tmp_path / "out"
    _stopped(monkeypatch, module, function, stop, make(tiny_zoo, out))
    assert (out / CHECKPOINT).exists() and not (out / weights).exists()
    capsys.readouterr()
    assert main(make(tiny_zoo, out)) == 0
    resumed_at = {"train": 2, "pretrain": 1}[command]
    assert f"resumed at epoch {resumed_at} from {out / CHECKPOINT}" in capsys.readouterr().out
    assert not (out / CHECKPOINT).exists()
    whole, resumed = (json.loads((folder / "results.json").read_text()) for folder in (tmp_path / "whole", out))
    assert resumed["history"] == whole["history"] and resumed["best_epoch"] == whole["best_epoch"]
    assert (resumed["resumed_at_epoch"], whole["resumed_at_epoch"]) == (resumed_at, 0)
    expected, got = load_file(str(tmp_path / "whole" / weights)), load_file(str(out / weights))
    assert expected.keys() == got.keys() and all(torch.equal(expected[k], got[k]) for k in expected)


def test_a_checkpoint_of_other_settings_or_other_data_is_refused_naming_what_differs(tiny_zoo, tmp_path,
                                                                                     monkeypatch, capsys):
    out = tmp_path / "out"
    _stopped(monkeypatch, "sne_pyg.cli.train", "fit", {"on_epoch": stop_at(1)}, _train_args(tiny_zoo, out))
    before = (out / CHECKPOINT).read_bytes()
    capsys.readouterr()
    assert main(_train_args(tiny_zoo, out, "--lr", "0.002")) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and CHECKPOINT in error and error.endswith("remove it to start over")
    assert "(lr: 0.001 vs 0.002)" in error                            # the only difference, named once
    other = tmp_path / "other_zoo"
    other.mkdir()
    for name in ("train", "val", "test"):                            # the same networks, in another folder
        (other / f"{name}.pt").write_bytes((tiny_zoo / f"{name}.pt").read_bytes())
    assert main(_train_args(other, out)) == 2
    error = capsys.readouterr().err
    assert "checkpoint_tag.data:" in error and str(other) in error
    assert (out / CHECKPOINT).read_bytes() == before                 # kept as it was
