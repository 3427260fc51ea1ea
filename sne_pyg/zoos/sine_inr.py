r"""Sine-wave INR zoo (DWSNets' task, SNE Table 1): SIRENs fitted to :math:`\sin(a x)`.

Each INR is a SIREN :math:`1 \to 32 \to 32 \to 1` with :math:`\omega_0 = 30`
(1,153 parameters) fitted on 128 points of :math:`[-\pi, \pi]` to :math:`f(x) = \sin(a x)`,
:math:`a \sim U(0.5, 10)`. The target of the zoo is the frequency :math:`a`.
Many INRs train together: their weights are stacked into ``[N, ...]`` tensors and the
forward pass is a batched matrix product, so one Adam step updates every INR.
"""
from __future__ import annotations

import math
import os

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from ..data.convert import convert
from ..data.dataset import NetworkZoo
from ..data.network_data import NetworkData
from .sharding import make_groups

HIDDEN = 32
OMEGA_0 = 30.0
FREQ_RANGE = (0.5, 10.0)


class Sine(nn.Module):
    def __init__(self, omega_0: float = OMEGA_0) -> None:
        super().__init__()
        self.omega_0 = omega_0

    def forward(self, x: Tensor) -> Tensor:
        return torch.sin(self.omega_0 * x)

    def extra_repr(self) -> str:
        return f"omega_0={self.omega_0}"


