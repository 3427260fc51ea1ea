r"""Linear probes of network embeddings: how much of a property a representation holds linearly.

One protocol scores every embedding alike (HyperRep's :math:`z`, SNE's embedding, raw weights,
layer statistics, PCA): fit on the training split, choose the regularisation on the validation
split, report the test split.

* regression: ridge regression :math:`\min_w \|Zw + b - y\|^2 + \alpha\|w\|^2` (scikit-learn's
  ``Ridge``, intercept unpenalised) for :math:`\alpha` in :data:`ALPHAS` (17 values,
  :math:`10^3 \dots 10^{-5}`, as Schürholt et al. 2021), chosen by validation :math:`R^2`;
  reported: test :math:`R^2` and Kendall's :math:`\tau` of the predictions;
* classification: multinomial logistic regression (cross-entropy, L2 penalty :math:`\alpha`, i.e.
  scikit-learn's ``C = 1/\alpha``) on standardised embeddings, :math:`\alpha` chosen by validation
  accuracy; reported: test accuracy. The paper trains one linear layer with Adam; the exact
  optimum of the same penalised cross-entropy needs no learning-rate or epoch choice. With more
  dimensions than training networks (raw weights) the fit runs in the row space of the training
  embeddings: the penalty makes any part of :math:`w` orthogonal to every training row cost without
  changing a training logit, so the optimum lies in that span, and coordinates in an orthonormal
  basis of it (``V`` of a thin SVD) pose the same problem in ``rank`` instead of ``d`` dimensions.

>>> linear_probe(train=(Z_tr, y_tr), val=(Z_va, y_va), test=(Z_te, y_te))
{'r2': 0.93, 'alpha': 0.1, 'kendall_tau': 0.85, 'val_r2': 0.94}
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import kendalltau
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.preprocessing import StandardScaler

ALPHAS = tuple(float(a) for a in np.logspace(3, -5, 17))
TASKS = ("regression", "classification")


def _numpy(x) -> np.ndarray:
    """A float64 array of a tensor (any device) or array-like."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _arrays(split, name: str) -> tuple[np.ndarray, np.ndarray]:
    z, y = (_numpy(part) for part in split)
    if z.ndim != 2:
        raise ValueError(f"{name}: embeddings must be [N, d], got shape {z.shape}")
    y = y.reshape(len(y), -1)
    if y.shape[0] != z.shape[0]:
        raise ValueError(f"{name}: {z.shape[0]} embeddings but {y.shape[0]} targets")
    if y.shape[1] != 1:
        raise ValueError(f"{name}: one target column per probe, got {y.shape[1]}")
    if not (np.isfinite(z).all() and np.isfinite(y).all()):
        raise ValueError(f"{name}: embeddings and targets must be finite")
    return z, y[:, 0]


def linear_probe(train, val, test, task: str = "regression", alphas=ALPHAS,
                 reduce: bool = True) -> dict[str, float]:
    """Score embeddings ``(Z, y)`` of three splits with a linear model; see the module doc.

    ``reduce`` (classification): fit in the span of the training rows when there are more dimensions than
    training networks (:func:`row_space`: the same optimum, faster); ``False`` fits in all dimensions.

    Returns ``{"r2", "alpha", "kendall_tau", "val_r2"}`` (regression) or
    ``{"accuracy", "alpha", "val_accuracy"}`` (classification).
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    splits = ((train, "train"), (val, "val"), (test, "test"))
    (z_tr, y_tr), (z_va, y_va), (z_te, y_te) = (_arrays(split, name) for split, name in splits)
    if task == "regression":
        return _ridge(z_tr, y_tr, z_va, y_va, z_te, y_te, alphas)
    return _logistic(z_tr, y_tr, z_va, y_va, z_te, y_te, alphas, reduce)


def _ridge(z_tr, y_tr, z_va, y_va, z_te, y_te, alphas) -> dict[str, float]:
    best = None
    for alpha in alphas:
        model = Ridge(alpha=alpha).fit(z_tr, y_tr)
        score = r2_score(y_va, model.predict(z_va))
        if best is None or score > best[0]:
            best = (score, alpha, model)
    score, alpha, model = best
    pred = model.predict(z_te)
    tau = kendalltau(pred, y_te).statistic if len(y_te) > 1 else float("nan")
    return {"r2": float(r2_score(y_te, pred)), "alpha": alpha, "kendall_tau": float(tau), "val_r2": float(score)}


def _logistic(z_tr, y_tr, z_va, y_va, z_te, y_te, alphas, reduce: bool = True) -> dict[str, float]:
    if any(not np.array_equal(y, np.round(y)) for y in (y_tr, y_va, y_te)):
        raise ValueError("classification probes need integer class labels")
    scaler = StandardScaler().fit(z_tr)
    z_tr, z_va, z_te = scaler.transform(z_tr), scaler.transform(z_va), scaler.transform(z_te)
    basis = row_space(z_tr) if reduce else None
    if basis is not None:
        z_tr, z_va, z_te = z_tr @ basis, z_va @ basis, z_te @ basis
    best = None
    for alpha in alphas:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(C=1.0 / alpha, max_iter=2000).fit(z_tr, y_tr.astype(int))
        score = float((model.predict(z_va) == y_va.astype(int)).mean())
        if best is None or score > best[0]:
            best = (score, alpha, model)
    score, alpha, model = best
    accuracy = float((model.predict(z_te) == y_te.astype(int)).mean())
    return {"accuracy": accuracy, "alpha": alpha, "val_accuracy": score}


def row_space(z: np.ndarray, rtol: float = 1e-10) -> np.ndarray | None:
    """``[d, rank]`` orthonormal basis of the span of the rows of ``z`` when ``rank < d``, else ``None``."""
    if z.shape[1] <= z.shape[0]:
        return None
    _, singular, vt = np.linalg.svd(z, full_matrices=False)
    rank = int((singular > rtol * singular[0]).sum()) if singular.size and singular[0] > 0 else 0
    return vt[:max(rank, 1)].T if rank < z.shape[1] else None
