r"""Self-supervised training of an encoder on a zoo: two augmented views per network, no labels.

.. math:: L = \beta\, L_c\big(g(z_a), g(z_b)\big) + (1 - \beta)\, \tfrac12\big(\|\hat\theta_a - \theta^*_a\|^2 + \|\hat\theta_b - \theta^*_b\|^2\big)

with :math:`z = \mathrm{encode}(\cdot)` of the two views, :math:`g` the projection head,
:math:`L_c` NT-Xent (``loss="ntxent"``, the paper's Ec / EcD) or the positive-pair loss
(``"positive"``, Ec+D), and the reconstruction term for models with a decoder (HyperRep). The
reconstruction target :math:`\theta^*` is each augmented view (``target="view"``, as the reference
code) or the clean network (``"clean"``). :math:`\beta = 1` is contrastive only (Ec), :math:`\beta = 0`
reconstruction only (ED). Models without a ``project`` method (SNE, any encoder) get a projection
head of Linear + BatchNorm + ReLU layers from :func:`fit_ssl`; models without ``decode`` use the
contrastive term alone.

The loop is seeded, shows a progress bar, keeps the state with the best validation loss (views of
the validation networks are drawn with a fixed seed, so the score is comparable across epochs) and
stops after ``patience`` epochs without improvement. With ``SSLConfig.checkpoint`` it saves its state after
every epoch and a stopped run resumes there, ending exactly as an uninterrupted one
(:mod:`sne_pyg.train.resume`). Each view is drawn from a seed of its own
(run seed, epoch, network), so it does not depend on which process draws it.

**Data-parallel under torchrun** (after :func:`sne_pyg.train.distributed.init_from_environment`):
every process encodes its share of each global batch; the embeddings (and the reconstruction
targets) are gathered with gradients (``torch.distributed.nn.all_gather``), and every process computes
the loss of the whole global batch, so NT-Xent sees every negative and the projection head's
BatchNorm the global statistics, exactly as one process does. Each process's gradient of that loss
reaches the encoder through its own networks, multiplied by the number of processes by the gather's
backward (a sum over processes); DDP's average restores the one-process gradient. Validation runs
in every process on all validation networks, so all agree on the best epoch.
"""
from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Batch
from torch_geometric.transforms import Compose
from tqdm.auto import tqdm

from ..data.network_data import NetworkData
from ..train import distributed as dist_utils
from ..train.loop import materialize, seed_everything
from ..train.resume import checkpoint_epoch, finish_training, resume_training, training_signature
from .augment import GaussianNoise, PermuteNeurons, RandomErasing
from .losses import nt_xent, positive_pair_loss
from .views import PairedViews

LOSSES = ("ntxent", "positive")
TARGETS = ("view", "clean")


@dataclass
class SSLConfig:
    """Settings of :func:`fit_ssl` (defaults: the paper's recipe, a shorter schedule)."""

    epochs: int = 50
    batch_size: int = 64
    lr: float = 1e-4
    weight_decay: float = 1e-9
    beta: float = 0.5              # weight of the contrastive term (1: Ec, 0: ED)
    loss: str = "ntxent"           # or "positive" (Ec+D)
    temperature: float = 0.1
    target: str = "view"           # reconstruction target: the augmented view or "clean"
    permute: bool = True
    erase: float = 0.5             # probability of erasing one block (0: off)
    noise: float = 0.0             # sigma of Gaussian noise
    permutation_specs: dict | None = None   # {architecture_key: spec} where the layout does not give one
    patience: int = 10
    seed: int = 0
    device: str = "cpu"
    progress: bool = True
    checkpoint: str | None = None  # a file: the training state is saved there after every epoch and a stopped
                                   # run resumes from it (deleted when training ends); see sne_pyg.train.resume
    checkpoint_tag: dict | None = None  # what else the run depends on (data, model settings): kept in the
                                        # checkpoint's signature, so a checkpoint of another run is refused

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {self.target!r}")
        if not 0.0 <= self.beta <= 1.0:
            raise ValueError(f"beta must lie in [0, 1], got {self.beta}")


@dataclass
class SSLResult:
    best_epoch: int
    best_val: float
    history: list[dict] = field(default_factory=list)
    resumed_at: int = 0              # the first epoch this call trained (> 0: resumed from a checkpoint)


def augmentations(config: SSLConfig, seed: int) -> Callable[[NetworkData], NetworkData]:
    """The composed view transform of ``config`` (permutation, erasing, noise), seeded by ``seed``."""
    steps = ([PermuteNeurons(config.permutation_specs, seed=seed)] if config.permute else []) + \
            ([RandomErasing(p=config.erase, seed=seed + 1)] if config.erase > 0 else []) + \
            ([GaussianNoise(config.noise, seed=seed + 2)] if config.noise > 0 else [])
    return Compose(steps) if steps else (lambda data: data)


