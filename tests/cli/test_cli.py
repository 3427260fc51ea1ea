import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from sne_pyg.cli import COMMANDS, main
from sne_pyg.data.sources import zoo_split
from sne_pyg.data import ZooFolder
from sne_pyg.nn.checkpoint import load_model
from sne_pyg.train import TargetScaler, evaluate
from tests import builders


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: sne-pyg " + command in capsys.readouterr().out


def test_info_counts_parameters_and_chunks_of_a_safetensors_file(tmp_path, capsys):
    model = builders.cnn_bn()
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(tmp_path / "m.safetensors"))
    assert main(["info", str(tmp_path / "m.safetensors"), "--chunk-size", "16"]) == 0
    text = capsys.readouterr().out
    floats = [v for v in state.values() if v.is_floating_point()]
    assert f"{sum(v.numel() for v in floats):,} parameters" in text
    # one layer per module: its parameters (weights, bias, norm statistics) padded to whole chunks
    modules = {}
    for key, value in state.items():
        if value.is_floating_point():
            modules[key.rsplit(".", 1)[0]] = modules.get(key.rsplit(".", 1)[0], 0) + value.numel()
    chunks = sum(math.ceil(n / 16) for n in modules.values())
    assert f"{len(modules)} layers" in text and f"{chunks:,} chunks of 16" in text
    assert "CONV2D" in text and "BATCHNORM" in text and "num_batches_tracked" in text


def test_zoo_folder_written_by_the_cli(tiny_zoo):
    sizes = {s: len(ZooFolder(str(tiny_zoo), s)) for s in ("train", "val", "test")}
    assert sizes == {"train": 32, "val": 4, "test": 4}
    settings = json.loads((tiny_zoo / "settings.json").read_text())
    assert settings["kind"] == "sine_inr" and settings["targets"] == ["frequency"]


def test_train_writes_model_report_and_plots(trained_run, tiny_zoo):
    for name in ("model.safetensors", "results.json", "report.txt", "training_curve.png", "pred_vs_true.png",
                 "embeddings.png"):
        assert (trained_run / name).stat().st_size > 0, name
    results = json.loads((trained_run / "results.json").read_text())
    model, meta = load_model(str(trained_run / "model.safetensors"))
    scaler = TargetScaler.from_state(meta["scaler"])
    # the metrics in the report are those of the saved model, recomputed independently
    expected = evaluate(model, zoo_split(str(tiny_zoo), "test"), "regression", scaler)
    assert results["metrics"]["test"]["mse"] == pytest.approx(expected["mse"], rel=1e-6)
    assert len(results["history"]) == results["epochs_run"] == 2
    assert "test" in (trained_run / "report.txt").read_text()


def test_evaluate_reproduces_the_training_metrics(trained_run, tiny_zoo, tmp_path):
    out = tmp_path / "eval"
    assert main(["evaluate", "--model", str(trained_run / "model.safetensors"), "--data", str(tiny_zoo),
                 "--out", str(out)]) == 0
    ours = json.loads((out / "results.json").read_text())["metrics"]["test"]
    trained = json.loads((trained_run / "results.json").read_text())["metrics"]["test"]
    assert ours == pytest.approx(trained, rel=1e-9)
    assert (out / "pred_vs_true.png").exists() and (out / "embeddings.png").exists()


@pytest.mark.parametrize("suffix", [".npz", ".csv", ".safetensors"])
def test_encode_writes_the_encoder_embeddings(trained_run, tiny_zoo, tmp_path, suffix):
    out = tmp_path / f"emb{suffix}"
    assert main(["encode", "--model", str(trained_run / "model.safetensors"), "--data", str(tiny_zoo),
                 "--split", "test", "--out", str(out)]) == 0
    model, _ = load_model(str(trained_run / "model.safetensors"))
    networks = zoo_split(str(tiny_zoo), "test")
    from torch_geometric.data import Batch
    expected = model.encode(Batch.from_data_list(networks)).detach()
    if suffix == ".npz":
        loaded = np.load(out)
        got = torch.from_numpy(loaded["embeddings"])
        assert loaded["y"].shape == (4, 1)
    elif suffix == ".csv":
        rows = [line.split(",") for line in out.read_text().splitlines()[1:]]
        got = torch.tensor([[float(v) for v in row[1:]] for row in rows])
    else:
        from safetensors.torch import load_file
        got = load_file(str(out))["embeddings"]
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_encode_a_single_checkpoint_and_a_checkpoint_folder(trained_run, tmp_path):
    folder = tmp_path / "ckpts"
    folder.mkdir()
    for i in range(3):
        torch.save(builders.mlp(seed=i).state_dict(), folder / f"net{i}.pt")
    out = tmp_path / "folder.npz"
    assert main(["encode", "--model", str(trained_run / "model.safetensors"), "--data", str(folder),
                 "--out", str(out), "--no-progress"]) == 0
    folder_emb = np.load(out)
    assert folder_emb["names"].tolist() == ["net0.pt", "net1.pt", "net2.pt"]
    assert main(["encode", "--model", str(trained_run / "model.safetensors"), "--data", str(folder / "net1.pt"),
                 "--out", str(tmp_path / "one.npz")]) == 0
    # a network's embedding does not depend on the other networks it is encoded with
    np.testing.assert_allclose(np.load(tmp_path / "one.npz")["embeddings"][0], folder_emb["embeddings"][1],
                               rtol=1e-5, atol=1e-6)


def test_config_file_sets_defaults_and_flags_override(tiny_zoo, tmp_path):
    config = tmp_path / "train.toml"
    config.write_text(f'data = "{tiny_zoo}"\nhidden = 8\nepochs = 3\nbatch-size = 16\nno_progress = true\n')
    out = tmp_path / "run"
    assert main(["train", "--config", str(config), "--out", str(out), "--epochs", "1"]) == 0
    settings = json.loads((out / "results.json").read_text())["settings"]
    assert settings["hidden"] == 8 and settings["batch_size"] == 16 and settings["epochs"] == 1
    assert settings["data"] == str(tiny_zoo)
    bad = tmp_path / "bad.json"
    bad.write_text('{"hiden": 8}')
    assert main(["train", "--config", str(bad), "--data", str(tiny_zoo), "--out", str(out)]) == 2


def test_errors_are_one_line_messages(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert "is not a zoo folder" in capsys.readouterr().err
    assert main(["info", str(tmp_path / "missing.txt")]) == 2
    assert "unknown checkpoint type" in capsys.readouterr().err
