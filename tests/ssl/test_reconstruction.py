"""Reconstruction R²: known answers, PCA's linear reference against an SVD, HyperRep batched = one batch."""
import numpy as np
import pytest
import torch

from sne_pyg import convert
from sne_pyg.nn import HyperRep
from sne_pyg.ssl.reconstruction import (pca_reconstruction_r2, r2_score_total, reconstruction_r2,
                                        reconstruction_targets, targets_and_reconstructions)


def test_r2_is_one_when_exact_zero_at_the_mean_and_pooled_over_coordinates():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 4))
    assert r2_score_total(x, x) == 1.0
    assert r2_score_total(np.broadcast_to(x.mean(0), x.shape), x) == pytest.approx(0.0, abs=1e-12)
    # errors of 1 on one coordinate only: 1 - 10 / (total sum of squares around the column means)
    pred = x.copy()
    pred[:, 2] += 1
    assert r2_score_total(pred, x) == pytest.approx(1 - 10 / ((x - x.mean(0)) ** 2).sum())
    with pytest.raises(ValueError, match="one shape"):
        r2_score_total(x[:, :3], x)


def test_pca_reference_is_exact_on_a_subspace_and_equals_an_svd_projection():
    rng = np.random.default_rng(1)
    basis, offset = rng.normal(size=(3, 20)), rng.normal(size=20)
    train, test = (offset + rng.normal(size=(n, 3)) @ basis for n in (40, 15))
    assert pca_reconstruction_r2(train, test, 3) == pytest.approx(1.0, abs=1e-10)   # the subspace is 3-d
    noisy = test + 0.3 * rng.normal(size=test.shape)
    mean = train.mean(0)
    top = np.linalg.svd(train - mean, full_matrices=False)[2][:2]
    expected = r2_score_total(mean + (noisy - mean) @ top.T @ top, noisy)
    assert pca_reconstruction_r2(train, noisy, 2) == pytest.approx(expected, abs=1e-10)
    assert pca_reconstruction_r2(train, noisy, 2) < pca_reconstruction_r2(train, noisy, 3)


def test_hyperrep_reconstruction_is_the_same_in_batches_and_keeps_the_mode():
    torch.manual_seed(0)
    nets = [convert(torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))) for _ in range(7)]
    model = HyperRep(hidden=4, out_dim=None, d_model=8, blocks=1, heads=2, ff=16, dropout=0.5).train()
    targets, recon = targets_and_reconstructions(model, nets, batch_size=3)
    assert model.training                                           # restored after the eval-mode pass
    model.eval()
    with torch.no_grad():
        whole = model.targets(_batch(nets)).double().numpy()
        direct = model.decode(model.encode(_batch(nets))).double().numpy()
    np.testing.assert_allclose(targets, whole, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(reconstruction_targets(model, nets, batch_size=3), targets)
    np.testing.assert_allclose(recon, direct, rtol=1e-6, atol=1e-6)  # dropout off: deterministic
    assert reconstruction_r2(model, nets) == pytest.approx(r2_score_total(direct, whole), abs=1e-6)


def _batch(nets):
    from torch_geometric.loader import DataLoader
    return next(iter(DataLoader(nets, batch_size=len(nets))))
