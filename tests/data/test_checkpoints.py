import pickle

import pytest
import torch
from safetensors.torch import save_file

from sne_pyg.data.checkpoints import load_state_dict
from tests import builders


def test_reads_plain_wrapped_and_safetensors(tmp_path):
    state = builders.mlp().state_dict()
    torch.save(state, tmp_path / "plain.pt")
    torch.save({"state_dict": state, "epoch": 3}, tmp_path / "wrapped.pth")
    save_file({k: v.contiguous() for k, v in state.items()}, str(tmp_path / "net.safetensors"))
    for name in ("plain.pt", "wrapped.pth", "net.safetensors"):
        loaded = load_state_dict(str(tmp_path / name))
        assert set(loaded) == set(state)
        assert all(torch.equal(loaded[k], state[k]) for k in state)


class _Evil:
    def __reduce__(self):
        return (print, ("code ran",))


def test_refuses_pickled_code_and_whole_modules(tmp_path):
    with open(tmp_path / "evil.pt", "wb") as f:
        pickle.dump({"weight": _Evil()}, f, protocol=2)
    with pytest.raises(ValueError, match=r"evil.pt: refused to load.*\(it asks for print\)"):
        load_state_dict(str(tmp_path / "evil.pt"))
    torch.save(builders.mlp(), tmp_path / "module.pt")       # a whole nn.Module needs unsafe loading
    with pytest.raises(ValueError, match=r"module.pt: refused to load.*torch.nn.modules.container.Sequential"):
        load_state_dict(str(tmp_path / "module.pt"))


def test_not_a_state_dict_and_unknown_suffix(tmp_path):
    torch.save([1, 2, 3], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="list.pt"):
        load_state_dict(str(tmp_path / "list.pt"))
    with pytest.raises(ValueError, match="unknown checkpoint type"):
        load_state_dict(str(tmp_path / "weights.h5"))
