r"""How well an autoencoder of weights (HyperRep) reconstructs networks, against the best linear code.

Both scores are the coefficient of determination over every weight of every network,

.. math::
    R^2 = 1 - \frac{\sum_{n,p} (\hat x_{np} - x_{np})^2}{\sum_{n,p} (x_{np} - \bar x_p)^2},

with :math:`\bar x_p` the mean of coordinate ``p`` over the networks scored: 0 is "every network is the
mean network", 1 is exact. ``x`` is the decoder's target (:meth:`HyperRep.targets`: each layer relative
to its RMS). The linear reference projects onto the first ``k`` principal components of the *training*
networks' targets: with a ``k``-dimensional code no linear encoder-decoder does better on the training
split, so a HyperRep with latent ``k`` below it on held-out networks has not learnt more than PCA did.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch_geometric.loader import DataLoader

from ..data import NetworkData


def r2_score_total(pred: np.ndarray, target: np.ndarray) -> float:
    """:math:`R^2` of ``pred`` against ``target`` (``[networks, coordinates]``), pooled over coordinates."""
    pred, target = np.asarray(pred, float), np.asarray(target, float)
    if pred.shape != target.shape or target.ndim != 2 or len(target) < 2:
        raise ValueError(f"need two [networks >= 2, coordinates] arrays of one shape, got {pred.shape} and {target.shape}")
    return float(1 - ((pred - target) ** 2).sum() / ((target - target.mean(0)) ** 2).sum())


def reconstruction_targets(model, networks: Sequence[NetworkData], batch_size: int = 256) -> np.ndarray:
    """``[networks, coordinates]``: what the decoder reconstructs (no encoding, no decoding)."""
    with torch.no_grad():
        return torch.cat([model.targets(batch).double()
                          for batch in DataLoader(list(networks), batch_size=batch_size)]).numpy()


def targets_and_reconstructions(model, networks: Sequence[NetworkData], batch_size: int = 256
                                ) -> tuple[np.ndarray, np.ndarray]:
    """``(targets, decode(encode(x)))`` of every network, ``[networks, coordinates]`` each, in eval mode."""
    was_training = model.training
    model.eval()
    targets, reconstructions = [], []
    with torch.no_grad():
        for batch in DataLoader(list(networks), batch_size=batch_size):
            targets.append(model.targets(batch).double())
            reconstructions.append(model.decode(model.encode(batch)).double())
    model.train(was_training)
    return torch.cat(targets).numpy(), torch.cat(reconstructions).numpy()


def reconstruction_r2(model, networks: Sequence[NetworkData]) -> float:
    """:math:`R^2` of the model's reconstruction of ``networks`` (see the module docstring)."""
    return r2_score_total(*reversed(targets_and_reconstructions(model, networks)))


def pca_reconstruction_r2(train: np.ndarray, scored: np.ndarray, components: int) -> float:
    """:math:`R^2` of projecting ``scored`` onto the first ``components`` principal directions of ``train``."""
    from sklearn.decomposition import PCA

    components = min(components, len(train) - 1, train.shape[1])
    pca = PCA(n_components=components, svd_solver="full").fit(train)
    return r2_score_total(pca.inverse_transform(pca.transform(scored)), scored)
