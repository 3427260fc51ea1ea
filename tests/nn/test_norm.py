import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from sne_pyg.nn.norm import GlobalBatchNorm1d, local_statistics


def test_single_process_is_exactly_batchnorm():
    torch.manual_seed(0)
    x = torch.randn(10, 5, requires_grad=True)
    ours, ref = GlobalBatchNorm1d(5), nn.BatchNorm1d(5)
    ref.load_state_dict(ours.state_dict())
    for module in (ours, ref):
        module.weight.data.uniform_()
    ref.weight.data.copy_(ours.weight.data)
    y1, y2 = ours(x), ref(x)
    assert torch.equal(y1, y2)
    g1, = torch.autograd.grad(y1.pow(3).sum(), x)
    g2, = torch.autograd.grad(y2.pow(3).sum(), x)
    assert torch.equal(g1, g2)
    assert torch.equal(ours.running_var, ref.running_var)


def _worker(rank: int, world: int, init_file: str, x: torch.Tensor, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    torch.manual_seed(0)
    norm = GlobalBatchNorm1d(x.size(1), momentum=0.3).double()
    norm.weight.data.uniform_()
    norm.bias.data.uniform_()
    local = x[rank::world].clone().requires_grad_()
    y = norm(local)
    # the global loss is the mean over all rows; each process holds its share
    loss = y.pow(3).sum() / x.size(0)
    loss.backward()
    running = {"running_mean": norm.running_mean.clone(), "running_var": norm.running_var.clone()}
    with local_statistics(norm):
        y_local = norm(local.detach())
    torch.save({"y": y.detach(), "grad": local.grad, "weight_grad": norm.weight.grad, **running,
                "y_local": y_local.detach()}, os.path.join(out_dir, f"{rank}.pt"))
    dist.destroy_process_group()


def test_two_processes_normalise_by_global_batch_statistics(tmp_path):
    world = 2
    torch.manual_seed(1)
    x = torch.randn(12, 4, dtype=torch.float64) * 3 + 1
    mp.spawn(_worker, args=(world, str(tmp_path / "init"), x, str(tmp_path)), nprocs=world, join=True)
    parts = [torch.load(tmp_path / f"{r}.pt") for r in range(world)]

    torch.manual_seed(0)
    ref = nn.BatchNorm1d(4, momentum=0.3).double()
    ref.weight.data.uniform_()
    ref.bias.data.uniform_()
    x_ref = x.clone().requires_grad_()
    y_ref = ref(x_ref)
    (y_ref.pow(3).sum() / x.size(0)).backward()
    for r, part in enumerate(parts):
        torch.testing.assert_close(part["y"], y_ref[r::world].detach(), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(part["grad"], x_ref.grad[r::world], rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(part["running_mean"], ref.running_mean, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(part["running_var"], ref.running_var, rtol=1e-12, atol=1e-12)
    # DDP averages parameter gradients over processes: the mean of the per-process gradients
    # times the number of processes is the one-process gradient of the global loss
    torch.testing.assert_close(sum(p["weight_grad"] for p in parts), ref.weight.grad, rtol=1e-10, atol=1e-12)
    # inside local_statistics a process normalises by its own rows only
    for r, part in enumerate(parts):
        torch.manual_seed(0)
        local = nn.BatchNorm1d(4).double()
        local.weight.data.uniform_()
        local.bias.data.uniform_()
        torch.testing.assert_close(part["y_local"], local(x[r::world]).detach(), rtol=1e-12, atol=1e-12)
        assert not torch.allclose(part["y_local"], part["y"])
