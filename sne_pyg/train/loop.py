"""One seeded training / evaluation loop with early stopping on validation."""
from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn
from torch_geometric.loader import DataLoader
from tqdm.auto import tqdm

from ..nn.norm import local_statistics
from ..symmetry.invariance import forward_with_invariance
from ..symmetry.transforms import permute_batch
from . import distributed as dist_utils
from .batches import NoSingletonBatches
from .metrics import accuracy, kendall_tau, mse
from .resume import checkpoint_epoch, finish_training, resume_training, training_signature

TASKS = ("regression", "classification")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class TargetScaler:
    """Standardise regression targets with the training set's mean and std."""

    def __init__(self, targets: Tensor) -> None:
        self.mean = targets.mean(0)
        self.std = targets.std(0).clamp_min(1e-8) if targets.size(0) > 1 else torch.ones_like(self.mean)

    def encode(self, y: Tensor) -> Tensor:
        return (y - self.mean.to(y)) / self.std.to(y)

    def decode(self, y: Tensor) -> Tensor:
        return y * self.std.to(y) + self.mean.to(y)

    def state(self) -> dict[str, list[float]]:
        """JSON-ready ``{"mean": [...], "std": [...]}`` (stored with a saved model)."""
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_state(cls, state: dict) -> "TargetScaler":
        scaler = cls.__new__(cls)
        scaler.mean = torch.tensor(state["mean"], dtype=torch.float64)
        scaler.std = torch.tensor(state["std"], dtype=torch.float64)
        return scaler


@dataclass
class TrainConfig:
    """Settings of :func:`fit`. ``task``: ``"regression"`` (MSE on standardised targets, model
    selection by validation MSE) or ``"classification"`` (cross-entropy on integer labels in
    ``y``, selection by validation loss)."""

    task: str = "regression"
    epochs: int = 50
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-5
    patience: int = 15           # epochs without validation improvement before stopping
    grad_clip: float | None = 1.0
    li_weight: float = 0.0       # Logit Invariance weight (0: off, the default for every model)
    li_samples: int = 1          # random symmetry transforms per batch for Logit Invariance
    augment: bool = False        # permutation augmentation: a random derived permutation of every training
                                 # network each time it is drawn (the same function, other weights)
    seed: int = 0
    device: str = "cpu"
    progress: bool = True
    checkpoint: str | None = None  # a file: the training state is saved there after every epoch and a
                                 # stopped run resumes from it (deleted when training ends); see train.resume
    checkpoint_tag: dict | None = None  # what else the run depends on (data, model settings): kept in the
                                 # checkpoint's signature, so a checkpoint of another run is refused


@dataclass
class TrainResult:
    best_epoch: int
    best_val: float
    history: list[dict] = field(default_factory=list)
    resumed_at: int = 0              # the first epoch this call trained (> 0: resumed from a checkpoint)


def targets_of(dataset) -> Tensor:
    return torch.cat([dataset[i].y for i in range(len(dataset))])


def prepare_dataset(model: nn.Module, dataset) -> list:
    """Apply ``model.prepare`` (a model's view, e.g. NeuralGraph's graph) once to every network."""
    prepare = getattr(model, "prepare", None)
    if prepare is None:
        return dataset
    return [prepare(dataset[i]) for i in range(len(dataset))]


@torch.no_grad()
def materialize(model: nn.Module, dataset, batch_size: int = 32, device: str = "cpu") -> None:
    """Run one batch through ``model`` (eval mode) so lazily built layers exist before an optimizer does."""
    was_training = model.training
    model.eval()
    model(next(iter(DataLoader(dataset, batch_size=batch_size))).to(device))
    model.train(was_training)


