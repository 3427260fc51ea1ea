"""`sne-pyg train --target NAME`: any factor a classifier zoo records is a target, categorical ones by class."""
import json

import pytest
import torch

from sne_pyg.cli import main
from sne_pyg.data import ZooFolder
from sne_pyg.nn.checkpoint import load_model
from sne_pyg.train import predict, prepare_dataset
from sne_pyg.zoos.classifier_zoo import HPARAM_NAMES


@pytest.fixture(scope="module")
def classifier_zoo(tmp_path_factory):
    out = tmp_path_factory.mktemp("zoo") / "mlp"
    assert main(["zoo", "mlp-shapes", "--size", "12", "--steps", "2", "--checkpoints", "2", "--chunk-size", "32",
                 "--fractions", "0.5,0.25,0.25", "--out", str(out), "--no-progress"]) == 0
    return out


def test_a_categorical_label_trains_a_classifier_on_its_codes(classifier_zoo, tmp_path):
    out = tmp_path / "activation"
    assert main(["train", "--data", str(classifier_zoo), "--out", str(out), "--model", "statnn", "--task",
                 "classification", "--target", "activation", "--hidden", "8", "--epochs", "2", "--batch-size", "8",
                 "--no-progress"]) == 0
    model, meta = load_model(str(out / "model.safetensors"))
    assert meta["target"] == "activation" and meta["task"] == "classification"
    test = list(ZooFolder(str(classifier_zoo), "test"))
    codes = torch.tensor([int(n.hparams[0, HPARAM_NAMES.index("activation")]) for n in test])
    train_codes = [int(n.hparams[0, HPARAM_NAMES.index("activation")]) for n in ZooFolder(str(classifier_zoo), "train")]
    assert meta["out_dim"] == max(train_codes) + 1                     # one logit per activation code
    logits, _ = predict(model, prepare_dataset(model, test))
    expected = float((logits.argmax(-1) == codes).double().mean())   # accuracy against the codes, computed here
    reported = json.loads((out / "results.json").read_text())["metrics"]["test"]["accuracy"]
    assert reported == pytest.approx(expected)


def test_a_numeric_label_by_name_is_a_regression_target(classifier_zoo, tmp_path):
    out = tmp_path / "lr"
    assert main(["train", "--data", str(classifier_zoo), "--out", str(out), "--model", "statnn", "--target",
                 "log10_lr", "--hidden", "8", "--epochs", "2", "--batch-size", "8", "--no-progress"]) == 0
    test = list(ZooFolder(str(classifier_zoo), "test"))
    lr = torch.tensor([float(n.hparams[0, HPARAM_NAMES.index("log10_lr")]) for n in test])
    results = json.loads((out / "results.json").read_text())
    train_lr = torch.tensor([float(n.hparams[0, 0]) for n in ZooFolder(str(classifier_zoo), "train")])
    assert results["baseline_mse"] == pytest.approx(float((lr - train_lr.mean()).pow(2).mean()), rel=1e-5)


def test_an_unknown_label_is_refused_naming_it(classifier_zoo, tmp_path, capsys):
    assert main(["train", "--data", str(classifier_zoo), "--out", str(tmp_path / "x"), "--target", "learning_rate",
                 "--no-progress"]) != 0
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "'learning_rate': unknown label" in error[0] and "log10_lr" in error[0]
    assert not (tmp_path / "x" / "model.safetensors").exists()
