r"""SNE: the Set-based Neural Network Encoder (Andreis et al., NeurIPS 2024).

A network is a set of layers, a layer a set of chunks, a chunk a set of ``c`` scalars:

.. math::
    z_{\mathrm{chunk}} &= \mathrm{PMA}\,\Phi_c\big(W v_j + [p(j)] + e_0(\ell)\big)_{j < c} + e_1(\ell) \\
    z_{\mathrm{layer}} &= \mathrm{PMA}\,\Phi_\ell\big(\{z_{\mathrm{chunk}}\}_{\mathrm{chunks\ of}\ \ell}\big) + e_2(\ell) \\
    z_{\mathrm{net}} &= \mathrm{PMA}\,\Phi_n\big(\{z_{\mathrm{layer}}\}_{\ell \in \mathrm{net}}\big),
    \qquad \hat y = \mathrm{MLP}(z_{\mathrm{net}}),

with :math:`p(j)` the optional code of an element's position inside its chunk, :math:`e_k` the layer-type +
layer-level encodings (:mod:`sne_pyg.nn.encodings`) and
:math:`\Phi` stacks of SAB (or ISAB) blocks. The chunk level runs dense over fixed-size
chunks; the layer and network levels are segment operations over variable-size sets.
Nothing depends on the chunk size, so one model reads data converted with any ``c``.

Where the paper is silent we chose, after measuring on the sine-INR zoo (see README):

* the lift :math:`W v` is an MLP of :math:`(v/\mathrm{rms}_\ell, \log \mathrm{rms}_\ell)`, each value
  relative to its layer's RMS plus that scale, so layers of very different magnitudes (SIREN
  hidden weights ~0.01, norm gains ~1) are visible at all, and mean-like pooling of the
  nonlinear features carries soft-histogram information about a chunk;
* a chunk is a bag of values by default; ``element_positions="chunk"`` adds each element's position
  inside its chunk, and ``neuron_context=True`` the statistics of the neurons each element joins. Both let
  SNE fit its training INRs better (README, "Does SNE lose information?"); positions read the layout's
  order, which hidden-neuron permutations change, the context does not;
* every attention block is pre-LayerNorm, so raw differences survive the residual stream;
* the head starts with a BatchNorm over network embeddings: networks of one zoo differ by
  well under 1% of their embedding norm at initialisation, and without it training collapses
  to predicting the mean (its statistics are recomputed before evaluation by the training loop).
"""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.nn import MLP
from torch_geometric.nn.aggr import MeanAggregation

from ..data.network_data import NetworkData
from ..segment import Segments
from .aggr import SegmentSetTransformer
from .chunk_encoder import ChunkEncoder, MeanChunkEncoder
from .encodings import ElementPositionEncoding, StructureEncoding
from .fused import fused_inference, linear
from .encoder import NetworkEncoder
from .features import layer_rms, scaled_values
from .neuron_context import CONTEXT_FEATURES, NeuronContext


# Per-element intermediates of one chunk block (q/k/v rows, feed-forward rows) stay near this size on
# CPU: glibc hands blocks above its adaptive mmap threshold (<= 32 MB) back to the OS when freed, so
# every pass page-faults them in again; measured in benchmarks/bench_throughput.py (1.3-1.5x).
AUTO_BLOCK_BYTES = 12 * 2**20
# On GPUs (no page-fault cost, far more bandwidth) blocks are much larger, but still bounded: all of GPT-2
# small's 1.94M chunks at once would need ~24 GB per intermediate at hidden 16 (~95 GB at hidden 64).
AUTO_BLOCK_BYTES_ACCELERATOR = 512 * 2**20


SET_FUNCTIONS = ("attention", "mean")
ENCODINGS = ("type+level", "type", "level", "none")
HIERARCHIES = ("chunk-layer-network", "chunk-network")
ELEMENT_POSITIONS = ("none", "chunk")


