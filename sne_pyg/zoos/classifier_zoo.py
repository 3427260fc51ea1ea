r"""Zoos of trained classifiers with hyperparameters sampled as Unterthiner et al. 2020 did.

Each run draws: activation (relu, elu, tanh, sigmoid), weight initialisation (normal, truncated
normal, uniform with a log-uniform scale in [1e-3, 0.5]; Glorot normal / uniform; He normal),
optimiser (SGD, Adam, RMSProp), learning rate log-uniform in [5e-4, 5e-2], L2 log-uniform in
[1e-8, 1e-2], dropout uniform in [0, 0.5], train fraction in {0.1, 0.25, 0.5, 1.0}, and a seed.
Every run is checkpointed at several epochs; each checkpoint is one network of the zoo with
``y = [test accuracy, train accuracy, generalization gap]`` (train accuracy on the run's own
training subset), ``hparams`` (see :data:`HPARAM_NAMES`), ``run``, ``seed`` (the run's seed) and ``epoch``; the activation after
each layer is recorded in ``layout.activations`` (for NeuralGraph's activation embedding).

Runs that share architecture, activation and optimiser train **together**: their weights are
separate leaves (one optimiser parameter group per run, so each keeps its learning rate and L2),
stacked at every step and evaluated with ``torch.func.vmap`` over ``functional_call``; each run
draws its own minibatches from its own training subset and its own dropout masks. Finished groups
are written atomically to ``work_dir``, so an interrupted generation keeps every finished group
and a rerun continues. Runs whose weights become non-finite are dropped (and counted).
"""
from __future__ import annotations

import hashlib
import math
import os
import warnings
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.func import functional_call, vmap
from tqdm.auto import tqdm

from ..data import NetworkData, convert
from ..data.activations import derive_activations
from .architectures import build_classifier
from .datasets import ImageDataset, load_dataset
from .sharding import make_groups

ACTIVATION_CHOICES = ("relu", "elu", "tanh", "sigmoid")
INIT_CHOICES = ("normal", "truncated_normal", "uniform", "glorot_normal", "glorot_uniform", "he_normal")
OPTIMIZER_CHOICES = ("sgd", "adam", "rmsprop")
TRAIN_FRACTIONS = (0.1, 0.25, 0.5, 1.0)
HPARAM_NAMES = ("log10_lr", "log10_l2", "dropout", "train_fraction", "log10_init_scale", "activation", "init",
                "optimizer", "epoch")
TARGET_NAMES = ("test_accuracy", "train_accuracy", "generalization_gap")


@dataclass(frozen=True)
class RunConfig:
    run: int
    seed: int
    activation: str
    init: str
    init_scale: float
    optimizer: str
    lr: float
    l2: float
    dropout: float
    train_fraction: float

    def hparams(self, epoch: int) -> list[float]:
        return [math.log10(self.lr), math.log10(self.l2), self.dropout, self.train_fraction,
                math.log10(self.init_scale), ACTIVATION_CHOICES.index(self.activation),
                INIT_CHOICES.index(self.init), OPTIMIZER_CHOICES.index(self.optimizer), epoch]


def sample_runs(count: int, seed: int) -> list[RunConfig]:
    """``count`` hyperparameter draws (deterministic in ``seed``)."""
    g = torch.Generator().manual_seed(seed)

    def uniform(low: float, high: float) -> float:
        return low + (high - low) * float(torch.rand(1, generator=g))

    def choice(options):
        return options[int(torch.randint(len(options), (1,), generator=g))]

    return [RunConfig(run=i, seed=int(torch.randint(2**31, (1,), generator=g)), activation=choice(ACTIVATION_CHOICES),
                      init=choice(INIT_CHOICES), init_scale=10 ** uniform(-3, math.log10(0.5)),
                      optimizer=choice(OPTIMIZER_CHOICES), lr=10 ** uniform(math.log10(5e-4), math.log10(5e-2)),
                      l2=10 ** uniform(-8, -2), dropout=uniform(0.0, 0.5), train_fraction=choice(TRAIN_FRACTIONS))
            for i in range(count)]


def seed_runs(count: int, seed: int) -> list[RunConfig]:
    """TETRIS-SEED (Schürholt et al. 2021): one fixed setting, only the seed varies (tanh, Glorot uniform,
    Adam lr 1e-3, no dropout, L2 1e-9, the full training set)."""
    g = torch.Generator().manual_seed(seed)
    return [RunConfig(run=i, seed=int(torch.randint(2**31, (1,), generator=g)), activation="tanh",
                      init="glorot_uniform", init_scale=1.0, optimizer="adam", lr=1e-3, l2=1e-9, dropout=0.0,
                      train_fraction=1.0) for i in range(count)]


