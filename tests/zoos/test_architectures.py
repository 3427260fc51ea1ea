import pytest
import torch

from sne_pyg import convert
from sne_pyg.symmetry import random_permutation
from sne_pyg.zoos.architectures import ARCHITECTURES, build_classifier


def _count(shapes):
    total = 0
    for shape in shapes:
        n = 1
        for d in shape:
            n *= d
        total += n
    return total


def test_arch1_is_the_unterthiner_small_cnn():
    # 3 x conv(3x3, 16) + bias, then a linear layer 16 -> 10: 4,970 parameters
    expected = _count([(16, 1, 3, 3), (16,), (16, 16, 3, 3), (16,), (16, 16, 3, 3), (16,), (10, 16), (10,)])
    assert expected == 4970
    model = build_classifier("arch1")
    assert sum(p.numel() for p in model.parameters()) == expected
    assert [type(m).__name__ for m in model if hasattr(m, "weight")] == ["Conv2d"] * 3 + ["Linear"]


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_architectures_classify_8x8_and_permute_without_changing_outputs(arch):
    torch.manual_seed(0)
    model = build_classifier(arch, "tanh").eval()
    x = torch.randn(6, 1, 8, 8)
    assert model(x).shape == (6, 10)
    permuted = random_permutation(model, torch.Generator().manual_seed(1), example_input=x)
    torch.testing.assert_close(permuted(x), model(x), rtol=1e-5, atol=1e-5)
    data = convert(model, 64)
    assert data.num_params == sum(p.numel() for p in model.parameters())


def test_bad_names_are_refused():
    with pytest.raises(ValueError, match="architecture"):
        build_classifier("resnet")
    with pytest.raises(ValueError, match="activation"):
        build_classifier("arch1", "swish")
