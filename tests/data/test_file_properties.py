"""Random bytes, truncations and byte flips of valid files: a clear ``ValueError`` naming the file, or a
successful load, never another exception (nothing from a file is ever run)."""
import os
import tempfile

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from safetensors.torch import save_file

from sne_pyg import SNE, convert
from sne_pyg.data.checkpoints import load_state_dict
from sne_pyg.data.dataset import read_networks, write_networks
from sne_pyg.nn.checkpoint import load_model
from tests import builders
from tests.strategies import PROPERTY_SETTINGS

FOLDER = tempfile.mkdtemp(prefix="sne_pyg_fuzz_")


def _valid_files() -> dict[str, bytes]:
    state = builders.mlp().state_dict()
    paths = {"state.pt": lambda p: torch.save(state, p),
             "state.safetensors": lambda p: save_file({k: v.contiguous() for k, v in state.items()}, p),
             "split.pt": lambda p: write_networks([convert(builders.mlp(seed=i), 8) for i in range(3)], p),
             "model.safetensors": lambda p: SNE(hidden=8).save(p)}
    out = {}
    for name, write in paths.items():
        path = os.path.join(FOLDER, name)
        write(path)
        out[name] = open(path, "rb").read()
    return out


VALID = _valid_files()
READERS = {"state.pt": load_state_dict, "state.safetensors": load_state_dict, "split.pt": read_networks,
           "model.safetensors": load_model}


def _mutated(blob: bytes, cut: float, flips: list[tuple[float, int]], junk: bytes | None) -> bytes:
    if junk is not None:
        return junk
    data = bytearray(blob[: max(0, int(len(blob) * cut))])
    for where, value in flips:
        if data:
            data[int(where * (len(data) - 1))] = value
    return bytes(data)


@pytest.mark.parametrize("name", sorted(VALID))
@PROPERTY_SETTINGS
@given(cut=st.floats(0, 1), flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=4),
       junk=st.none() | st.binary(max_size=300))
def test_damaged_files_fail_cleanly(name, cut, flips, junk):
    path = os.path.join(FOLDER, f"damaged_{name}")
    with open(path, "wb") as f:
        f.write(_mutated(VALID[name], cut, flips, junk))
    try:
        READERS[name](path)
    except ValueError as error:
        assert path in str(error)
