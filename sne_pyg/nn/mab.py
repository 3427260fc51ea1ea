r"""The Multihead Attention Block of the Set Transformer and its attention patterns.

.. math::
    \mathrm{MAB}(X, Y) = \mathrm{LN}(H + \mathrm{rFF}(H)),\qquad
    H = \mathrm{LN}(X + \mathrm{Multihead}(X, Y, Y)).

The block owns the projections and the residual/feed-forward part; *which* queries see
*which* keys is decided by the pattern functions below, so the same block serves
fixed-size chunk sets (dense, masked) and variable-size layer / network sets
(segment operations, never padded to the largest set).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..segment import Segments, element_blocks, ptr_from_sizes, segment_sum
from .fused import fold_layer_norm, fused_inference, linear, normalise


class MAB(nn.Module):
    r"""Projections, residuals, LayerNorms and row-wise feed-forward of one pre-LayerNorm attention block:
    :math:`h = x + W_o\,\mathrm{Att}(\mathrm{LN}_q x, \mathrm{LN}_{kv} y)`, :math:`h + \mathrm{FF}(\mathrm{LN}_2 h)`."""

    def __init__(self, hidden: int, heads: int = 4, ff_mult: int = 2) -> None:
        super().__init__()
        if hidden % heads:
            raise ValueError(f"hidden ({hidden}) must be divisible by heads ({heads})")
        self.hidden, self.heads, self.head_dim = hidden, heads, hidden // heads
        self.q_proj = nn.Linear(hidden, hidden)
        self.k_proj = nn.Linear(hidden, hidden)
        self.v_proj = nn.Linear(hidden, hidden)
        self.o_proj = nn.Linear(hidden, hidden)
        self.norm_q = nn.LayerNorm(hidden)
        self.norm_kv = nn.LayerNorm(hidden)
        self.norm2 = nn.LayerNorm(hidden)
        self.ff = nn.Sequential(nn.Linear(hidden, ff_mult * hidden), nn.GELU(), nn.Linear(ff_mult * hidden, hidden))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.LayerNorm)):
                module.reset_parameters()

    def split_heads(self, x: Tensor) -> Tensor:
        """``[..., hidden] -> [..., heads, head_dim]``."""
        return x.unflatten(-1, (self.heads, self.head_dim))

    def query(self, x: Tensor) -> Tensor:
        return self.split_heads(self.q_proj(self.norm_q(x)))

    def key_value(self, y: Tensor) -> tuple[Tensor, Tensor]:
        y = self.norm_kv(y)
        return self.split_heads(self.k_proj(y)), self.split_heads(self.v_proj(y))

    def combine(self, x: Tensor, attended: Tensor) -> Tensor:
        """Residual + feed-forward given the queries' input ``x`` and ``[..., heads, head_dim]``."""
        h = x + self.o_proj(attended.flatten(-2))
        return h + self.ff(self.norm2(h))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(hidden={self.hidden}, heads={self.heads})"


# ---- attention patterns -------------------------------------------------------------
def dense_masked_attention(mab: MAB, x: Tensor, y: Tensor, key_mask: Tensor) -> Tensor:
    """``MAB(X, Y)`` over a batch of fixed-size sets; padded keys (``key_mask`` False) are ignored.

    Shapes: ``x [B, n, h]``, ``y [B, m, h]``, ``key_mask [B, m]``; returns ``[B, n, h]``. Every set
    must have at least one valid key. CPU inference runs :func:`folded_dense_attention`.
    """
    if fused_inference(x):
        return folded_dense_attention(mab, x, y, key_mask)
    q = mab.query(x).transpose(1, 2)                        # [B, H, n, d]
    k, v = (t.transpose(1, 2) for t in mab.key_value(y))   # [B, H, m, d]
    mask = key_mask[:, None, None, :]                       # True = may attend
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return mab.combine(x, out.transpose(1, 2))


def folded_dense_attention(mab: MAB, x: Tensor, y: Tensor, key_mask: Tensor) -> Tensor:
    r"""The pre-LN block of :func:`dense_masked_attention` rewritten for inference, the same function:

    * the LayerNorm affines are folded into the projections (:func:`~sne_pyg.nn.fused.fold_layer_norm`),
      so self-attention normalises once and computes q, k, v with one GEMM;
    * the key bias is dropped: it adds :math:`q \cdot b_k` to every score of a query, which the
      softmax ignores;
    * the value bias moves behind the attention (its weights sum to 1 over a non-empty set) and
      into the output bias, :math:`W_o (a + b_v) + b_o = W_o a + (W_o b_v + b_o)`;
    * bias, GELU and both residual additions run in the GEMM epilogues (:func:`~sne_pyg.nn.fused.linear`).
    """
    h = mab.hidden
    w_q, b_q, w_k, w_v, b_v = _folded_projections(mab)
    x_hat = normalise(x, mab.norm_q)
    if y is x and mab.norm_q.eps == mab.norm_kv.eps:
        qkv = linear(x_hat, torch.cat([w_q, w_k, w_v]), torch.cat([b_q, b_q.new_zeros(2 * h)]))
        q, k, v = qkv.split(h, dim=-1)
    else:
        q = linear(x_hat, w_q, b_q)
        k, v = linear(normalise(y, mab.norm_kv), torch.cat([w_k, w_v])).split(h, dim=-1)
    # heads as strided views: the attention output then comes back [B, n, H, d] in memory
    q, k, v = (mab.split_heads(t).transpose(1, 2) for t in (q, k, v))
    attended = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask[:, None, None, :])
    return _folded_combine(mab, x, attended.transpose(1, 2).flatten(-2), b_v)


