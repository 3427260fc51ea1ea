"""Evaluation metrics of the paper's tables."""
from __future__ import annotations

import numpy as np
from scipy.stats import kendalltau
from torch import Tensor


def mse(pred: Tensor, true: Tensor) -> float:
    """Mean squared error over every target."""
    return float((pred.double() - true.double()).pow(2).mean())


def kendall_tau(pred: Tensor, true: Tensor) -> float:
    """Kendall's tau-b rank correlation of one target (SciPy)."""
    tau = kendalltau(np.asarray(pred.detach().cpu()).ravel(), np.asarray(true.detach().cpu()).ravel()).statistic
    return float(tau)


def accuracy(logits: Tensor, labels: Tensor) -> float:
    """Fraction of rows whose arg-max equals the label."""
    return float((logits.argmax(-1) == labels.view(-1)).double().mean())
