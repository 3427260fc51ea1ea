import csv
import gzip

import numpy as np
import pytest
import torch

from sne_pyg.data import ZooFolder
from sne_pyg.zoos.architectures import build_classifier
from tests.builders import load_script

TF_NAMES = ["sequential/conv2d/kernel:0", "sequential/conv2d/bias:0", "sequential/conv2d_1/kernel:0",
            "sequential/conv2d_1/bias:0", "sequential/conv2d_2/kernel:0", "sequential/conv2d_2/bias:0",
            "sequential/dense/kernel:0", "sequential/dense/bias:0"]


def _to_tf(p: torch.Tensor) -> np.ndarray:
    """PyTorch -> TensorFlow layout, written independently of the converter: conv (out, in, kh, kw) ->
    (kh, kw, in, out), dense (out, in) -> (in, out)."""
    a = p.detach().numpy()
    if a.ndim == 4:
        return np.einsum("oihw->hwio", a)
    if a.ndim == 2:
        return np.einsum("oi->io", a)
    return a


def _write_small_cnn_zoo(folder, runs=6, steps=(1000, 2000)):
    models, rows, weight_rows = [], [], []
    for r in range(runs):
        for s, step in enumerate(steps):
            torch.manual_seed(100 * r + s)
            model = build_classifier("arch1", "relu").eval()
            models.append(model)
            weight_rows.append(np.concatenate([_to_tf(p).ravel() for p in model.parameters()]))
            rows.append({"modeldir": f"run{r}", "step": str(step), "test_accuracy": f"{0.1 * r + 0.01 * s:.4f}",
                         "train_accuracy": "0.5"})
    weights = np.stack(weight_rows).astype(np.float32)
    np.save(folder / "weights.npy", weights)
    with gzip.open(folder / "metrics.csv.gz", "wt", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    start, layout = 0, []
    for name, p in zip(TF_NAMES, models[0].parameters()):
        shape = _to_tf(p).shape
        layout.append([name, start, start + int(np.prod(shape)), int(np.prod(shape)), str(shape)])
        start += int(np.prod(shape))
    with open(folder / "layout.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["varname", "start_idx", "end_idx", "size", "shape"])
        writer.writerows(layout)
    return models, weights


def test_converted_networks_compute_what_the_source_networks_compute(tmp_path):
    source = tmp_path / "small_cnn_zoo"
    source.mkdir()
    models, _ = _write_small_cnn_zoo(source)
    converter = load_script("converters/unterthiner.py")
    sizes = converter.main([str(source), "--out", str(tmp_path / "zoo"), "--chunk-size", "32",
                            "--fractions", "0.5,0.17,0.33"])
    assert sum(sizes.values()) == 12
    x = torch.randn(5, 1, 8, 8)
    runs_per_split = {}
    for split in ("train", "val", "test"):
        for data in ZooFolder(str(tmp_path / "zoo"), split):
            row = int(data.source.split()[1])
            rebuilt = build_classifier("arch1", "relu").eval()
            rebuilt.load_state_dict(data.to_state_dict())
            torch.testing.assert_close(rebuilt(x), models[row](x), rtol=0, atol=0)
            assert float(data.y) == pytest.approx(0.1 * (row // 2) + 0.01 * (row % 2))
            runs_per_split.setdefault(split, set()).add(row // 2)
    # both checkpoints of a run land in the same split
    assert sum(len(r) for r in runs_per_split.values()) == 6


def test_step_filter_nan_rows_and_layout_errors(tmp_path):
    source = tmp_path / "z"
    source.mkdir()
    _, weights = _write_small_cnn_zoo(source)
    weights[2, 7] = np.nan                             # a diverged network
    np.save(source / "weights.npy", weights)
    from sne_pyg.converters import unterthiner
    sizes = unterthiner.main([str(source), "--out", str(tmp_path / "zoo"), "--steps", "1000",
                              "--fractions", "0.34,0.33,0.33"])
    assert sum(sizes.values()) == 5                    # 6 runs at step 1000, one of them NaN
    with pytest.raises(ValueError, match="no column"):
        unterthiner.main([str(source), "--out", str(tmp_path / "zoo2"), "--targets", "loss"])
    with pytest.raises(ValueError, match="do not match"):
        unterthiner.main([str(source), "--out", str(tmp_path / "zoo3"), "--architecture", "mlp"])
    assert unterthiner.parse_shape("(3, 3, 1, 16)") == (3, 3, 1, 16) == unterthiner.parse_shape("3x3x1x16")
