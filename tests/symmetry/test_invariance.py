import pytest
import torch
from torch import nn
from torch_geometric.loader import DataLoader

from sne_pyg import SNE, convert
from sne_pyg.nn.baselines import DeepSets, DWSNet, NeuralGraph
from sne_pyg.symmetry import logit_invariance_loss
from sne_pyg.symmetry.invariance import forward_with_invariance
from sne_pyg.train import TrainConfig, fit
from tests import builders

WIDTHS = (3, 8, 6, 1)


def _batch(n=6):
    return next(iter(DataLoader([convert(builders.mlp(i, WIDTHS), chunk_size=8) for i in range(n)], batch_size=n)))


def _relative_gap(model) -> float:
    """LI loss relative to how much the outputs of different networks differ."""
    batch = _batch()
    with torch.no_grad():
        out = model(batch)
        loss = logit_invariance_loss(model, batch, samples=3, generator=torch.Generator().manual_seed(0))
    return float(loss / out.var(0).sum())


@pytest.mark.parametrize("cls", [DWSNet, NeuralGraph, DeepSets])
def test_zero_for_models_invariant_by_construction(cls):
    torch.manual_seed(0)
    assert _relative_gap(cls(hidden=16).double().eval()) < 1e-12


def test_positive_for_sne_at_init():
    torch.manual_seed(0)
    assert _relative_gap(SNE(hidden=16, heads=2).double().eval()) > 1e-3


def test_training_with_logit_invariance_makes_sne_more_invariant():
    zoo = [convert(builders.mlp(i, WIDTHS), chunk_size=8, y=[float(i % 3)]) for i in range(12)]
    gaps = {}
    for weight in (0.0, 100.0):
        torch.manual_seed(0)
        model = SNE(hidden=16, heads=2)
        fit(model, zoo[:8], zoo[8:], TrainConfig(epochs=20, batch_size=4, li_weight=weight, patience=100,
                                                 progress=False))
        model.eval()
        with torch.no_grad():
            gaps[weight] = float(logit_invariance_loss(model, _batch(12), 4, torch.Generator().manual_seed(9)))
    assert gaps[100.0] < 0.2 * gaps[0.0]      # measured: 50x smaller


def test_samples_must_be_positive():
    with pytest.raises(ValueError, match="samples"):
        logit_invariance_loss(nn.Identity(), None, samples=0)


def test_a_batch_with_derived_views_stacks_with_its_transformed_copies():
    """NeuralGraph's prepared batches carry its graph view (``ng_*``), which the transforms drop: the
    invariance pass must still stack them (it raised ``KeyError: 'ng_x'``) and give the plain outputs."""
    torch.manual_seed(0)
    model = NeuralGraph(hidden=16).double().eval()
    networks = [convert(builders.mlp(i, WIDTHS), chunk_size=8) for i in range(6)]
    prepared = next(iter(DataLoader([model.prepare(n) for n in networks], batch_size=6)))
    assert any(k.startswith("ng_") for k in prepared.keys())
    with torch.no_grad():
        out, loss = forward_with_invariance(model, prepared, 2, torch.Generator().manual_seed(0))
        torch.testing.assert_close(out, model(prepared))
    assert float(loss) < 1e-20
