import pytest
from torch import nn

from sne_pyg.nn import MODELS, build_model, parse_models, register_model


def test_every_registered_model_builds_with_the_common_keywords():
    for name in MODELS:
        model = build_model(name, hidden=8, out_dim=3)
        assert isinstance(model, nn.Module)
        assert model.config["hidden"] == 8 and model.config["out_dim"] == 3


def test_parse_and_errors():
    assert parse_models("sne, dwsnet") == ["sne", "dwsnet"]
    assert parse_models("all") == list(MODELS)
    with pytest.raises(ValueError, match="unknown model"):
        parse_models("sne,gpt")
    with pytest.raises(ValueError, match="already registered"):
        register_model("sne")(nn.Linear)