def projection_head(width: int, out: int | None = None) -> nn.Module:
    """Linear + BatchNorm + ReLU, Linear: the projection used only by the contrastive loss."""
    return nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Linear(width, out or width))


class SSLObjective(nn.Module):
    """The loss of the module doc for one encoder (and the projection head it needs)."""

    def __init__(self, encoder: nn.Module, config: SSLConfig) -> None:
        super().__init__()
        self.encoder, self.config = encoder, config
        self.projector = None if hasattr(encoder, "project") else projection_head(encoder.config["hidden"])
        dtype = next((p.dtype for p in encoder.parameters() if p.is_floating_point()), None)
        if self.projector is not None and dtype is not None:
            self.projector.to(dtype)            # the encoder's precision (a float64 run stays float64)

    def project(self, z: Tensor) -> Tensor:
        return self.encoder.project(z) if self.projector is None else self.projector(z)

    def forward(self, view_a: NetworkData, view_b: NetworkData, clean: NetworkData | None = None,
                gather: Callable[[Tensor], Tensor] | None = None) -> dict[str, Tensor]:
        """The loss parts of one batch; ``gather`` maps this process's rows to the global batch's (the
        identity in one process: :func:`global_rows` under torchrun)."""
        cfg = self.config
        gather = gather or (lambda t: t)
        z_a, z_b = gather(self.encoder.encode(view_a)), gather(self.encoder.encode(view_b))
        parts: dict[str, Tensor] = {}
        if cfg.beta > 0:
            p_a, p_b = self.project(z_a), self.project(z_b)
            parts["contrastive"] = nt_xent(p_a, p_b, cfg.temperature) if cfg.loss == "ntxent" \
                else positive_pair_loss(p_a, p_b)
        if cfg.beta < 1 and hasattr(self.encoder, "decode"):
            targets = (clean, clean) if cfg.target == "clean" else (view_a, view_b)
            parts["reconstruction"] = 0.5 * sum(F.mse_loss(self.encoder.decode(z), gather(self.encoder.targets(t)))
                                                for z, t in zip((z_a, z_b), targets))
        if not parts:
            raise ValueError("beta = 0 needs a model with a decoder (HyperRep): nothing to train otherwise")
        weights = {"contrastive": cfg.beta, "reconstruction": 1 - cfg.beta}
        parts["loss"] = sum(weights[k] * v for k, v in parts.items()) if len(parts) > 1 else next(iter(parts.values()))
        return parts


