"""``sne-pyg pretrain``: self-supervised training on a zoo folder, an encoder file ``encode`` reads."""
import json

import numpy as np
import pytest
import torch

from sne_pyg.cli import main
from sne_pyg.data.sources import zoo_split
from sne_pyg.nn.checkpoint import load_model


def test_pretrained_encoder_embeds_zoos_through_encode(tiny_zoo, tmp_path):
    out = tmp_path / "run"
    args = ["pretrain", "--data", str(tiny_zoo), "--out", str(out), "--model", "sne", "--hidden", "8",
            "--epochs", "2", "--batch-size", "8", "--beta", "1.0", "--no-progress"]
    assert main(args) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["epochs_run"] == 2 and results["world_size"] == 1
    assert results["best_val_loss"] == min(h["val_loss"] for h in results["history"])
    assert main(["encode", "--model", str(out / "encoder.safetensors"), "--data", str(tiny_zoo), "--split", "test",
                 "--out", str(tmp_path / "z.npz"), "--no-progress"]) == 0
    written = np.load(tmp_path / "z.npz")["embeddings"]
    encoder, _ = load_model(str(out / "encoder.safetensors"))
    test = zoo_split(str(tiny_zoo), "test")
    from torch_geometric.data import Batch
    with torch.no_grad():
        direct = encoder(Batch.from_data_list(test)).numpy()
    assert written.shape == (len(test), 8)
    assert np.allclose(written, direct, atol=1e-5)
    # the run is never overwritten by accident; a bad model option is refused by name
    assert main(args) == 2
    with pytest.raises(SystemExit):
        main(args[:-1] + ["--option", "dropout"])
