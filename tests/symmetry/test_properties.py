"""Property-based check: a random element of the derived permutation group never changes the function."""
import copy

import torch
from hypothesis import given
from hypothesis import strategies as st

from sne_pyg.symmetry import derive_permutation_spec
from tests.strategies import PROPERTY_SETTINGS, example_input, networks


@PROPERTY_SETTINGS
@given(model=networks(), seed=st.integers(0, 2**31 - 1))
def test_derived_permutations_keep_the_function(model, seed):
    model = model.double().eval()
    spec = derive_permutation_spec(model)
    permuted = copy.deepcopy(model)
    permuted.load_state_dict(spec.apply(model.state_dict(), spec.sample(torch.Generator().manual_seed(seed))))
    x = example_input(model).double()
    with torch.no_grad():
        assert torch.allclose(permuted(x), model(x), atol=1e-9, rtol=1e-7)
