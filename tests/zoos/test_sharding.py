"""Zoo generation shared by 2 ``torchrun`` CPU processes: the same zoo, bit for bit, as one process."""
import os
import subprocess
import sys

import torch

from sne_pyg.data import ZooFolder
from sne_pyg.data.dataset import SPLITS
from sne_pyg.zoos import sharding

ZOO = ["zoo", "arch1-digits", "--size", "10", "--steps", "1", "--fractions", "0.6,0.2,0.2", "--no-progress"]


def _networks(folder):
    return {s: list(ZooFolder(str(folder), s)) for s in SPLITS}


def test_two_processes_make_the_one_process_zoo_bit_for_bit(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "sne_pyg.cli", *ZOO, "--out", str(tmp_path / "two")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    single = subprocess.run([sys.executable, "-m", "sne_pyg.cli", *ZOO, "--out", str(tmp_path / "one")], env=env,
                            capture_output=True, text=True, timeout=300)
    assert single.returncode == 0, single.stderr[-3000:]
    groups = sorted(os.listdir(tmp_path / "two" / "work" / os.listdir(tmp_path / "two" / "work")[0]))
    assert len(groups) >= 3                           # the groups were shared: both processes trained some
    assert done.stdout.count("wrote arch1-digits zoo") == 1     # and only the main process saved the splits
    two, one = _networks(tmp_path / "two"), _networks(tmp_path / "one")
    for split in SPLITS:
        assert len(two[split]) == len(one[split]) > 0
        for a, b in zip(two[split], one[split]):
            for key in ("chunks", "y", "hparams", "run", "epoch"):
                assert torch.equal(a[key], b[key]), key


def test_groups_are_reused_and_made_once(tmp_path):
    made = []

    def make(k):
        made.append(k)
        from tests import builders
        from sne_pyg import convert
        return [convert(builders.mlp(k), chunk_size=8, y=[float(k)])]
    first = sharding.make_groups(3, make, str(tmp_path))
    assert made == [0, 1, 2] and [float(d.y) for d in first] == [0.0, 1.0, 2.0]
    os.remove(sharding.group_path(str(tmp_path), 1))
    again = sharding.make_groups(3, make, str(tmp_path))
    assert made == [0, 1, 2, 1]                        # only the missing group was made again
    assert all(torch.equal(a.chunks, b.chunks) for a, b in zip(first, again))
    assert [float(d.y) for d in sharding.make_groups(2, make, None)] == [0.0, 1.0]
