"""Training loop and metrics."""
from .loop import (TargetScaler, TrainConfig, TrainResult, fit, predict, recalibrate_batchnorm, seed_everything,
                   targets_of)
from .metrics import kendall_tau, mse

__all__ = ["fit", "predict", "TrainConfig", "TrainResult", "TargetScaler", "seed_everything", "targets_of", "recalibrate_batchnorm",
           "mse", "kendall_tau"]
