import pytest
import torch
from torch_geometric.loader import DataLoader

from sne_pyg import SNE, convert
from sne_pyg.nn import sne as sne_module
from sne_pyg.segment import HAS_TORCH_SCATTER, use_backend
from tests import builders


def _sne(**kwargs):
    torch.manual_seed(0)
    return SNE(hidden=16, out_dim=2, heads=2, **kwargs).double().eval()


def _zoo(chunk_size=8):
    models = [builders.mlp(), builders.cnn_bn(), builders.transformer_encoder(), builders.gpt2_block(),
              builders.mlp(seed=3, widths=(2, 4, 1))]
    return [convert(m, chunk_size=chunk_size) for m in models]


def _batch(zoo):
    return next(iter(DataLoader(zoo, batch_size=len(zoo))))


@pytest.mark.parametrize("layer_block", ["sab", "isab"])
def test_network_alone_equals_inside_batch_and_order_does_not_matter(layer_block):
    model = _sne(layer_block=layer_block)
    zoo = _zoo()
    batched = model(_batch(zoo))
    assert batched.shape == (len(zoo), 2)
    alone = torch.cat([model(d) for d in zoo])
    assert torch.allclose(batched, alone, atol=1e-5)
    order = [3, 0, 4, 2, 1]
    shuffled = model(_batch([zoo[i] for i in order]))
    assert torch.allclose(shuffled, batched[order], atol=1e-5)
    assert not torch.allclose(batched[0], batched[1], atol=1e-3)   # networks are told apart


def test_padding_never_reaches_the_encoding():
    """Every layer fits one chunk at c=8 and at c=64: the same sets, only more masked padding."""
    model = _sne()
    net = builders.mlp(widths=(2, 2, 1))          # layers of 6 and 3 values
    small, large = convert(net, chunk_size=8), convert(net, chunk_size=64)
    assert small.layer_num_chunks.tolist() == large.layer_num_chunks.tolist() == [1, 1]
    assert torch.allclose(model.encode_chunks(small), model.encode_chunks(large), atol=1e-10)
    assert torch.allclose(model(small), model(large), atol=1e-10)
    # garbage in the padded slots changes nothing either
    dirty = small.clone()
    dirty.chunks = dirty.chunks.masked_fill(~dirty.chunk_mask, 1e4)
    assert torch.allclose(model(dirty), model(small), atol=1e-10)


def test_chunk_order_within_a_layer_does_not_change_the_layer_vector():
    model = _sne()
    data = convert(builders.cnn_bn(), chunk_size=4)
    perm, start = [], 0
    generator = torch.Generator().manual_seed(0)
    for n in data.layer_num_chunks.tolist():
        perm.append(start + torch.randperm(n, generator=generator))
        start += n
    perm = torch.cat(perm)
    assert not torch.equal(perm, torch.arange(perm.numel()))
    shuffled = data.clone()
    shuffled.chunks, shuffled.chunk_len = data.chunks[perm], data.chunk_len[perm]
    assert torch.allclose(model.encode_layers(shuffled), model.encode_layers(data), atol=1e-10)
    # moving a chunk to another layer does change it (the test can fail)
    moved = data.clone()
    moved.chunks = data.chunks.roll(1, 0)
    moved.chunk_len = data.chunk_len.roll(1, 0)
    assert not torch.allclose(model.encode_layers(moved), model.encode_layers(data), atol=1e-6)


def test_one_model_reads_any_chunk_size():
    model = _sne()
    for c in (3, 16, 50):
        assert model(_batch(_zoo(chunk_size=c))).shape == (5, 2)


@pytest.mark.parametrize("context", [False, True])
def test_chunk_batch_size_gives_the_same_result(context):
    zoo = _batch(_zoo())
    assert torch.allclose(_sne(chunk_batch_size=7, neuron_context=context)(zoo),
                          _sne(chunk_batch_size=None, neuron_context=context)(zoo), atol=1e-10)


def test_auto_chunk_blocks_are_sized_by_bytes_on_cpu(monkeypatch):
    model = _sne()                                   # hidden 16, ff_mult 2, float64: rows of 3 * 16 * 8 bytes
    assert model.chunk_batch_size == "auto"
    chunks = torch.zeros(1000, 8)
    assert model.chunks_per_block(chunks) == sne_module.AUTO_BLOCK_BYTES // (3 * 16 * 8 * 8)
    assert SNE(hidden=64, ff_mult=4).chunks_per_block(torch.zeros(10, 64)) == 12 * 2**20 // (4 * 64 * 4 * 64)
    monkeypatch.setattr(sne_module, "AUTO_BLOCK_BYTES", 3 * 16 * 8 * 8 * 2)   # two chunks per block
    zoo = _batch(_zoo())
    assert model.chunks_per_block(zoo.chunks) == 2
    assert torch.allclose(model(zoo), _sne(chunk_batch_size=None)(zoo), atol=1e-10)


def test_auto_chunk_blocks_are_bounded_on_accelerators_too():
    # a meta tensor stands for a GPU-resident batch: no data, only its device type is read
    gpt2_sized = torch.empty(1_944_000, 64, device="meta")
    per_block = SNE(hidden=64).chunks_per_block(gpt2_sized)
    assert per_block == sne_module.AUTO_BLOCK_BYTES_ACCELERATOR // (3 * 64 * 4 * 64)
    assert per_block > SNE(hidden=64).chunks_per_block(torch.zeros(10, 64))         # larger than on CPU
    assert per_block < gpt2_sized.size(0)                                           # but not everything


@pytest.mark.parametrize("bad", [0, -1, 2.5, "all", True])
def test_bad_chunk_batch_size(bad):
    with pytest.raises(ValueError, match="chunk_batch_size"):
        SNE(chunk_batch_size=bad)


@pytest.mark.parametrize("options", [{}, {"neuron_context": True, "element_positions": "chunk"}])
def test_float32_cpu_inference_matches_the_autograd_path(options):
    """No autograd + float32 on CPU runs folded, fused kernels; it must be the same function."""
    torch.manual_seed(0)
    model = SNE(hidden=16, out_dim=None, heads=2, **options).eval()
    with torch.no_grad():
        for p in model.parameters():       # LayerNorm gains/biases away from 1/0: the folds matter
            p.add_(torch.randn_like(p) * 0.1)
    zoo = _batch(_zoo())
    reference = model(zoo).detach()
    with torch.no_grad():
        fast = model(zoo)
    assert torch.allclose(fast, reference, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("layer_block,network_block", [("sab", "sab"), ("isab", "isab")])
def test_gradients_reach_every_parameter(layer_block, network_block):
    model = SNE(hidden=16, out_dim=1, heads=2, layer_block=layer_block, network_block=network_block)
    model.train()
    out = model(_batch(_zoo()))
    out.pow(2).sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.any(p.grad != 0)]
    assert missing == []


@pytest.mark.skipif(not HAS_TORCH_SCATTER, reason="torch-scatter not installed")
def test_backends_give_the_same_encoding():
    model = _sne()
    batch = _batch(_zoo())
    with use_backend("native"):
        native = model(batch)
    with use_backend("torch_scatter"):
        scatter = model(batch)
    assert torch.allclose(native, scatter, atol=1e-10)


def test_embedding_without_head():
    model = SNE(hidden=16, out_dim=None, heads=2)
    assert model(_batch(_zoo())).shape == (5, 16)
    assert "hidden=16" in repr(model)