HYP_ACTIVATIONS, HYP_LRS, HYP_INIT_SCALE = ("tanh", "relu"), (1e-3, 1e-4, 1e-5), 0.1


def grid_runs(count: int, seed: int) -> list[RunConfig]:
    """TETRIS-HYP: activation (tanh, relu) x initialisation (all six; scale 0.1 where one is needed) x
    Adam learning rate (1e-3, 1e-4, 1e-5), cycled so run ``i`` has setting ``i mod 36``, each with its seed."""
    g = torch.Generator().manual_seed(seed)
    grid = [(a, i, lr) for a in HYP_ACTIVATIONS for i in INIT_CHOICES for lr in HYP_LRS]
    return [RunConfig(run=k, seed=int(torch.randint(2**31, (1,), generator=g)), activation=grid[k % len(grid)][0],
                      init=grid[k % len(grid)][1], init_scale=HYP_INIT_SCALE, optimizer="adam",
                      lr=grid[k % len(grid)][2], l2=1e-9, dropout=0.0, train_fraction=1.0) for k in range(count)]


RUN_SAMPLERS = {"unterthiner": sample_runs, "seed": seed_runs, "grid": grid_runs}


def initialise(model: nn.Module, run: RunConfig, generator: torch.Generator) -> None:
    """The run's initialisation on every Linear/Conv weight (biases zero; other parameters kept)."""
    for module in model.modules():
        if not isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            continue
        w = module.weight
        fan_in = w[0].numel()
        fan_out = w.size(0) * (w[0, 0].numel() if w.dim() > 2 else 1)
        with torch.no_grad():
            if run.init == "normal":
                w.normal_(0, run.init_scale, generator=generator)
            elif run.init == "truncated_normal":
                w.copy_(torch.fmod(torch.randn(w.shape, generator=generator), 2) * run.init_scale)
            elif run.init == "uniform":
                w.uniform_(-run.init_scale, run.init_scale, generator=generator)
            elif run.init == "glorot_normal":
                w.normal_(0, math.sqrt(2 / (fan_in + fan_out)), generator=generator)
            elif run.init == "glorot_uniform":
                bound = math.sqrt(6 / (fan_in + fan_out))
                w.uniform_(-bound, bound, generator=generator)
            else:
                w.normal_(0, math.sqrt(2 / fan_in), generator=generator)
            if module.bias is not None:
                module.bias.zero_()


def _optimizer(name: str, groups: list[dict]) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(groups, lr=0.01, momentum=0.9)
    if name == "adam":
        return torch.optim.Adam(groups)
    return torch.optim.RMSprop(groups)


@torch.no_grad()
def _accuracy(apply, stacked: dict[str, Tensor], x: Tensor, y: Tensor, chunk: int = 1024) -> Tensor:
    """``[R, N]`` correctness of every run on every example (eval mode, shared inputs)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*batching rule.*")
        hits = [(vmap(apply, in_dims=(0, None))(stacked, x[i:i + chunk]).argmax(-1) == y[i:i + chunk])
                for i in range(0, x.size(0), chunk)]
    return torch.cat(hits, 1)


class RunDropout(nn.Module):
    """Dropout whose rate is a (non-persistent) buffer, so runs with different rates share one
    ``vmap``: the stacked rates are passed to ``functional_call`` like the stacked weights."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.register_buffer("p", torch.tensor(float(p)), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        keep = (torch.rand_like(x) >= self.p).to(x.dtype)
        return x * keep / (1 - self.p)


def with_run_dropout(model: nn.Module) -> nn.Module:
    """Replace every ``nn.Dropout`` of ``model`` by :class:`RunDropout` (attention-weight dropout off)."""
    for name, child in model.named_children():
        if isinstance(child, nn.Dropout):
            setattr(model, name, RunDropout(child.p))
        else:
            with_run_dropout(child)
            if isinstance(child, nn.MultiheadAttention):
                child.dropout = 0.0
    return model


