import pytest
import torch
from safetensors import safe_open
from torch_geometric.loader import DataLoader

from sne_pyg import SNE, convert
from sne_pyg.nn import MODELS, DeepSets, build_model
from sne_pyg.nn.checkpoint import load_model, read_header, save_model
from sne_pyg.train import materialize, prepare_dataset
from tests import builders


def _networks():
    return [convert(builders.mlp(seed=i), 16, y=[float(i)]) for i in range(6)]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_saved_model_loads_back_with_identical_outputs(tmp_path, name):
    model = build_model(name, hidden=8, out_dim=2)
    data = prepare_dataset(model, _networks())
    materialize(model, data)
    model.train()(next(iter(DataLoader(data, batch_size=6))))   # moves the BatchNorm statistics off their init
    model.eval()
    batch = next(iter(DataLoader(data, batch_size=6)))
    expected = model(batch)
    path = str(tmp_path / "model.safetensors")
    save_model(model, path, metadata={"task": "regression", "note": [1, 2]})
    loaded, metadata = load_model(path)
    assert type(loaded) is type(model) and not loaded.training
    assert metadata == {"task": "regression", "note": [1, 2]}
    assert torch.equal(loaded(batch), expected)
    assert read_header(path)["config"] == model.config


def test_sne_save_and_load_methods(tmp_path):
    torch.manual_seed(3)
    model = SNE(hidden=16, out_dim=3, layer_block="isab", num_inducing=4).eval()
    batch = next(iter(DataLoader(_networks(), batch_size=6)))
    path = str(tmp_path / "sne.safetensors")
    model.save(path)
    loaded = SNE.load(path)
    assert loaded.config == model.config
    assert torch.equal(loaded(batch), model(batch))
    with safe_open(path, framework="pt") as f:     # plain tensors + JSON header, nothing to unpickle
        assert set(f.keys()) == set(model.state_dict())


def test_load_refuses_the_wrong_class_and_foreign_files(tmp_path):
    path = str(tmp_path / "ds.safetensors")
    DeepSets(hidden=8).save(path)
    with pytest.raises(ValueError, match="not a SNE"):
        SNE.load(path)
    from safetensors.torch import save_file
    save_file({"w": torch.zeros(2)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match="not an sne_pyg model file"):
        load_model(str(tmp_path / "other.safetensors"))


def test_save_refuses_unbuilt_lazy_models_and_unregistered_classes(tmp_path):
    with pytest.raises(ValueError, match="lazily built"):
        save_model(MODELS["flat_mlp"](hidden=8), str(tmp_path / "x.safetensors"))

    class Mine(SNE):
        pass
    with pytest.raises(ValueError, match="not a registered model"):
        save_model(Mine(hidden=8), str(tmp_path / "y.safetensors"))
    assert not (tmp_path / "y.safetensors").exists()


def test_a_header_asking_for_absurd_sizes_is_refused_before_allocating(tmp_path):
    """DWSNet rebuilt for 10**6 channel groups per tensor would allocate terabytes; the stored tensors say otherwise."""
    import json

    from safetensors.torch import save_file
    model = build_model("dwsnet", hidden=8, out_dim=1, layers=2, features=4)
    data = prepare_dataset(model, _networks())
    materialize(model, data)
    path = str(tmp_path / "dws.safetensors")
    save_model(model, path)
    header = {k: v for k, v in read_header(path).items() if k != "shapes"}
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    forged = {"format": "sne_pyg.model/1", "model": "dwsnet", "config": json.dumps(header["config"]),
              "lazy_state": json.dumps({"layout": dict(header["lazy_state"]["layout"],
                                                       multiplicity=[10**6] * len(header["lazy_state"]["layout"]["dims"]))}),
              "metadata": "{}"}
    save_file(tensors, str(tmp_path / "forged.safetensors"), metadata=forged)
    with pytest.raises(ValueError, match="forged.safetensors: the header's configuration does not match the stored"):
        load_model(str(tmp_path / "forged.safetensors"))
    huge = dict(forged, lazy_state=json.dumps(header["lazy_state"]),
                config=json.dumps(dict(header["config"], hidden=10**7)))
    save_file(tensors, str(tmp_path / "wide.safetensors"), metadata=huge)
    with pytest.raises(ValueError, match="does not match the stored tensors"):
        load_model(str(tmp_path / "wide.safetensors"))
    key = "readout.lins.0.weight"
    assert torch.equal(load_model(path)[0].state_dict()[key], model.state_dict()[key])
