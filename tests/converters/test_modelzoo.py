"""The raw Model Zoos converter on a folder written the way ray.tune writes one."""
import builtins
import json
import os

import pytest
import torch
from torch import nn

from sne_pyg.cli import main
from sne_pyg.converters.modelzoo import TARGETS, convert_zoo
from sne_pyg.data import ZooFolder
from tests.builders import load_script


class CNN(nn.Module):
    """The zoo's style: a ``module_list`` in which dropout modules shift the indices of later layers."""

    def __init__(self, dropout: float) -> None:
        super().__init__()
        self.module_list = nn.ModuleList([nn.Conv2d(1, 4, 3), nn.Tanh(), nn.Dropout(dropout), nn.Conv2d(4, 3, 3),
                                          nn.Tanh(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                                          nn.Linear(3, 5)])

    def forward(self, x):
        for m in self.module_list:
            x = m(x)
        return x


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return builtins.exec, (f"open({self.marker!r}, 'w').write('ran')",)


def write_zoo(root, trials=6, iterations=(0, 1, 2)):
    models = {}
    for t in range(trials):
        config = {"model::nlin": ["tanh", "relu"][t % 2], "model::init_type": "kaiming_normal",
                  "optim::optimizer": ["adam", "sgd", "adam"][t % 3], "model::dropout": 0.1 * t, "optim::lr": 1e-3,
                  "optim::wd": 1e-4 * t, "seed": t, "model::type": "CNN"}
        trial = root / f"NN_tune_trainable_{t:05d}_{t}_seed={t}"
        trial.mkdir(parents=True)
        (trial / "params.json").write_text(json.dumps(config))
        lines = []
        for it in iterations:
            torch.manual_seed(100 * t + it)
            model = CNN(config["model::dropout"]).eval()
            (trial / f"checkpoint_{it:06d}").mkdir()
            torch.save(model.state_dict(), trial / f"checkpoint_{it:06d}" / "checkpoints")
            models[(trial.name, it)] = model
            lines.append(json.dumps({"training_iteration": it, "train_acc": 0.5 + 0.1 * it, "test_acc": 0.4 + 0.1 * it,
                                     "train_loss": 1.0, "config": config}))
        lines.append(json.dumps({"training_iteration": 9, "train_acc": 0.9, "test_acc": 0.8}))  # no checkpoint
        (trial / "result.json").write_text("\n".join(lines) + "\n")
    (root / "config.json").write_text("{}")
    torch.save({"trap": Payload(str(root / "ran"))}, root / "dataset.pt")    # never to be read
    return models


def test_converted_checkpoints_compute_what_the_sources_compute(tmp_path):
    models = write_zoo(tmp_path / "zoo")
    script = load_script("converters/modelzoo.py")
    sizes = script.main([str(tmp_path / "zoo"), "--out", str(tmp_path / "out"), "--chunk-size", "16"])
    assert sum(sizes.values()) == 18 and not (tmp_path / "zoo" / "ran").exists()
    x = torch.randn(2, 1, 8, 8)
    trials_of = {}
    for split in ("train", "val", "test"):
        for data in ZooFolder(str(tmp_path / "out"), split):
            trial, checkpoint, _ = data.source.split(os.sep)
            iteration = int(checkpoint.split("_")[1])
            source = models[(trial, iteration)]
            rebuilt = CNN(0.0).eval()
            rebuilt.load_state_dict(data.to_state_dict())
            assert torch.equal(rebuilt(x), source(x))
            y = dict(zip(TARGETS, data.y[0].tolist()))
            assert y["test_accuracy"] == pytest.approx(0.4 + 0.1 * iteration)
            assert y["generalization_gap"] == pytest.approx(0.1) and y["epoch"] == iteration
            t = int(trial.split("_")[3])
            assert y["seed"] == t and y["model::dropout"] == pytest.approx(0.1 * t)
            assert y["model::nlin"] == t % 2 and y["optim::optimizer"] == [0, 1, 0][t % 3]
            trials_of.setdefault(trial, set()).add(split)
    assert len(trials_of) == 6 and all(len(splits) == 1 for splits in trials_of.values())   # a trial in one split
    settings = json.loads((tmp_path / "out" / "settings.json").read_text())
    assert settings["categories"]["model::nlin"] == ["tanh", "relu"] and settings["targets"] == list(TARGETS)


def test_a_checkpoint_without_metrics_is_skipped_and_bad_files_are_named(tmp_path, capsys):
    write_zoo(tmp_path / "zoo", trials=3)
    trial = sorted((tmp_path / "zoo").glob("NN_*"))[0]
    (trial / "checkpoint_000005").mkdir()
    torch.save(CNN(0.0).state_dict(), trial / "checkpoint_000005" / "checkpoints")
    networks, trials, _, skipped = convert_zoo(str(tmp_path / "zoo"), 16, progress=False)
    assert len(networks) == 9 and skipped == 1
    torch.save({"w": Payload(str(tmp_path / "ran"))}, trial / "checkpoint_000001" / "checkpoints")
    assert main(["convert", "modelzoo", str(tmp_path / "zoo"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "checkpoint_000001/checkpoints: refused to load" in err and not (tmp_path / "ran").exists()
    (trial / "result.json").write_text("{not json\n")
    with pytest.raises(ValueError, match="result.json, line 1: not JSON"):
        convert_zoo(str(tmp_path / "zoo"), 16, progress=False)