def train_group(architecture: str, runs: list[RunConfig], data: ImageDataset, epochs: int,
                checkpoints: tuple[int, ...], batch_size: int = 64) -> list[tuple[RunConfig, int, dict, list[float]]]:
    """Train ``runs`` (one activation and optimiser) together; returns ``(run, epoch, state_dict,
    [test_acc, train_acc, gap])`` for every checkpoint epoch of every run that stayed finite.
    Deterministic: dropout masks come from a global generator seeded here (and restored after)."""
    with torch.random.fork_rng():
        torch.manual_seed(runs[0].seed)
        return _train_group(architecture, runs, data, epochs, checkpoints, batch_size)


def _train_group(architecture: str, runs: list[RunConfig], data: ImageDataset, epochs: int,
                 checkpoints: tuple[int, ...], batch_size: int) -> list[tuple[RunConfig, int, dict, list[float]]]:
    activation, optimizer_name = runs[0].activation, runs[0].optimizer
    if any(r.activation != activation or r.optimizer != optimizer_name for r in runs):
        raise ValueError("a group must share activation and optimizer")
    leaves = []
    for r in runs:
        model = build_classifier(architecture, activation)
        initialise(model, r, torch.Generator().manual_seed(r.seed))
        leaves.append([p.detach().clone().requires_grad_() for p in model.parameters()])
    template = with_run_dropout(model)
    names = [n for n, _ in template.named_parameters()]
    rates = {n: torch.tensor([r.dropout for r in runs]) for n, b in template.named_buffers() if n.endswith("p")}
    optimizer = _optimizer(optimizer_name, [{"params": ps, "lr": r.lr, "weight_decay": r.l2}
                                            for ps, r in zip(leaves, runs)])

    def stacked() -> dict[str, Tensor]:
        return {n: torch.stack([ps[k] for ps in leaves]) for k, n in enumerate(names)}

    def apply(params: dict[str, Tensor], x: Tensor) -> Tensor:
        return functional_call(template, params, (x,))

    n_train = data.x_train.size(0)
    generators = [torch.Generator().manual_seed(r.seed + 1) for r in runs]
    subsets = [torch.randperm(n_train, generator=torch.Generator().manual_seed(r.seed))[
        :max(batch_size, int(r.train_fraction * n_train))] for r in runs]
    sizes = torch.tensor([len(s) for s in subsets])
    padded = torch.stack([torch.cat([s, s.new_zeros(n_train - len(s))]) for s in subsets])
    in_subset = torch.zeros(len(runs), n_train)
    for i, s in enumerate(subsets):
        in_subset[i, s] = 1.0
    results = []
    for epoch in range(1, epochs + 1):
        template.train()
        for _ in range(math.ceil(n_train / batch_size)):
            # each run draws its own minibatch from its own training subset with its own generator,
            # so a run trains the same whichever group it is in
            draws = torch.stack([torch.rand(batch_size, generator=gen) for gen in generators])
            idx = padded.gather(1, (draws * sizes[:, None]).long())
            with warnings.catch_warnings():   # attention has no vmap batching rule yet: a loop, still correct
                warnings.filterwarnings("ignore", message=".*batching rule.*")
                logits = vmap(apply, randomness="different")({**stacked(), **rates}, data.x_train[idx])
            loss = nn.functional.cross_entropy(logits.flatten(0, 1), data.y_train[idx].flatten(), reduction="none")
            loss = loss.view(len(runs), -1).mean(1).nan_to_num(0.0).sum()   # runs are independent
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        if epoch in checkpoints:
            template.eval()
            params = {n: t.detach() for n, t in stacked().items()}
            finite = torch.stack([torch.isfinite(t.flatten(1)).all(1) for t in params.values()]).all(0)
            test_acc = _accuracy(apply, {**params, **rates}, data.x_test, data.y_test).float().mean(1)
            train_hits = _accuracy(apply, {**params, **rates}, data.x_train, data.y_train).float()
            train_acc = (train_hits * in_subset).sum(1) / sizes
            for i, r in enumerate(runs):
                if bool(finite[i]):
                    acc, tr = float(test_acc[i]), float(train_acc[i])
                    results.append((r, epoch, {n: params[n][i].clone() for n in names}, [acc, tr, tr - acc]))
    return results


def checkpoint_tag(checkpoints: tuple[int, ...], epochs: int) -> str:
    """A short folder-name part naming the kept epochs: ``all`` for every epoch, the list when it is
    short (``5,10``), else a hash of it (a list of 75 epochs would exceed the file-name limit)."""
    if tuple(checkpoints) == tuple(range(1, epochs + 1)) and epochs > 2:
        return "all"
    listed = ",".join(map(str, checkpoints))
    return listed if len(listed) <= 40 else "h" + hashlib.sha1(listed.encode()).hexdigest()[:12]


