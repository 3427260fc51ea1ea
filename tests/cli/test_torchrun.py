"""``torchrun`` with 2 CPU processes (gloo) trains the same weights as one process.

Both runs see the same global batches (``DistributedSampler`` order; each process takes half of
every batch), the prediction head's BatchNorm uses global-batch statistics, and DDP averages the
gradients. The results agree up to floating-point summation order (the all-reduce sums per-process
partial gradients and batch statistics in another order than one process does). Adam divides by
the root of the squared-gradient average, which amplifies those last-bit differences on
near-zero gradients, so the runs are compared in float64, where after 3 epochs (12 steps) they
agree to about 1e-8; the test allows 1e-6.
"""
import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from sne_pyg.cli import main
from sne_pyg.nn import build_model
from sne_pyg.train import seed_everything

ARGS = ["--hidden", "8", "--epochs", "3", "--batch-size", "8", "--dtype", "float64", "--no-progress"]


def _two_processes_and_one(command: str, tiny_zoo, tmp_path, args: list[str], weights: str):
    """Run ``sne-pyg COMMAND`` under torchrun with 2 CPU processes (into ``ddp``) and in this process (into
    ``single``); assert both wrote the same ``weights`` file up to 1e-6; return (torchrun output, single weights)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
              "-m", "sne_pyg.cli", command, "--data", str(tiny_zoo), "--out", str(tmp_path / "ddp"), *args]
    done = subprocess.run(launch, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert main([command, "--data", str(tiny_zoo), "--out", str(tmp_path / "single"), *args]) == 0
    ddp = load_file(str(tmp_path / "ddp" / weights))
    single = load_file(str(tmp_path / "single" / weights))
    assert ddp.keys() == single.keys()
    for key in single:
        torch.testing.assert_close(ddp[key], single[key], rtol=0, atol=1e-6, msg=key)
    return done, single


def test_two_process_torchrun_trains_the_same_weights_as_one_process(tiny_zoo, tmp_path):
    done, single = _two_processes_and_one("train", tiny_zoo, tmp_path, ARGS, "model.safetensors")
    seed_everything(0)               # the initial weights of both runs: training moved them
    initial = build_model("sne", hidden=8, out_dim=1).double().state_dict()
    moved = [k for k in single if initial[k].is_floating_point() and (single[k] - initial[k]).abs().max() > 1e-4]
    assert len(moved) > len(single) // 2
    results = {name: json.loads((tmp_path / name / "results.json").read_text()) for name in ("ddp", "single")}
    assert results["ddp"]["world_size"] == 2 and results["single"]["world_size"] == 1
    # losses are reduced across ranks: the logged train loss of every epoch matches one process
    for a, b in zip(results["ddp"]["history"], results["single"]["history"]):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-6)
        assert a["val_mse"] == pytest.approx(b["val_mse"], rel=1e-6)
    # only rank 0 writes: one report, printed once
    assert done.stdout.count("train sne on") == 1
    assert sorted(os.listdir(tmp_path / "ddp")) == sorted(os.listdir(tmp_path / "single"))


@pytest.mark.parametrize("model,beta", [("hyperrep", "0.5"), ("sne", "1.0")])
def test_two_process_pretraining_equals_one_process(tiny_zoo, tmp_path, model, beta):
    """Self-supervised training on 2 processes: embeddings (and HyperRep's reconstruction targets) are
    gathered with gradients, so NT-Xent sees every negative and BatchNorm the global batch; a batch of 7
    splits 4 + 3 (uneven shards are padded for the gather). Same weights as one process."""
    args = ["--model", model, "--hidden", "8", "--epochs", "2", "--batch-size", "7", "--beta", beta,
            "--dtype", "float64", "--no-progress"] + (["--option", "dropout=0", "--option", "d_model=16",
                                                       "--option", "blocks=1"] if model == "hyperrep" else [])
    done, _ = _two_processes_and_one("pretrain", tiny_zoo, tmp_path, args, "encoder.safetensors")
    results = {name: json.loads((tmp_path / name / "results.json").read_text()) for name in ("ddp", "single")}
    assert results["ddp"]["world_size"] == 2 and results["single"]["world_size"] == 1
    for a, b in zip(results["ddp"]["history"], results["single"]["history"]):
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-8)
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-8)
    assert done.stdout.count("pretrained") == 1
