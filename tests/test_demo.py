import csv
import json

import torch

from sne_pyg import demo
from sne_pyg.train import mse
from sne_pyg.zoos import SineINRZoo

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_quick_demo_reports_what_it_wrote(tmp_path):
    out, root = tmp_path / "out", tmp_path / "zoo"
    report = demo.main(["--quick", "--root", str(root), "--out", str(out), "--no-progress"])
    saved = json.loads((out / "results.json").read_text())
    assert saved["sne_test_mse"] == report["sne_test_mse"]
    with open(out / "predictions.csv") as f:
        rows = list(csv.DictReader(f))
    true = torch.tensor([float(r["true_frequency"]) for r in rows])
    pred = torch.tensor([float(r["predicted_frequency"]) for r in rows])
    assert abs(mse(pred, true) - saved["sne_test_mse"]) < 1e-5
    # the baseline is the train-split mean, recomputed here from the cached zoo
    train = SineINRZoo(str(root), "train", size=40, steps=100, recipe="peers", progress=False)
    mean = torch.cat([d.y for d in train]).mean()
    assert abs(mse(mean.expand_as(true), true) - saved["mean_baseline_test_mse"]) < 1e-5
    assert len(rows) == saved["zoo"]["test"] == 4
    for name in ("pred_vs_true.png", "training_curve.png"):
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
    # the saved model reproduces the predictions it wrote
    from sne_pyg import SNE
    from sne_pyg.train import TargetScaler, predict
    from sne_pyg.nn.checkpoint import read_header
    model = SNE.load(str(out / "model.safetensors"))
    scaler = TargetScaler.from_state(read_header(str(out / "model.safetensors"))["metadata"]["scaler"])
    again, _ = predict(model, SineINRZoo(str(root), "test", size=40, steps=100, recipe="peers", progress=False), scaler)
    torch.testing.assert_close(again.view(-1).float(), pred, rtol=1e-5, atol=1e-5)
