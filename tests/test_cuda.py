"""The CUDA path: the same numbers as on the CPU. Skipped on machines without a GPU (CI has none)."""
import pytest
import torch
from torch_geometric.loader import DataLoader

from sne_pyg import SNE, convert
from sne_pyg.nn import build_model
from sne_pyg.segment import BACKENDS, HAS_TORCH_SCATTER, segment_max, segment_softmax, segment_sum, use_backend
from sne_pyg.train import prepare_dataset
from tests import builders

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _zoo():
    return [convert(builders.ALL[name](seed=i), chunk_size=8, dtype=torch.float64)
            for i, name in enumerate(["mlp", "cnn_bn", "transformer", "gpt2_block", "mlp"])]


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "auto" and (b == "native" or HAS_TORCH_SCATTER)])
def test_segment_operations_match_the_cpu(backend):
    g = torch.Generator().manual_seed(0)
    sizes = torch.tensor([3, 0, 70, 1, 5])
    ptr = torch.cat([torch.zeros(1, dtype=torch.long), sizes.cumsum(0)])
    src = torch.randn(int(sizes.sum()), 4, generator=g, dtype=torch.float64)
    with use_backend(backend):
        for op in (segment_sum, segment_max, segment_softmax):
            assert torch.allclose(op(src.cuda(), ptr.cuda()).cpu(), op(src, ptr), atol=1e-12)


@pytest.mark.parametrize("name,mixed", [("sne", True), ("deepsets", True), ("statnn", False), ("flat_mlp", False)])
def test_models_give_the_cpu_outputs(name, mixed):
    torch.manual_seed(0)
    model = build_model(name, hidden=16, out_dim=2).double().eval()
    zoo = _zoo() if mixed else [convert(builders.mlp(seed=i), chunk_size=8, dtype=torch.float64) for i in range(4)]
    batch = next(iter(DataLoader(prepare_dataset(model, zoo), batch_size=5)))
    with torch.no_grad():
        cpu = model(batch)
        gpu = model.cuda()(batch.cuda()).cpu()
    assert torch.allclose(cpu, gpu, atol=1e-9)


def test_neural_graph_matches_the_cpu():
    torch.manual_seed(0)
    model = build_model("neural_graph", hidden=16, out_dim=1).double().eval()
    nets = [convert(builders.ALL[n](seed=i), chunk_size=8, dtype=torch.float64) for i, n in enumerate(["mlp", "cnn_bn"])]
    batch = next(iter(DataLoader(prepare_dataset(model, nets), batch_size=2)))
    with torch.no_grad():
        assert torch.allclose(model(batch), model.cuda()(batch.cuda()).cpu(), atol=1e-9)


def test_sne_gradients_match_the_cpu_with_a_chunk_budget():
    torch.manual_seed(0)
    model = SNE(hidden=16, out_dim=1, chunk_batch_size=7).double()
    batch = next(iter(DataLoader(_zoo(), batch_size=5)))
    model.eval()
    model(batch).sum().backward()
    cpu_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model.cuda()(batch.cuda()).sum().backward()
    for a, p in zip(cpu_grads, model.parameters()):
        assert torch.allclose(a, p.grad.cpu(), atol=1e-8)


def test_convert_reads_a_model_on_the_gpu():
    torch.manual_seed(0)
    model = builders.ALL["cnn_bn"](seed=0)
    expected = convert(model, chunk_size=8)
    for _ in range(2):                       # first conversion (layer by layer), then the cached plan's gather
        data = convert(model.cuda(), chunk_size=8)
        assert data.chunks.device.type == "cpu" and torch.equal(data.chunks, expected.chunks)
    back = data.to_state_dict()
    for key, value in model.state_dict().items():
        assert torch.equal(back[key].cpu(), value.cpu()), key


def test_neural_graph_builds_its_view_for_an_unprepared_gpu_batch():
    torch.manual_seed(0)
    model = build_model("neural_graph", hidden=16, out_dim=1).double().eval()
    nets = [convert(builders.ALL[n](seed=i), chunk_size=8, dtype=torch.float64) for i, n in enumerate(["mlp", "cnn_bn"])]
    batch = next(iter(DataLoader(nets, batch_size=2)))          # no prepare_dataset: the model builds the view
    with torch.no_grad():
        cpu = model(batch)
        assert torch.allclose(cpu, model.cuda()(batch.cuda()).cpu(), atol=1e-9)


def _train_two_epochs(device: str) -> tuple[list[float], list[torch.Tensor]]:
    from sne_pyg.train import TrainConfig, fit
    zoo = [convert(builders.mlp(seed=i), chunk_size=8, dtype=torch.float64, y=[float(i)]) for i in range(6)]
    torch.manual_seed(0)
    model = SNE(hidden=16, out_dim=1).double()
    config = TrainConfig(epochs=2, batch_size=3, li_weight=0.5, seed=0, device=device, progress=False)
    result = fit(model, zoo[:4], zoo[4:], config)
    return [row["train_loss"] for row in result.history], [p.detach().cpu() for p in model.parameters()]


def test_training_with_logit_invariance_follows_the_cpu_run():
    cpu_losses, cpu_params = _train_two_epochs("cpu")
    gpu_losses, gpu_params = _train_two_epochs("cuda")
    assert torch.allclose(torch.tensor(cpu_losses), torch.tensor(gpu_losses), rtol=1e-6)
    for a, b in zip(cpu_params, gpu_params):
        assert torch.allclose(a, b, atol=1e-6)


def test_a_stopped_gpu_training_with_dropout_resumes_on_the_same_random_stream(tmp_path):
    """HyperRep with dropout pretrained on the GPU, stopped after epoch 2: the rerun restores the GPU generator from
    the checkpoint, so it ends where the uninterrupted run ends (dropout masks drawn on the GPU; a fresh stream
    would give epochs 2-3 the masks of epochs 0-1)."""
    from sne_pyg import HyperRep
    from sne_pyg.ssl.train import SSLConfig, fit_ssl
    nets = [convert(builders.mlp(seed=i, widths=(3, 6, 5, 2)), 8) for i in range(12)]

    def run(path, monitor=None):
        torch.manual_seed(0)
        model = HyperRep(hidden=8, out_dim=None, d_model=16, blocks=1, ff=32, dropout=0.2)
        config = SSLConfig(epochs=4, batch_size=4, lr=3e-3, beta=0.5, noise=0.01, patience=6, seed=3, progress=False,
                           checkpoint=str(path), device="cuda")
        _, result = fit_ssl(model, nets[:8], nets[8:], config, monitor=monitor)
        return model, result

    whole, expected = run(tmp_path / "whole.pt")
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "run.pt", builders.stop_ssl_at(2))
    resumed, result = run(tmp_path / "run.pt")
    assert result.best_epoch == expected.best_epoch
    for (key, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), key