def batch_norms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """Every BatchNorm of ``model`` (their statistics are taken over the networks of a batch)."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, dataset, batch_size: int = 64, device: str = "cpu") -> None:
    """Recompute every BatchNorm's running statistics from one pass over ``dataset``.

    Momentum-averaged statistics lag behind a model that is still changing; when the spread
    of the features across networks of one zoo is small, that lag alone can ruin evaluation.
    One forward pass (no gradients) in train mode fixes it ("precise BN"): each batch is
    weighted by its size, so the running mean is the exact dataset mean and the running
    variance the size-weighted mean of the batch variances. In distributed training every
    process makes the same full pass with local statistics, so all agree with a one-process run.
    """
    norms = batch_norms(model)
    if not norms:
        return
    was_training = model.training
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
    model.train()
    seen = 0
    with local_statistics(model):
        for batch in DataLoader(dataset, batch_sampler=NoSingletonBatches(range(len(dataset)), batch_size)):
            size = batch.num_graphs
            for m in norms:
                m.momentum = size / (seen + size)
            model(batch.to(device))
            seen += size
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    model.train(was_training)


@torch.no_grad()
def predict(model: nn.Module, dataset, scaler: TargetScaler | None = None, batch_size: int = 64,
            device: str = "cpu") -> tuple[Tensor, Tensor]:
    """Model outputs and targets over a dataset (regression outputs in the targets' units).

    In distributed training each process predicts its share and all receive every row, in
    dataset order.
    """
    model = dist_utils.unwrap(model)
    model.eval()
    sampler = dist_utils.global_order_sampler(dataset, shuffle=False, seed=0)
    preds, trues = [], []
    for batch in DataLoader(dataset, batch_size=batch_size, sampler=sampler):
        batch = batch.to(device)
        out = model(batch).cpu()
        preds.append(scaler.decode(out) if scaler is not None else out)
        trues.append(batch.y.cpu())
    if not dist_utils.is_distributed():
        return torch.cat(preds), torch.cat(trues)
    return dist_utils.gather_by_index(torch.tensor(list(sampler)), torch.cat(preds), torch.cat(trues))


def evaluate(model: nn.Module, dataset, task: str = "regression", scaler: TargetScaler | None = None,
             batch_size: int = 64, device: str = "cpu") -> dict[str, float]:
    """Regression: ``mse`` and Kendall's ``tau`` (first target); classification: ``loss`` and ``accuracy``."""
    return metrics_of(*predict(model, dataset, scaler, batch_size, device), task)


def metrics_of(out: Tensor, y: Tensor, task: str = "regression") -> dict[str, float]:
    """The metrics of :func:`evaluate` from outputs already computed (see :func:`predict`)."""
    if task == "classification":
        labels = y.view(-1).long()
        return {"loss": float(nn.functional.cross_entropy(out, labels)), "accuracy": accuracy(out, labels)}
    return {"mse": mse(out, y), "tau": kendall_tau(out[:, 0], y[:, 0])}


def _loss(out: Tensor, y: Tensor, task: str, scaler: TargetScaler | None) -> Tensor:
    if task == "classification":
        return nn.functional.cross_entropy(out, y.view(-1).long())
    return nn.functional.mse_loss(out, scaler.encode(y) if scaler is not None else y)


def fit(model: nn.Module, train_set, val_set, config: TrainConfig = TrainConfig(),
        scaler: TargetScaler | None = None, on_epoch: Callable[[int, float], None] | None = None) -> TrainResult:
    """Train ``model`` on ``train_set``; keeps the state that was best on ``val_set``.

    ``on_epoch(epoch, validation score)`` is called after every epoch (e.g. a tuning trial reporting to its
    pruner; an exception it raises ends the training and propagates).

    Seeded (``config.seed``), early stopping after ``config.patience`` epochs without a better
    validation score, a progress bar, and exact BatchNorm statistics before each evaluation. With
    ``config.augment`` every training batch is a fresh random derived permutation of its networks
    (seeded by ``config.seed``; a network without a derivable symmetry raises ``SymmetryError``). A last
    batch of a single network joins the batch before it (:class:`~sne_pyg.train.batches.NoSingletonBatches`).
    Launched by ``torchrun`` (after :func:`sne_pyg.train.distributed.init_from_environment`), the
    same call trains data-parallel: each of the N processes takes ``batch_size / N`` networks of
    every global batch, gradients are averaged by ``DistributedDataParallel``, the prediction
    head's BatchNorm uses global-batch statistics, and losses and metrics are reduced over all.
    """
    if config.task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {config.task!r}")
    if batch_norms(model) and min(len(train_set), config.batch_size) < 2:
        raise ValueError(f"the model's BatchNorm takes statistics over the networks of a batch: fit needs at least 2 "
                         f"training networks and batch_size >= 2 (got {len(train_set)} and {config.batch_size})")
    seed_everything(config.seed)
    model.to(config.device)
    sampler = dist_utils.global_order_sampler(train_set, shuffle=True, seed=config.seed)
    local_batch = dist_utils.local_batch_size(config.batch_size)
    if dist_utils.world_size() == 1:      # a last batch of one network joins the one before (BatchNorm needs 2)
        loader = DataLoader(train_set, batch_sampler=NoSingletonBatches(sampler, local_batch))
    else:                                 # padding leaves every global batch >= 2 networks; keep the
        loader = DataLoader(train_set, batch_size=local_batch, sampler=sampler)   # one-process batch order
    materialize(model, train_set, config.batch_size, config.device)
    network = dist_utils.wrap(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(config.epochs, 1))
    li_generator = torch.Generator().manual_seed(config.seed + 1 + 7919 * dist_utils.rank())
    augment_generator = torch.Generator().manual_seed(config.seed + 2 + 7919 * dist_utils.rank())
    signature = training_signature(config)
    parts = {"model": model, "optimizer": optimizer, "schedule": schedule}
    generators = {"li": li_generator, "augment": augment_generator}
    start, best_val, best_epoch, best_state, history = resume_training(config.checkpoint, signature, parts,
                                                                       generators, config.epochs)
    bar = tqdm(range(start, config.epochs), desc=f"training {type(model).__name__}", initial=start,
               total=config.epochs, disable=not (config.progress and dist_utils.is_main_process()))
    for epoch in bar:
        sampler.set_epoch(epoch)
        network.train()
        total, count = 0.0, 0
        for batch in loader:
            if config.augment:           # on the CPU batch: derived views (NeuralGraph's) are dropped and rebuilt
                batch = permute_batch(batch, augment_generator)
            batch = batch.to(config.device)
            if config.li_weight > 0:
                out, li = forward_with_invariance(network, batch, config.li_samples, li_generator)
                loss = _loss(out, batch.y, config.task, scaler) + config.li_weight * li
            else:
                loss = _loss(network(batch), batch.y, config.task, scaler)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            total += float(loss.detach()) * batch.num_graphs
            count += batch.num_graphs
        total, count = dist_utils.all_reduce_sum([total, count])
        schedule.step()
        recalibrate_batchnorm(model, train_set, config.batch_size, config.device)
        metrics = evaluate(model, val_set, config.task, scaler, device=config.device)
        val = metrics["mse"] if config.task == "regression" else metrics["loss"]
        history.append({"epoch": epoch, "train_loss": total / max(count, 1),
                        **{f"val_{k}": v for k, v in metrics.items()}})
        if val < best_val:
            best_val, best_epoch, best_state = val, epoch, copy.deepcopy(model.state_dict())
        bar.set_postfix(train=f"{total / max(count, 1):.4f}", val=f"{val:.4f}", best=f"{best_val:.4f}")
        if on_epoch is not None:
            on_epoch(epoch, val)
        stop = epoch - best_epoch >= config.patience
        checkpoint_epoch(config.checkpoint, signature, epoch, stop, parts, generators,
                         best_val=best_val, best_epoch=best_epoch, best_state=best_state, history=history)
        if stop:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    finish_training(config.checkpoint)
    return TrainResult(best_epoch, best_val, history, resumed_at=start)

