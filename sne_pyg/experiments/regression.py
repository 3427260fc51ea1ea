"""One regression run of one model on one zoo: train (model selection on val), predict the test networks."""
from __future__ import annotations

import time
from collections.abc import Callable

from torch import nn

from ..nn import build_model
from ..train.loop import TargetScaler, TrainConfig, TrainResult, fit, predict, prepare_dataset, seed_everything
from ..train.metrics import mse


def training_config(seed: int, *, epochs: int, batch_size: int, lr: float, weight_decay: float, augment: bool,
                    li_weight: float, progress: bool, checkpoint: str | None = None) -> TrainConfig:
    """The experiments' one training recipe: early stopping with patience a third of ``epochs`` (at least 3);
    ``checkpoint``: a file where a stopped training resumes (:mod:`sne_pyg.train.resume`)."""
    return TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, augment=augment,
                       li_weight=li_weight, seed=seed, patience=max(epochs // 3, 3), progress=progress,
                       checkpoint=checkpoint)


def fit_seeded(name: str, train, val, scaler: TargetScaler, seed: int, *, hidden: int = 32, epochs: int = 60,
               lr: float = 1e-3, weight_decay: float = TrainConfig.weight_decay, augment: bool = False,
               li_weight: float = 0.0, batch_size: int = 32, progress: bool = False,
               model_options: dict | None = None, on_epoch: Callable[[int, float], None] | None = None,
               checkpoint: str | None = None) -> tuple[nn.Module, TrainResult]:
    """``name`` built and trained with seed ``seed`` on ``train`` (early stopping on ``val``, patience a third of
    ``epochs``): the one training recipe of the experiments and of every tuning trial (``on_epoch``: see
    :func:`~sne_pyg.train.fit`)."""
    seed_everything(seed)                    # the initial weights depend on the seed alone
    model = build_model(name, hidden=hidden, out_dim=train[0].y.size(-1), **(model_options or {}))
    config = training_config(seed, epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                             augment=augment, li_weight=li_weight, progress=progress, checkpoint=checkpoint)
    result = fit(model, prepare_dataset(model, train), prepare_dataset(model, val), config, scaler, on_epoch)
    return model, result


def train_and_test(name: str, zoo: dict[str, list], scaler: TargetScaler, seed: int, **settings) -> dict:
    """Train ``name`` on ``zoo["train"]`` (early stopping on ``zoo["val"]``; ``settings`` as :func:`fit_seeded`)
    and return ``{"mse", "predictions" (first target, test order), "params", "best_epoch", "history",
    "seconds"}`` (``history``: training loss and validation metrics per epoch)."""
    start = time.time()
    model, result = fit_seeded(name, zoo["train"], zoo["val"], scaler, seed, **settings)
    predictions, targets = predict(model, prepare_dataset(model, zoo["test"]), scaler=scaler)
    return {"mse": mse(predictions, targets), "predictions": predictions[:, 0].tolist(),
            "params": sum(p.numel() for p in model.parameters()), "best_epoch": result.best_epoch,
            "history": result.history, "seconds": round(time.time() - start, 1)}