def view_seed(seed: int, epoch: int, index: int) -> int:
    """The seed of network ``index``'s two views in ``epoch`` (-1: validation) of a run seeded ``seed``."""
    digest = hashlib.blake2b(f"{seed},{epoch},{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % 2**62


def view_maker(config: SSLConfig) -> PairedViews:
    """The vectorised two-view builder of ``config``'s augmentations (the same views as :func:`augmentations`)."""
    return PairedViews(config.permute, config.erase, config.noise, config.permutation_specs)


def _views(maker: PairedViews, networks: Sequence[NetworkData], indices: Sequence[int], seed: int,
           epoch: int) -> tuple[Batch, Batch, Batch]:
    return maker(networks, [view_seed(seed, epoch, index) for index in indices])


def global_rows(local: Tensor) -> Tensor:
    """The rows of every process, in rank order, with gradients flowing back to each process's own
    (``torch.distributed.nn.all_gather``; shards of unequal length are padded for the gather)."""
    if not dist_utils.is_distributed():
        return local
    import torch.distributed as dist
    from torch.distributed.nn.functional import all_gather
    counts = [torch.zeros(1, dtype=torch.long) for _ in range(dist.get_world_size())]
    dist.all_gather(counts, torch.tensor([local.size(0)]))
    counts = [int(c) for c in counts]
    padded = torch.cat([local, local.new_zeros(max(counts) - local.size(0), *local.shape[1:])])
    return torch.cat([part[:n] for part, n in zip(all_gather(padded), counts)])


def validation_views(networks: Sequence[NetworkData], config: SSLConfig, seed: int) -> list[tuple[Batch, ...]]:
    """The fixed views of the validation score, per batch of ``config.batch_size`` (drawn once per run: the
    same views every epoch)."""
    maker, out = view_maker(config), []
    for start in range(0, len(networks), config.batch_size):
        part = networks[start:start + config.batch_size]
        if len(part) >= 2:              # a contrastive pair needs another network as its negative
            out.append(tuple(v.to(config.device) for v in _views(maker, part, range(start, start + len(part)),
                                                                   seed, epoch=-1)))
    return out


def ssl_loss(objective: SSLObjective, views: Sequence[tuple[Batch, ...]]) -> dict[str, float]:
    """Mean loss parts over the networks of ``views`` (:func:`validation_views`), no gradient: the validation score."""
    objective.eval()
    totals: dict[str, float] = {}
    count = 0
    with torch.no_grad():
        for batch in views:
            size = batch[2].num_networks
            for key, value in objective(*batch).items():
                totals[key] = totals.get(key, 0.0) + float(value) * size
            count += size
    return {k: v / max(count, 1) for k, v in totals.items()}


def fit_ssl(encoder: nn.Module, train: Sequence[NetworkData], val: Sequence[NetworkData],
            config: SSLConfig = SSLConfig(),
            monitor: Callable[[SSLObjective], dict[str, float]] | None = None) -> tuple[SSLObjective, SSLResult]:
    """Train ``encoder`` self-supervised on ``train``; keep the state with the best validation loss.

    ``monitor(objective)``, if given, is called after every epoch (the objective in eval mode) and what it
    returns joins that epoch's history (e.g. a reconstruction :math:`R^2` per split, for learning curves).

    Returns the objective (the encoder and the projection head it used) and the history. Under
    torchrun every process must call it with the same networks and config (see the module doc).
    """
    world, rank = dist_utils.world_size(), dist_utils.rank()
    if len(train) < 2 or len(val) < 2:
        raise ValueError(f"self-supervised training needs >= 2 training and >= 2 validation networks "
                         f"(got {len(train)} and {len(val)})")
    if config.batch_size < max(2, world):
        raise ValueError(f"batch size {config.batch_size} is smaller than the {max(2, world)} networks a step needs "
                         f"(a negative for each pair, one network per process)")
    seed_everything(config.seed)
    encoder.to(config.device)
    materialize(encoder, list(train), min(config.batch_size, len(train)), config.device)
    objective = SSLObjective(encoder, config).to(config.device)
    network = dist_utils.wrap(objective, find_unused_parameters=True)
    optimizer = torch.optim.Adam(objective.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    order = torch.Generator().manual_seed(config.seed)
    view_base = config.seed + 1000
    maker, val_views = view_maker(config), validation_views(list(val), config, seed=config.seed + 7)
    signature = training_signature(config)
    parts, generators = {"model": objective, "optimizer": optimizer}, {"order": order}
    start, best_val, best_epoch, best_state, history = resume_training(config.checkpoint, signature, parts,
                                                                       generators, config.epochs)
    bar = tqdm(range(start, config.epochs), desc=f"self-supervised {type(encoder).__name__}", initial=start,
               total=config.epochs, disable=not config.progress or not dist_utils.is_main_process())
    for epoch in bar:
        network.train()
        perm = torch.randperm(len(train), generator=order).tolist()     # the same global order in every process
        batches = [perm[s:s + config.batch_size] for s in range(0, len(perm), config.batch_size)]
        if len(batches) > 1 and len(batches[-1]) < max(2, world):  # BatchNorm, NT-Xent and every process need networks
            batches[-2] += batches.pop()
        total = 0.0
        for index in batches:
            mine = index[rank::world]
            views = [v.to(config.device) for v in _views(maker, [train[i] for i in mine], mine, view_base, epoch)]
            loss = network(*views, gather=global_rows)["loss"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(index)
        scores = ssl_loss(objective, val_views)
        watched = {k: float(v) for k, v in monitor(objective).items()} if monitor is not None else {}
        history.append({"epoch": epoch, "train_loss": total / len(train), **{f"val_{k}": v for k, v in scores.items()},
                        **watched})
        if scores["loss"] < best_val:
            best_val, best_epoch, best_state = scores["loss"], epoch, copy.deepcopy(objective.state_dict())
        bar.set_postfix(train=f"{total / len(train):.4f}", val=f"{scores['loss']:.4f}")
        stop = epoch - best_epoch >= config.patience
        checkpoint_epoch(config.checkpoint, signature, epoch, stop, parts, generators,
                         best_val=best_val, best_epoch=best_epoch, best_state=best_state, history=history)
        if stop:
            break
    if best_state is not None:
        objective.load_state_dict(best_state)
    finish_training(config.checkpoint)
    objective.eval()
    return objective, SSLResult(best_epoch, best_val, history, resumed_at=start)