def folded_seed_pooling(mab: MAB, seeds: Tensor, y: Tensor, key_mask: Tensor) -> Tensor:
    r"""``MAB(S, Y_b)`` of shared seeds ``[k, h]`` over every set of ``y [B, m, h]`` (PMA) for inference,
    the same function as :func:`dense_masked_attention` of the expanded seeds, reassociated.

    The seeds' queries are the same for every set, so each head's key projection folds into them,
    :math:`q_h \cdot W_{k,h}\hat y_j = (W_{k,h}^\top q_h) \cdot \hat y_j`, and the value
    projection moves behind the (linear) weighted sum, :math:`\sum_j a_j W_{v,h}\hat y_j =
    W_{v,h} \sum_j a_j \hat y_j`: per element ``k * heads`` dot products instead of two
    ``h x h`` projections. Returns ``[B, k, h]``.
    """
    h, heads, d = mab.hidden, mab.heads, mab.head_dim
    w_q, b_q, w_k, w_v, b_v = _folded_projections(mab)
    q = F.linear(normalise(seeds, mab.norm_q), w_q, b_q).view(-1, heads, d)              # [k, H, d]
    probes = torch.einsum("khd,hdi->khi", q, w_k.view(heads, d, h)).flatten(0, 1) / math.sqrt(d)   # [kH, h]
    y_hat = normalise(y, mab.norm_kv)                                                    # [B, m, h]
    scores = (y_hat @ probes.t()).transpose(1, 2)                                        # [B, kH, m]
    weights = scores.masked_fill(~key_mask[:, None, :], float("-inf")).softmax(-1)
    pooled = torch.bmm(weights, y_hat).view(y.size(0), -1, heads, h)                     # [B, k, H, h]
    attended = torch.einsum("bkhi,hdi->bkhd", pooled, w_v.view(heads, d, h)).flatten(-2)
    return _folded_combine(mab, seeds.expand(y.size(0), -1, -1), attended, b_v)


def _folded_projections(mab: MAB) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """``w_q, b_q, w_k, w_v, b_v`` with the pre-LN affines folded in; the key bias is left out
    (softmax-invariant), the value bias is returned for :func:`_folded_combine`."""
    w_q, b_q = fold_layer_norm(mab.q_proj, mab.norm_q)
    w_k, _ = fold_layer_norm(mab.k_proj, mab.norm_kv)
    w_v, b_v = fold_layer_norm(mab.v_proj, mab.norm_kv)
    return w_q, b_q, w_k, w_v, b_v


def _folded_combine(mab: MAB, x: Tensor, attended: Tensor, b_v: Tensor) -> Tensor:
    """:meth:`MAB.combine` (pre-LN) with the value bias ``b_v`` still to add to ``attended [..., h]``."""
    # the value bias passes the attention unchanged (its weights sum to 1): W_o (a + b_v) + b_o
    hidden = linear(attended, mab.o_proj.weight, torch.addmv(mab.o_proj.bias, mab.o_proj.weight, b_v), residual=x)
    w_1, b_1 = fold_layer_norm(mab.ff[0], mab.norm2)
    inner = linear(normalise(hidden, mab.norm2), w_1, b_1, gelu=True)
    return linear(inner, mab.ff[2].weight, mab.ff[2].bias, residual=hidden)


DENSE_SET_SIZE = 32   # sets at least this large attend densely (see pairwise_segment_attention)


