r"""Contrastive losses over two augmented views of a batch of networks.

NT-Xent (Chen et al. 2020, used by Schürholt et al. 2021) for ``N`` pairs :math:`(u_i, v_i)`:
with :math:`s_{ab} = \cos(a, b) / \tau` over the :math:`2N` embeddings,

.. math:: \ell_i = -\log \frac{\exp s_{u_i v_i}}{\sum_{k \ne u_i} \exp s_{u_i k}}, \qquad
          L = \frac{1}{2N} \sum_{\text{both views}} \ell.

The positive-only variant (the paper's Ec+D) pulls the pairs together without negatives,
:math:`1 - \cos(u_i, v_i)`. (The reference code's ``NT_Xent_pos`` is the MSE of
:math:`\cos/\tau` to 0, which pushes pairs *apart*; we implement the paper's intent instead.)
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def nt_xent(u: Tensor, v: Tensor, temperature: float = 0.1) -> Tensor:
    """NT-Xent of two views ``[N, d]`` (row ``i`` of ``u`` and of ``v`` is a positive pair)."""
    if u.shape != v.shape or u.dim() != 2:
        raise ValueError(f"nt_xent takes two [N, d] tensors of one shape, got {tuple(u.shape)} and {tuple(v.shape)}")
    n = u.size(0)
    z = F.normalize(torch.cat([u, v]), dim=1)
    scores = z @ z.T / temperature
    scores = scores.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(scores, positives)


def positive_pair_loss(u: Tensor, v: Tensor) -> Tensor:
    """``mean(1 - cos(u_i, v_i))``: pulls the two views of each network together (no negatives)."""
    return (1 - F.cosine_similarity(u, v, dim=1)).mean()