class SNE(NetworkEncoder, name="sne"):
    """Set-based Neural Network Encoder: a batch of converted networks -> one row per network.

    Args:
        hidden: width of every set function (default 64).
        out_dim: outputs of the MLP head; ``None`` returns the ``hidden``-dim embedding.
        heads: attention heads in every block (default 4).
        chunk_blocks, layer_blocks, network_blocks: set-to-set blocks at each level (default 2,
            the paper's :math:`\\Phi = \\mathrm{SAB}(\\mathrm{SAB}(\\cdot))`).
        layer_block: ``"sab"`` (exact, quadratic in a layer's chunk count) or ``"isab"``
            (induced points, linear: use it for networks with very large layers).
        network_block: the same choice over the layers of a network (default ``"sab"``).
        num_inducing: inducing points of ISAB blocks (default 16).
        ff_mult: width multiplier of each block's feed-forward part (default 2).
        chunk_batch_size: encode at most this many chunks at once (bounds peak memory on
            huge networks); ``None`` encodes all chunks together; ``"auto"`` (default) keeps every
            per-element intermediate of a block near :data:`AUTO_BLOCK_BYTES` on CPU (256 chunks of
            64 at hidden 64) and near :data:`AUTO_BLOCK_BYTES_ACCELERATOR` on other devices (10,922 chunks).

    Ablations (the paper's Table 6; the defaults are the full model):
        set_function: ``"attention"`` (SAB/PMA at every level) or ``"mean"`` (mean pooling at every level,
            the lift MLP kept).
        encodings: which layer encodings are added at every stage: ``"type+level"``, ``"type"``,
            ``"level"`` or ``"none"``.
        hierarchy: ``"chunk-layer-network"`` or ``"chunk-network"`` (no layer-level encoder: the network
            level pools all of a network's chunks).
        element_positions: ``"none"`` (a chunk is a bag of values, invariant to the order of its elements) or
            ``"chunk"`` (each element's position inside its chunk is encoded).

    Extension (not in the paper):
        neuron_context: each element also enters with statistics of the neurons it connects (its row and
            column, the outgoing weights of its neuron and the incoming weights of its input;
            :mod:`sne_pyg.nn.neuron_context`), still with no messages and no change under hidden-neuron
            permutations.
    """

    def __init__(self, hidden: int = 64, out_dim: int | None = 1, *, heads: int = 4, chunk_blocks: int = 2,
                 layer_blocks: int = 2, network_blocks: int = 2, layer_block: str = "sab",
                 network_block: str = "sab", num_inducing: int = 16, ff_mult: int = 2,
                 chunk_batch_size: int | str | None = "auto", set_function: str = "attention",
                 encodings: str = "type+level", hierarchy: str = "chunk-layer-network",
                 element_positions: str = "none", neuron_context: bool = False) -> None:
        super().__init__()
        if not (chunk_batch_size in (None, "auto") or (type(chunk_batch_size) is int and chunk_batch_size >= 1)):
            raise ValueError(f"chunk_batch_size must be an int >= 1, None or 'auto', got {chunk_batch_size!r}")
        for option, value, allowed in (("set_function", set_function, SET_FUNCTIONS), ("encodings", encodings, ENCODINGS),
                                       ("hierarchy", hierarchy, HIERARCHIES),
                                       ("element_positions", element_positions, ELEMENT_POSITIONS)):
            if value not in allowed:
                raise ValueError(f"{option} must be one of {allowed}, got {value!r}")
        self.chunk_batch_size = chunk_batch_size
        if not isinstance(neuron_context, bool):
            raise ValueError(f"neuron_context must be True or False, got {neuron_context!r}")
        self.neuron_context = neuron_context
        self.lift = MLP([2 + CONTEXT_FEATURES * neuron_context, hidden, hidden], norm=None, act='gelu')
        terms = {"use_type": "type" in encodings, "use_level": "level" in encodings}
        self.element_encoding = StructureEncoding(hidden, **terms)
        self.element_position = ElementPositionEncoding(hidden) if element_positions == "chunk" else None
        self.chunk_encoding = StructureEncoding(hidden, **terms)
        self.layer_encoding = StructureEncoding(hidden, **terms) if hierarchy == "chunk-layer-network" else None
        if set_function == "attention":
            self.chunk_encoder = ChunkEncoder(hidden, heads, chunk_blocks, ff_mult)
            self.layer_encoder = SegmentSetTransformer(hidden, heads, layer_blocks, layer_block, num_inducing, ff_mult)
            self.network_encoder = SegmentSetTransformer(hidden, heads, network_blocks, network_block,
                                                         num_inducing, ff_mult)
        else:
            self.chunk_encoder, self.layer_encoder, self.network_encoder = (MeanChunkEncoder(), MeanAggregation(),
                                                                            MeanAggregation())
        if hierarchy == "chunk-network":
            self.layer_encoder = None

    # ---- the three levels -------------------------------------------------------------
    def encode_chunks(self, data: NetworkData) -> Tensor:
        """``[C, hidden]``: one vector per chunk (level and type encodings included)."""
        dtype = self.lift.lins[0].weight.dtype
        element_enc = self.element_encoding(data.layer_type, data.layer_level)
        chunk_enc = self.chunk_encoding(data.layer_type, data.layer_level)
        values, owner = data.chunks, data.chunk2layer
        positions = torch.arange(values.size(1), device=values.device)
        step = self.chunks_per_block(values)
        parts = []
        # [c, hidden], the same for every chunk
        position_enc = None if self.element_position is None else self.element_position(values.size(1)).to(dtype)
        scale = layer_rms(data).to(dtype)
        context = NeuronContext(data, scale) if self.neuron_context else None
        for start in range(0, values.size(0), step):
            sl = slice(start, start + step)
            layer = owner[sl]
            inputs = scaled_values(values[sl].to(dtype), scale[layer])
            if context is not None:
                inputs = torch.cat([inputs, context.features(sl)], dim=-1)
            x = self.lift_values(inputs) + element_enc[layer].unsqueeze(1)
            if position_enc is not None:
                x = x + position_enc
            mask = positions < data.chunk_len[sl, None]          # this block's padding mask only
            parts.append(self.chunk_encoder(x, mask) + chunk_enc[layer])
        if not parts:
            return values.new_zeros(0, self.config['hidden'], dtype=dtype)
        return torch.cat(parts) if len(parts) > 1 else parts[0]

    def chunks_per_block(self, chunks: Tensor) -> int:
        """How many of the ``[C, c]`` ``chunks`` the chunk encoder takes at once (see ``chunk_batch_size``)."""
        size = self.chunk_batch_size
        if size == "auto":
            budget = AUTO_BLOCK_BYTES if chunks.device.type == "cpu" else AUTO_BLOCK_BYTES_ACCELERATOR
            row_bytes = max(3, self.config["ff_mult"]) * self.config["hidden"] * self.lift.lins[0].weight.element_size()
            return max(1, budget // (row_bytes * max(chunks.size(1), 1)))
        return size or max(chunks.size(0), 1)

    def lift_values(self, inputs: Tensor) -> Tensor:
        """``[..., 2] -> [..., hidden]``: the lift MLP (Linear, GELU, Linear); fused kernels in CPU inference."""
        if fused_inference(inputs):
            first, last = self.lift.lins
            return linear(linear(inputs, first.weight, first.bias, gelu=True), last.weight, last.bias)
        return self.lift(inputs)

    def encode_layers(self, data: NetworkData, chunk_vectors: Tensor | None = None) -> Tensor:
        """``[L, hidden]``: one vector per layer, a set function over its chunks."""
        if self.layer_encoder is None:
            raise ValueError("this SNE has no layer-level encoder (hierarchy='chunk-network'): it encodes no layers")
        if chunk_vectors is None:
            chunk_vectors = self.encode_chunks(data)
        chunks_of_layer = Segments(data.layer_ptr, data.chunk2layer)
        layer_vectors = self.layer_encoder(chunk_vectors, chunks_of_layer.index, chunks_of_layer.ptr)
        return layer_vectors + self.layer_encoding(data.layer_type, data.layer_level)

    def encode(self, data: NetworkData) -> Tensor:
        """``[B, hidden]``: one embedding per network."""
        if self.layer_encoder is None:                     # hierarchy "chunk-network": pool a network's chunks
            chunk_owner = data.layer2net.index_select(0, data.chunk2layer)
            chunks_of_net = Segments.from_index(chunk_owner, data.num_networks)
            return self.network_encoder(self.encode_chunks(data), chunks_of_net.index, chunks_of_net.ptr)
        layers_of_net = Segments(data.net_ptr, data.layer2net)
        return self.network_encoder(self.encode_layers(data), layers_of_net.index, layers_of_net.ptr)

