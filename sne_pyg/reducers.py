"""Unsupervised embeddings of flat weight vectors: the paper's PCA, kernel PCA and UMAP baselines.

Each reducer is fitted on the training split only and then maps every split, so a linear probe
(:func:`sne_pyg.probe.linear_probe`) scores it exactly as it scores a learned encoder:

* ``"pca"`` -- principal components (scikit-learn's ``PCA``);
* ``"kpca-cos"`` / ``"kpca-rbf"`` -- kernel PCA with a cosine / RBF kernel (``KernelPCA``);
* ``"umap"`` -- UMAP (McInnes et al. 2018) from the ``umap-learn`` package, when it is installed
  (``pip install sne_pyg[umap]``): a well-kept implementation of a method we would not rewrite.

>>> embed = fit_reducer("pca", Z_train, latent=32, seed=0)
>>> Z_test_low = embed(Z_test)
"""
from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.decomposition import PCA, KernelPCA

REDUCERS = ("pca", "kpca-cos", "kpca-rbf", "umap")


def umap_available() -> bool:
    return importlib.util.find_spec("umap") is not None


def available_reducers() -> tuple[str, ...]:
    """:data:`REDUCERS` without ``"umap"`` where ``umap-learn`` is not installed."""
    return tuple(r for r in REDUCERS if r != "umap" or umap_available())


def fit_reducer(name: str, train: np.ndarray, latent: int, seed: int = 0) -> Callable[[np.ndarray], np.ndarray]:
    """Fit reducer ``name`` on ``train [N, d]``; returns ``z -> [len(z), k]`` with ``k <= latent``."""
    train = np.asarray(train, dtype=np.float64)
    if train.ndim != 2 or len(train) < 2:
        raise ValueError(f"reducers fit on [N >= 2, d] training embeddings, got shape {train.shape}")
    if isinstance(latent, bool) or not isinstance(latent, int) or latent < 1:
        raise ValueError(f"latent must be an int >= 1, got {latent!r}")
    if name == "pca":
        model = PCA(n_components=min(latent, *train.shape), random_state=seed).fit(train)
    elif name in ("kpca-cos", "kpca-rbf"):
        kernel = "cosine" if name == "kpca-cos" else "rbf"
        model = KernelPCA(n_components=min(latent, len(train) - 1), kernel=kernel, random_state=seed).fit(train)
    elif name == "umap":
        if not umap_available():
            raise ImportError("the UMAP baseline needs umap-learn: pip install 'sne_pyg[umap]'")
        import umap
        with warnings.catch_warnings():        # a fixed random_state forces one thread, which it says
            warnings.simplefilter("ignore", UserWarning)
            model = umap.UMAP(n_components=min(latent, len(train) - 2), n_neighbors=min(15, len(train) - 1),
                              random_state=seed).fit(train)
    else:
        raise ValueError(f"unknown reducer {name!r}; available: {REDUCERS}")
    return lambda z: model.transform(np.asarray(z, dtype=np.float64))
