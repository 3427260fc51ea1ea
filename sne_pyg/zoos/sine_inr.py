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
    names = ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight", "net.4.bias"]
    detached = [p.detach() for p in params]
    states = [{name: p[i].clone() for name, p in zip(names, detached)} for i in range(n)]
    return states, final_mse


class SineINRZoo(NetworkZoo):
    """Sine-wave INRs converted to :class:`NetworkData`, target ``y = [[a]]``; cached under ``root``.

    Args:
        root: cache folder.
        split: ``"train"``, ``"val"`` or ``"test"``.
        size: number of INRs in the whole zoo (tests use a few dozen, the demo a few hundred).
        chunk_size: chunk size of the conversion.
        steps, lr: Adam steps and learning rate of every INR's fit.
        seed: seed of the frequencies and initialisations.
        shared_init: all INRs start from one initialisation (default). With independent
            initialisations the frequency is not recoverable from the weights by any encoder we
            tried (see README), so the shared start is what makes this a weight-space task.
        batch: INRs fitted together per batched optimisation.
    """

    def __init__(self, root: str, split: str = "train", size: int = 400, chunk_size: int = 64, steps: int = 1000,
                 lr: float = 1e-4, seed: int = 0, shared_init: bool = True, batch: int = 512, progress: bool = True,
                 **kwargs) -> None:
        self.size, self.chunk_size, self.steps, self.lr = size, chunk_size, steps, lr
        self.seed, self.shared_init, self.batch, self.progress = seed, shared_init, batch, progress
        super().__init__(root, split, **kwargs)

    def settings(self) -> dict:
        return dict(size=self.size, chunk_size=self.chunk_size, steps=self.steps, lr=self.lr, seed=self.seed,
                    shared_init=self.shared_init, hidden=HIDDEN, omega_0=OMEGA_0, freq_range=FREQ_RANGE)

    def generate(self) -> list[NetworkData]:
        return generate_sine_inr_zoo(self.size, chunk_size=self.chunk_size, steps=self.steps, lr=self.lr,
                                     seed=self.seed, shared_init=self.shared_init, batch=self.batch,
                                     progress=self.progress)


def generate_sine_inr_zoo(size: int, *, chunk_size: int = 64, steps: int = 1000, lr: float = 1e-4, seed: int = 0,
                          shared_init: bool = True, batch: int = 512, progress: bool = True,
                          work_dir: str | None = None) -> list[NetworkData] | None:
    """Fit ``size`` sine INRs (see :class:`SineINRZoo`) and convert them; ``y = [[a]]``, ``fit_mse``.

    Each batch of ``batch`` INRs is one group of :func:`sne_pyg.zoos.sharding.make_groups`: kept in
    ``work_dir`` for resuming and shared among ``torchrun`` processes (only the main one returns the zoo).
    """
    generator = torch.Generator().manual_seed(seed)
    frequencies = sample_frequencies(size, generator)
    init_seed = int(torch.randint(2**31, (1,), generator=generator))
    starts = list(range(0, size, batch))
    if work_dir is not None:
        work_dir = os.path.join(work_dir, f"sine_inr-n{size}-s{steps}-lr{lr}-seed{seed}-shared{int(shared_init)}"
                                          f"-b{batch}-chunk{chunk_size}")

    def make(k: int) -> list[NetworkData]:
        start = starts[k]
        freq = frequencies[start:start + batch]
        # with a shared init every batch restarts from the same generator state
        init_generator = torch.Generator().manual_seed(init_seed if shared_init else init_seed + start)
        states, fit_mse = fit_sine_inrs(freq, steps=steps, lr=lr, generator=init_generator,
                                        shared_init=shared_init, progress=False)
        networks = []
        for state, a, mse in zip(states, freq.tolist(), fit_mse.tolist()):
            data = convert(state, chunk_size, y=[a])
            data.fit_mse = torch.tensor([mse])
            networks.append(data)
        return networks
    with tqdm(total=size, desc="sine INR zoo", disable=not progress) as bar:
        return make_groups(len(starts), make, work_dir,
                           done=lambda k: bar.update(min(batch, size - starts[k])))