class SirenINR(nn.Module):
    """``sin(w0 (W3 sin(w0 (W2 sin(w0 (W1 x + b1)) + b2)) ...)`` -- the 1 -> 32 -> 32 -> 1 SIREN."""

    def __init__(self, hidden: int = HIDDEN, omega_0: float = OMEGA_0) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), Sine(omega_0), nn.Linear(hidden, hidden), Sine(omega_0),
                                 nn.Linear(hidden, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def sample_frequencies(n: int, generator: torch.Generator) -> Tensor:
    low, high = FREQ_RANGE
    return low + (high - low) * torch.rand(n, generator=generator, dtype=torch.float64)


def _siren_init(n: int, generator: torch.Generator, hidden: int, omega_0: float) -> list[Tensor]:
    """SIREN initialisation for ``n`` INRs: first layer U(-1/in, 1/in), later U(+-sqrt(6/in)/w0)."""
    def uniform(shape, bound):
        return (torch.rand(shape, generator=generator) * 2 - 1) * bound

    hidden_bound = math.sqrt(6 / hidden) / omega_0
    return [uniform((n, hidden, 1), 1.0), uniform((n, hidden), 1.0),
            uniform((n, hidden, hidden), hidden_bound), uniform((n, hidden), 1 / math.sqrt(hidden)),
            uniform((n, 1, hidden), hidden_bound), uniform((n, 1), 1 / math.sqrt(hidden))]


def peer_init(generators: list[torch.Generator], hidden: int = HIDDEN, omega_0: float = OMEGA_0) -> list[Tensor]:
    r"""The peers' initialisation (DWSNets' ``Siren``), one generator per INR: every SIREN layer
    :math:`U(\pm\sqrt{6/\mathrm{fan_{in}}}/\omega_0)` (the first included: the reference never marks it),
    SIREN biases zero, the last Linear PyTorch's default :math:`U(\pm 1/\sqrt{\mathrm{fan_{in}}})`."""
    def uniform(shape, bound, generator):
        return (torch.rand(shape, generator=generator) * 2 - 1) * bound

    per_inr = []
    for g in generators:
        per_inr.append([uniform((hidden, 1), math.sqrt(6 / 1) / omega_0, g), torch.zeros(hidden),
                        uniform((hidden, hidden), math.sqrt(6 / hidden) / omega_0, g), torch.zeros(hidden),
                        uniform((1, hidden), 1 / math.sqrt(hidden), g), uniform((1,), 1 / math.sqrt(hidden), g)])
    return [torch.stack(parts) for parts in zip(*per_inr)]


def batched_siren(params: list[Tensor], x: Tensor, omega_0: float = OMEGA_0) -> Tensor:
    """Evaluate ``N`` SIRENs at points ``x [P]``: returns ``[N, P]``."""
    w1, b1, w2, b2, w3, b3 = params
    h = torch.sin(omega_0 * (x[None, :, None] * w1[:, None, :, 0] + b1[:, None, :]))    # [N, P, H]
    h = torch.sin(omega_0 * (torch.einsum("nph,noh->npo", h, w2) + b2[:, None, :]))
    return (torch.einsum("nph,noh->npo", h, w3) + b3[:, None, :]).squeeze(-1)


def fit_sine_inrs(frequencies: Tensor, *, steps: int = 500, lr: float = 1e-4, points: int = 128,
                  hidden: int = HIDDEN, omega_0: float = OMEGA_0, generator: torch.Generator | None = None,
                  shared_init: bool = False, progress: bool = True) -> tuple[list[dict[str, Tensor]], Tensor]:
    """Fit one SIREN per frequency, all together; returns their state_dicts and final MSEs.

    ``shared_init``: every INR starts from the same initial weights (drawn once).
    """
    generator = generator or torch.Generator().manual_seed(0)
    n = frequencies.numel()
    init = _siren_init(1 if shared_init else n, generator, hidden, omega_0)
    params = [p.expand(n, *p.shape[1:]).clone().requires_grad_() for p in init]
    x = torch.linspace(-math.pi, math.pi, points)
    target = torch.sin(frequencies.float()[:, None] * x[None, :])
    optimizer = torch.optim.Adam(params, lr=lr)
    for _ in tqdm(range(steps), desc=f"fitting {n} sine INRs", disable=not progress, leave=False):
        optimizer.zero_grad(set_to_none=True)
        per_inr = (batched_siren(params, x, omega_0) - target).pow(2).mean(1)
        per_inr.sum().backward()   # Adam is elementwise: every INR follows its own gradient
        optimizer.step()
    with torch.no_grad():
        final_mse = (batched_siren(params, x, omega_0) - target).pow(2).mean(1)
    return _states([p.detach() for p in params]), final_mse


def _adam_step(params, moments, grads, rows, t: int, lr: float, weight_decay: float,
               betas=(0.9, 0.999), eps: float = 1e-8) -> None:
    """``torch.optim.Adam`` (L2 ``weight_decay`` added to the gradient) on the INRs ``rows`` of every tensor:
    every INR that is still fitting has taken the same ``t`` steps, so one bias correction serves all."""
    first, second = moments
    for p, m, v, g in zip(params, first, second, grads):
        g = g + weight_decay * p[rows]
        m_rows = m[rows].mul_(betas[0]).add_(g, alpha=1 - betas[0])
        v_rows = v[rows].mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
        m[rows], v[rows] = m_rows, v_rows
        step = (m_rows / (1 - betas[0] ** t)) / ((v_rows / (1 - betas[1] ** t)).sqrt() + eps)
        p[rows] = p[rows] - lr * step


STATE_KEYS = ("net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight", "net.4.bias")


def _states(params: list[Tensor]) -> list[dict[str, Tensor]]:
    return [{name: p[i].clone() for name, p in zip(STATE_KEYS, params)} for i in range(params[0].size(0))]


def fit_peer_sine_inrs(frequencies: Tensor, seeds: list[int], *, max_steps: int = 1500, lr: float = 1e-3,
                       weight_decay: float = 1e-4, points: int = 2000, stop_mse: float = 1e-4,
                       omega_0: float = OMEGA_0) -> tuple[list[dict[str, Tensor]], Tensor, Tensor]:
    r"""The peers' recipe (DWSNets' INR trainer), one INR per frequency and seed, fitted together.

    :func:`peer_init` from ``torch.Generator().manual_seed(seed)`` per INR; points
    ``x = arange(-pi, pi, 2 pi / points)``; target :math:`\sin(a x)`; the INR's output is its last
    layer + 0.5; Adam (lr, L2 ``weight_decay``), full batch. An INR stops (keeps its weights) at the
    first step whose MSE is ``<= stop_mse``, else after ``max_steps``; Adam is elementwise, so each
    INR follows its own optimisation whichever others share the batch. Returns the state_dicts, each
    INR's final MSE and the steps it took.
    """
    n = frequencies.numel()
    params = peer_init([torch.Generator().manual_seed(int(s)) for s in seeds], HIDDEN, omega_0)
    x = torch.arange(-math.pi, math.pi, 2 * math.pi / points)
    target = torch.sin(frequencies.float()[:, None] * x[None, :])
    moments = [torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params]
    active = torch.arange(n)                   # INRs still fitting: only they are computed
    final = torch.zeros(n)
    steps_taken = torch.full((n,), max_steps, dtype=torch.long)
    kept = [p.clone() for p in params]
    for step in range(max_steps + 1):
        live = [p[active].requires_grad_() for p in params]
        per_inr = (batched_siren(live, x, omega_0) + 0.5 - target[active]).pow(2).mean(1)
        stop = per_inr.detach() <= stop_mse
        if step == max_steps:
            stop = torch.ones_like(stop)
        if bool(stop.any()):
            finished = active[stop]
            for keep, p in zip(kept, params):
                keep[finished] = p[finished]
            final[finished] = per_inr.detach()[stop]
            steps_taken[finished] = step
        if bool(stop.all()):
            break
        grads = torch.autograd.grad(per_inr.sum(), live)
        _adam_step(params, moments, grads, active, step + 1, lr, weight_decay)
        active = active[~stop]
    return _states(kept), final, steps_taken


class SineINRZoo(NetworkZoo):
    """Sine-wave INRs converted to :class:`NetworkData`, target ``y = [[a]]``; cached under ``root``.

    Args:
        root: cache folder.
        split: ``"train"``, ``"val"`` or ``"test"``.
        size: number of INRs in the whole zoo (tests use a few dozen, the demo a few hundred).
        chunk_size: chunk size of the conversion.
        steps, lr: Adam steps and learning rate of every INR's fit.
        seed: seed of the frequencies and initialisations.
        shared_init: all INRs start from one initialisation (default): an *aligned* zoo, where a flat
            MLP reads weight changes position by position. With our independent initialisation
            (first layer and biases U(+-1)) the frequency is not recoverable by any encoder we tried.
        recipe: ``"ours"`` (the above, 128 points, Adam ``lr`` for ``steps``) or ``"peers"`` (the
            DWSNets / SNE-paper zoo, :func:`fit_peer_sine_inrs`: an independent initialisation per INR,
            2,000 points, Adam 1e-3 with weight decay 1e-4, up to ``steps`` steps, stopping at MSE 1e-4;
            ``lr`` and ``shared_init`` are then unused).
        batch: INRs fitted together per batched optimisation.
    """

    def __init__(self, root: str, split: str = "train", size: int = 400, chunk_size: int = 64, steps: int = 1000,
                 lr: float = 1e-4, seed: int = 0, shared_init: bool = True, batch: int = 512, progress: bool = True,
                 recipe: str = "ours", **kwargs) -> None:
        self.size, self.chunk_size, self.steps, self.lr = size, chunk_size, steps, lr
        self.seed, self.shared_init, self.batch, self.progress = seed, shared_init, batch, progress
        self.recipe = check_recipe(recipe)
        super().__init__(root, split, **kwargs)

    @classmethod
    def splits(cls, root: str, names: tuple[str, ...] = ("train", "val", "test"), **kwargs) -> dict[str, "SineINRZoo"]:
        """``{split: SineINRZoo(root, split, **kwargs)}`` for every split of ``names`` (one zoo, generated once)."""
        return {name: cls(root, name, **kwargs) for name in names}

    def settings(self) -> dict:
        out = dict(size=self.size, chunk_size=self.chunk_size, steps=self.steps, lr=self.lr, seed=self.seed,
                   shared_init=self.shared_init, hidden=HIDDEN, omega_0=OMEGA_0, freq_range=FREQ_RANGE)
        return out if self.recipe == "ours" else dict(out, recipe=self.recipe, lr=None, shared_init=None)

    def generate(self) -> list[NetworkData]:
        return generate_sine_inr_zoo(self.size, chunk_size=self.chunk_size, steps=self.steps, lr=self.lr,
                                     seed=self.seed, shared_init=self.shared_init, batch=self.batch,
                                     progress=self.progress, recipe=self.recipe)


RECIPES = ("ours", "peers")


def check_recipe(recipe: str) -> str:
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {RECIPES}, got {recipe!r}")
    return recipe


def generate_sine_inr_zoo(size: int, *, chunk_size: int = 64, steps: int = 1000, lr: float = 1e-4, seed: int = 0,
                          shared_init: bool = True, batch: int = 512, progress: bool = True,
                          work_dir: str | None = None, recipe: str = "ours") -> list[NetworkData] | None:
    """Fit ``size`` sine INRs (see :class:`SineINRZoo`) and convert them; ``y = [[a]]``, ``fit_mse``.

    Each batch of ``batch`` INRs is one group of :func:`sne_pyg.zoos.sharding.make_groups`: kept in
    ``work_dir`` for resuming and shared among ``torchrun`` processes (only the main one returns the zoo).
    """
    generator = torch.Generator().manual_seed(seed)
    frequencies = sample_frequencies(size, generator)
    init_seed = int(torch.randint(2**31, (1,), generator=generator))
    starts = list(range(0, size, batch))
    check_recipe(recipe)
    if work_dir is not None:
        name = (f"sine_inr-n{size}-s{steps}-lr{lr}-seed{seed}-shared{int(shared_init)}" if recipe == "ours"
                else f"sine_inr-peers-n{size}-s{steps}-seed{seed}")
        work_dir = os.path.join(work_dir, f"{name}-b{batch}-chunk{chunk_size}")

    def make(k: int) -> list[NetworkData]:
        start = starts[k]
        freq = frequencies[start:start + batch]
        fit_steps = None
        if recipe == "peers":         # one seed per INR: its fit does not depend on the batch it is in
            seeds = [init_seed + i for i in range(start, start + len(freq))]
            states, fit_mse, fit_steps = fit_peer_sine_inrs(freq, seeds, max_steps=steps)
        else:                         # with a shared init every batch restarts from the same generator state
            init_generator = torch.Generator().manual_seed(init_seed if shared_init else init_seed + start)
            states, fit_mse = fit_sine_inrs(freq, steps=steps, lr=lr, generator=init_generator,
                                            shared_init=shared_init, progress=False)
        networks = []
        for i, (state, a, mse) in enumerate(zip(states, freq.tolist(), fit_mse.tolist())):
            data = convert(state, chunk_size, y=[a])
            data.fit_mse = torch.tensor([mse])
            if fit_steps is not None:
                data.fit_steps = fit_steps[i:i + 1].clone()
            networks.append(data)
        return networks
    with tqdm(total=size, desc="sine INR zoo", disable=not progress) as bar:
        return make_groups(len(starts), make, work_dir,
                           done=lambda k: bar.update(min(batch, size - starts[k])))