def pairwise_segment_attention(mab: MAB, x: Tensor, segments: Segments, dense_from: int = DENSE_SET_SIZE) -> Tensor:
    r"""``SAB``: every element attends to every element of its own set, ``x [N, h] -> [N, h]``.

    Sets smaller than ``dense_from`` work on the list of within-set pairs (:math:`\sum_s n_s^2` of
    them) grouped by query, with a segment softmax over each query's keys. Larger sets each run one
    dense ``scaled_dot_product_attention`` (its fused kernel never holds the :math:`n^2` scores, so a
    layer of 10^4 chunks needs memory linear in its size; compute stays quadratic, use ISAB beyond).
    Both paths compute the same function.
    """
    q = mab.query(x)
    k, v = mab.key_value(x)
    sizes = segments.sizes
    large = (sizes >= dense_from).nonzero().flatten().tolist()
    if not large:
        return mab.combine(x, _pairwise_attention(q, k, v, segments, mab.head_dim))
    small_sets = sizes < dense_from
    small = small_sets.index_select(0, segments.index).nonzero().flatten()       # elements of small sets
    rows, parts = [small], []
    if small.numel():
        sub = Segments.from_sizes(sizes[small_sets])
        parts.append(_pairwise_attention(q[small], k[small], v[small], sub, mab.head_dim))
    bounds = segments.ptr.tolist()
    for s in large:
        part = slice(bounds[s], bounds[s + 1])
        # a 4-d [1, H, n, d] input selects the fused (flash) CPU kernel; 3-d falls back to n^2 memory
        attended = F.scaled_dot_product_attention(*(t[part].transpose(0, 1)[None] for t in (q, k, v)))
        parts.append(attended[0].transpose(0, 1))
        rows.append(torch.arange(bounds[s], bounds[s + 1], device=x.device))
    order = torch.cat(rows)
    out = torch.cat(parts)[torch.argsort(order)]
    return mab.combine(x, out)


def _pairwise_attention(q: Tensor, k: Tensor, v: Tensor, segments: Segments, head_dim: int) -> Tensor:
    """``[N, H, d]`` attention of every element over its set through the explicit list of pairs."""
    query_of_pair, key_of_pair, pair_ptr = segment_pairs(segments)
    scores = (q[query_of_pair] * k[key_of_pair]).sum(-1) / math.sqrt(head_dim)       # [P, H]
    pairs = Segments(pair_ptr, query_of_pair)
    weights = pairs.softmax(scores)
    return pairs.sum(weights.unsqueeze(-1) * v[key_of_pair])                       # [N, H, d]


ELEMENT_BLOCK = 8192   # elements per step where a per-element tensor grows with seeds x hidden


def seed_segment_attention(mab: MAB, seeds: Tensor, x: Tensor, segments: Segments,
                           block: int = ELEMENT_BLOCK) -> Tensor:
    """``MAB(S, X_s)`` for every set ``s``: learned seeds ``[k, h]`` attend over each set.

    Returns ``[num_sets, k, h]``; an empty set yields ``MAB`` of the seeds with zero attention.
    The weighted values ``[N, H, k, d]`` are summed ``block`` elements at a time (a block's partial
    sums per set come from the set pointer clipped to the block), so memory does not grow with
    ``k`` times the number of elements.
    """
    q = mab.query(seeds)                                                       # [k, H, d]
    k, v = mab.key_value(x)                                                    # [N, H, d]
    scores = torch.einsum("nhd,shd->nhs", k, q) / math.sqrt(mab.head_dim)      # [N, H, k]
    weights = segments.softmax(scores)
    out = None
    for part in element_blocks(x.size(0), block):
        ptr = segments.ptr.clamp(part.start, part.stop) - part.start
        summed = segment_sum(weights[part].unsqueeze(-1) * v[part].unsqueeze(2), ptr)   # [S, H, k, d]
        out = summed if out is None else out + summed
    out = out.permute(0, 2, 1, 3)                                              # [S, k, H, d]
    return mab.combine(seeds.expand(segments.num_segments, -1, -1), out)


def element_to_set_attention(mab: MAB, x: Tensor, per_set: Tensor, segments: Segments,
                             block: int = ELEMENT_BLOCK) -> Tensor:
    """``MAB(x_i, Y_{s(i)})``: each element attends to the ``m`` rows of its set's ``[S, m, h]``
    (``block`` elements at a time, so the gathered ``[N, m, H, d]`` keys never exist at once)."""
    q = mab.query(x)                                                           # [N, H, d]
    k, v = mab.key_value(per_set)                                              # [S, m, H, d]
    index = segments.index
    parts = []
    for part in element_blocks(x.size(0), block):
        owner = index[part]
        scores = torch.einsum("nhd,nmhd->nhm", q[part], k[owner]) / math.sqrt(mab.head_dim)
        parts.append(torch.einsum("nhm,nmhd->nhd", scores.softmax(-1), v[owner]))
    return mab.combine(x, torch.cat(parts) if len(parts) > 1 else parts[0])


def segment_pairs(segments: Segments) -> tuple[Tensor, Tensor, Tensor]:
    """All within-set ``(query, key)`` element pairs, grouped by query, and their CSR pointer."""
    index = segments.index
    per_query = segments.sizes.index_select(0, index)                # pairs of each element
    pair_ptr = ptr_from_sizes(per_query)
    num_pairs = int(pair_ptr[-1])
    query = torch.repeat_interleave(torch.arange(index.numel(), device=index.device), per_query,
                                    output_size=num_pairs)
    rank = torch.arange(num_pairs, device=index.device) - pair_ptr.index_select(0, query)
    key = segments.ptr.index_select(0, index.index_select(0, query)) + rank
    return query, key, pair_ptr