def group_runs(runs: list[RunConfig], group_size: int) -> list[list[RunConfig]]:
    """Runs sharing activation and optimiser, cut into groups of at most ``group_size`` (deterministic)."""
    keyed: dict[tuple[str, str], list[RunConfig]] = {}
    for r in runs:
        keyed.setdefault((r.activation, r.optimizer), []).append(r)
    return [members[i:i + group_size] for key in sorted(keyed) for members in [keyed[key]]
            for i in range(0, len(members), group_size)]


def evenly_spaced_checkpoints(epochs: int, count: int) -> tuple[int, ...]:
    """``count`` checkpoint epochs spread over ``1..epochs`` ending at ``epochs`` (fewer if epochs < count):
    ``(epochs * k) // count`` for ``k = 1..count``, e.g. 10 epochs, 4 checkpoints -> (2, 5, 7, 10)."""
    if count < 1 or epochs < 1:
        raise ValueError(f"need epochs >= 1 and count >= 1, got {epochs} and {count}")
    return tuple(sorted({max(1, epochs * k // count) for k in range(1, count + 1)}))


def generate_classifier_zoo(architecture: str, dataset: str, size: int, *, epochs: int = 10,
                            checkpoints: tuple[int, ...] | int | None = None, chunk_size: int = 64, seed: int = 0,
                            group_size: int = 32, work_dir: str | None = None, progress: bool = True,
                            runs: str = "unterthiner") -> list[NetworkData] | None:
    """Train ``size`` runs of ``architecture`` on ``dataset`` and convert every checkpoint.

    ``checkpoints``: epochs to keep, or how many evenly spaced ones (:func:`evenly_spaced_checkpoints`;
    default 2: ``epochs // 2`` and ``epochs``). With ``work_dir``,
    each finished group is saved there and reused by a later call with the same settings. Under
    ``torchrun`` the groups are shared among the processes (:mod:`sne_pyg.zoos.sharding`); only the
    main process returns the zoo, the others ``None``. ``runs`` names how the runs' settings are drawn
    (:data:`RUN_SAMPLERS`: Unterthiner et al.'s ranges, TETRIS-SEED's one setting, TETRIS-HYP's grid).
    """
    if runs not in RUN_SAMPLERS:
        raise ValueError(f"runs must be one of {sorted(RUN_SAMPLERS)}, got {runs!r}")
    if checkpoints is None or isinstance(checkpoints, int):
        checkpoints = evenly_spaced_checkpoints(epochs, checkpoints or 2)
    checkpoints = tuple(sorted(set(checkpoints)))
    if not all(1 <= e <= epochs for e in checkpoints):
        raise ValueError(f"checkpoint epochs {checkpoints} must lie in 1..{epochs}")
    data = load_dataset(dataset, seed)
    groups = group_runs(RUN_SAMPLERS[runs](size, seed), group_size)
    if work_dir is not None:
        work_dir = os.path.join(work_dir, f"{architecture}-{dataset}-s{seed}-e{epochs}-c{checkpoint_tag(checkpoints, epochs)}"
                                          f"-n{size}-g{group_size}-chunk{chunk_size}-labels3"
                                          + ("" if runs == "unterthiner" else f"-runs{runs}"))   # labels3: seed, activations
        os.makedirs(work_dir, exist_ok=True)
    bar = tqdm(total=size, desc=f"{architecture} zoo on {dataset}", disable=not progress)

    activations = {name: derive_activations(build_classifier(architecture, name)) for name in
                   {r.activation for group in groups for r in group}}

    def make(k: int) -> list[NetworkData]:
        part = []
        for r, epoch, state, targets in train_group(architecture, groups[k], data, epochs, checkpoints):
            net = convert(state, chunk_size, y=targets, activations=activations[r.activation])
            net.hparams = torch.tensor([r.hparams(epoch)])
            net.run = torch.tensor([r.run])
            net.seed = torch.tensor([r.seed])
            net.epoch = torch.tensor([epoch])
            part.append(net)
        return part
    networks = make_groups(len(groups), make, work_dir, done=lambda k: bar.update(len(groups[k])))
    bar.close()
    if networks is None:          # another process of a torchrun job: its groups are in work_dir
        return None
    if not networks:
        raise ValueError("every run diverged; no network to keep")
    return networks
