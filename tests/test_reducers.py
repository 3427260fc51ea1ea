import numpy as np
import pytest

from sne_pyg.probe import linear_probe
from sne_pyg.reducers import REDUCERS, available_reducers, fit_reducer, umap_available


def _data(seed=0, n=60, d=12):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)), rng.normal(size=(20, d))


def test_pca_projects_onto_the_training_splits_top_components():
    train, test = _data()
    embed = fit_reducer("pca", train, latent=4)
    mean = train.mean(0)
    _, _, vt = np.linalg.svd(train - mean, full_matrices=False)
    expected_train, expected_test = (train - mean) @ vt[:4].T, (test - mean) @ vt[:4].T
    # components are defined up to sign: compare Gram matrices, which do not see signs
    assert np.allclose(embed(train) @ embed(test).T, expected_train @ expected_test.T, atol=1e-8)
    assert embed(test).shape == (20, 4)


def test_cosine_kernel_pca_ignores_the_scale_of_each_network():
    train, test = _data(1)
    embed = fit_reducer("kpca-cos", train, latent=5)
    assert np.allclose(embed(test), embed(3.0 * test), atol=1e-8)
    rbf = fit_reducer("kpca-rbf", train, latent=5)
    assert not np.allclose(rbf(test), rbf(3.0 * test))


@pytest.mark.skipif(not umap_available(), reason="umap-learn not installed")
def test_umap_keeps_separated_clusters_separated_and_is_seeded():
    rng = np.random.default_rng(0)
    centres = np.stack([np.zeros(10), np.full(10, 8.0)])
    labels = rng.integers(0, 2, 90)
    points = centres[labels] + rng.normal(size=(90, 10))
    tr, va, te = slice(0, 50), slice(50, 70), slice(70, 90)
    embed = fit_reducer("umap", points[tr], latent=2, seed=0)
    z = embed(points)
    scores = linear_probe((z[tr], labels[tr]), (z[va], labels[va]), (z[te], labels[te]), task="classification")
    assert scores["accuracy"] == 1.0
    # UMAP places new points jointly, so the same points in the same call give the same result
    assert np.array_equal(fit_reducer("umap", points[tr], latent=2, seed=0)(points[te]), embed(points[te]))


def test_available_reducers_and_bad_arguments():
    assert available_reducers() == (REDUCERS if umap_available() else REDUCERS[:-1])
    train, _ = _data()
    with pytest.raises(ValueError, match="unknown reducer 'tsne'"):
        fit_reducer("tsne", train, 2)
    with pytest.raises(ValueError, match="latent must be an int"):
        fit_reducer("pca", train, 0)
    with pytest.raises(ValueError, match="shape"):
        fit_reducer("pca", train[0], 2)
