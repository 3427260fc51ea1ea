import pytest
import torch
from torch import nn
from torch_geometric.loader import DataLoader

from sne_pyg import convert
from sne_pyg.nn import MODELS, NetworkEncoder, SNE, build_model, parse_models, register_model, unregister_model
from sne_pyg.nn.checkpoint import load_model
from sne_pyg.nn.registry import with_revision
from sne_pyg.segment import segment_mean
from sne_pyg.train import TrainConfig, fit
from tests import builders


def test_every_registered_model_builds_with_the_common_keywords():
    for name in MODELS:
        model = build_model(name, hidden=8, out_dim=3)
        assert isinstance(model, NetworkEncoder) and type(model).registered_name == name
        assert model.config["hidden"] == 8 and model.config["out_dim"] == 3
        assert build_model(name, hidden=8, out_dim=None).head is None


def test_registry_order_is_the_table_order():
    assert list(MODELS) == ["sne", "neural_graph", "dwsnet", "nfn_np", "nfn_hnp", "nft", "deepsets", "statnn", "flat_mlp",
                            "hyperrep"]


def test_config_is_every_constructor_argument_with_its_default():
    model = SNE(8, None, heads=2)
    assert model.config == dict(hidden=8, out_dim=None, heads=2, chunk_blocks=2, layer_blocks=2, network_blocks=2,
                                layer_block="sab", network_block="sab", num_inducing=16, ff_mult=2,
                                chunk_batch_size="auto", set_function="attention", encodings="type+level",
                                hierarchy="chunk-layer-network", element_positions="none", neuron_context=False)
    assert repr(model).startswith("SNE(hidden=8, out_dim=None, heads=2,")


def test_parse_and_errors():
    assert parse_models("sne, dwsnet") == ["sne", "dwsnet"]
    assert parse_models("all") == list(MODELS)
    with pytest.raises(ValueError, match="unknown model"):
        parse_models("sne,gpt")
    with pytest.raises(ValueError, match="already registered"):
        register_model("sne")(nn.Linear)
    with pytest.raises(ValueError, match="already registered"):
        class Other(NetworkEncoder, name="sne"):   # noqa: F841 - a second model under a taken name
            def __init__(self, hidden=4, out_dim=1):
                super().__init__()


def test_a_model_defined_outside_the_package_builds_trains_saves_and_loads(tmp_path):
    """``class Toy(NetworkEncoder, name=...)`` is all a new model needs: no edit anywhere else."""
    class Toy(NetworkEncoder, name="toy_mean_values"):
        def __init__(self, hidden: int = 8, out_dim: int | None = 1, scale: float = 1.0):
            super().__init__()
            self.lift = nn.Linear(1, hidden)
            self.scale = scale

        def encode(self, data):
            per_layer = segment_mean(data.chunks.sum(1, keepdim=True) * self.scale, data.layer_ptr)
            return segment_mean(self.lift(per_layer), data.net_ptr)

    try:
        torch.manual_seed(0)
        nets = [convert(builders.mlp(seed=i), 8, y=[float(i)]) for i in range(8)]
        model = build_model("toy_mean_values", hidden=6, out_dim=1, scale=2.0)
        assert isinstance(model, Toy) and model.config == dict(hidden=6, out_dim=1, scale=2.0)
        before = [p.detach().clone() for p in model.parameters()]
        fit(model, nets[:6], nets[6:], TrainConfig(epochs=1, batch_size=3, progress=False))
        assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))   # it trained
        model.eval()
        batch = next(iter(DataLoader(nets, batch_size=8)))
        path = str(tmp_path / "toy.safetensors")
        model.save(path)
        loaded, _ = load_model(path)
        assert type(loaded) is Toy and loaded.config == model.config
        assert torch.equal(loaded(batch), model(batch))
        assert torch.equal(Toy.load(path)(batch), model(batch))
    finally:
        unregister_model("toy_mean_values")
    assert "toy_mean_values" not in MODELS


def test_a_result_cached_before_a_models_revision_is_not_reused(tmp_path):
    """A model whose class raises ``revision`` marks its cached settings; models at revision 1 keep theirs, so
    their earlier results are still read, while a result made before the revision is refused with its file named."""
    from sne_pyg.experiments.cache import cached

    class Revised(NetworkEncoder, name="revised_for_test"):
        revision = 2

        def __init__(self, hidden: int = 8, out_dim: int | None = 1) -> None:
            super().__init__()

    try:
        settings = {"hidden": 32, "epochs": 60}
        assert MODELS["sne"].revision == MODELS["dwsnet"].revision == 1
        assert with_revision("revised_for_test", settings) == dict(settings, model_revision=2)
        assert "model_revision" not in settings and with_revision("dwsnet", settings) == settings
        for name in ("revised_for_test", "dwsnet"):
            cached(str(tmp_path), f"{name}-seed0", lambda: {"mse": 0.5}, settings)     # made at revision 1
        assert cached(str(tmp_path), "dwsnet-seed0", lambda: {"mse": 0.1},
                      with_revision("dwsnet", settings)) == {"mse": 0.5}
        with pytest.raises(ValueError, match="revised_for_test-seed0"):
            cached(str(tmp_path), "revised_for_test-seed0", lambda: {"mse": 0.1},
                   with_revision("revised_for_test", settings))
    finally:
        unregister_model("revised_for_test")
