"""Training loop and metrics shared by every model."""
from .embed import embed
from .loop import (TASKS, TargetScaler, TrainConfig, TrainResult, evaluate, fit, materialize, metrics_of, predict,
                   prepare_dataset, recalibrate_batchnorm, seed_everything, targets_of)
from .metrics import accuracy, kendall_tau, mse

__all__ = ["fit", "embed", "evaluate", "metrics_of", "predict", "prepare_dataset", "materialize", "recalibrate_batchnorm", "TrainConfig",
           "TrainResult", "TargetScaler", "TASKS", "seed_everything", "targets_of", "mse", "kendall_tau", "accuracy"]
