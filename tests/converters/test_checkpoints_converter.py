import pytest
import torch
from safetensors.torch import save_file

from sne_pyg.data import ZooFolder
from tests import builders
from tests.builders import load_script


def _write_zoo(folder, n=10):
    models, rows = {}, ["file,acc,gap"]
    for i in range(n):
        model = builders.cnn_bn(seed=i)
        name = f"net{i}.safetensors" if i % 2 else f"net{i}.pt"
        state = model.state_dict()
        if name.endswith(".pt"):
            torch.save({"model": state} if i % 4 == 0 else state, folder / name)
        else:
            save_file({k: v.contiguous() for k, v in state.items()}, str(folder / name))
        models[name] = model
        rows.append(f"{name},{0.5 + i / 100},{i / 10}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return models


def test_converted_weights_reproduce_the_source_networks(tmp_path):
    source = tmp_path / "ckpt"
    source.mkdir()
    models = _write_zoo(source)
    converter = load_script("converters/checkpoints.py")
    sizes = converter.main([str(source), "--labels", str(source / "labels.csv"), "--out", str(tmp_path / "zoo"),
                            "--chunk-size", "16", "--fractions", "0.6,0.2,0.2"])
    assert sizes == {"train": 6, "val": 2, "test": 2}
    seen = set()
    x = torch.randn(2, 1, 8, 8)
    for split in ("train", "val", "test"):
        for data in ZooFolder(str(tmp_path / "zoo"), split):
            original = models[data.source]
            rebuilt = builders.cnn_bn(seed=99).eval()
            rebuilt.load_state_dict(data.to_state_dict())
            assert torch.equal(rebuilt(x), original.eval()(x))
            i = int(data.source[3:].split(".")[0])
            assert data.y.tolist() == [[pytest.approx(0.5 + i / 100), pytest.approx(i / 10)]]
            seen.add(data.source)
    assert seen == set(models)


def test_labels_errors_name_the_problem(tmp_path):
    from sne_pyg.converters import checkpoint_folder as converter
    (tmp_path / "labels.csv").write_text("path,acc\nx.pt,1\n")
    with pytest.raises(ValueError, match="'file' column"):
        converter.read_labels(str(tmp_path / "labels.csv"), None)
    (tmp_path / "labels.csv").write_text("file,acc\nx.pt,high\n")
    with pytest.raises(ValueError, match="line 2"):
        converter.read_labels(str(tmp_path / "labels.csv"), None)
    with pytest.raises(ValueError, match=r"\['gap'\]"):
        (tmp_path / "labels.csv").write_text("file,acc\nx.pt,1\n")
        converter.read_labels(str(tmp_path / "labels.csv"), ["gap"])


def test_zoo_folder_missing_split(tmp_path):
    with pytest.raises(FileNotFoundError, match="train"):
        ZooFolder(str(tmp_path), "train")


@pytest.mark.parametrize("text, match", [
    ("file,acc\nx.pt,0.5\ny.pt,nan\n", r"line 3: target\(s\) \['acc'\] are not finite \(\['nan'\]\)"),
    ("file,acc\nx.pt,inf\n", r"line 2: target\(s\) \['acc'\] are not finite"),
    ("file,acc\nx.pt,0.5\ny.pt,0.4\nx.pt,0.5\n", r"line 4: 'x.pt' is listed again \(first on line 2\)"),
    ("file,acc,gap\nx.pt,0.5,0.1\ny.pt,0.4\n", r"line 3: no value for \['gap'\]"),
])
def test_bad_label_rows_are_refused_naming_the_line(tmp_path, text, match):
    from sne_pyg.converters import checkpoint_folder as converter
    (tmp_path / "labels.csv").write_text(text)
    with pytest.raises(ValueError, match=match):
        converter.read_labels(str(tmp_path / "labels.csv"), None)


def test_a_byte_order_mark_is_accepted(tmp_path):
    from sne_pyg.converters import checkpoint_folder as converter
    (tmp_path / "labels.csv").write_bytes("\ufefffile,acc\nx.pt,0.5\n".encode("utf-8"))
    assert converter.read_labels(str(tmp_path / "labels.csv"), None) == (["x.pt"], [[0.5]], ["acc"])
