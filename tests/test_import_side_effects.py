"""Importing sne_pyg runs no torch kernel: a process forked after the import (a forkserver, a DataLoader
worker) can still use OpenMP, whose thread pool does not survive a fork once started."""
import os
import subprocess
import sys

import pytest


FORK_AFTER_IMPORT = """
import os, signal, sys, time
import torch, sne_pyg
pid = os.fork()
if pid == 0:        # OpenMP's pool does not survive a fork: a parallel op would hang here had the import run one
    torch.set_num_threads(2)
    n = 1 << 20
    torch.repeat_interleave(torch.arange(n), torch.ones(n, dtype=torch.long)).sum()
    os._exit(0)
for _ in range(600):                # up to 60 s, then the hung child is killed (no orphan left behind)
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        sys.exit(status)
    time.sleep(0.1)
os.kill(pid, signal.SIGKILL)
sys.exit("the forked child hung in a parallel op")
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_process_forked_after_importing_sne_pyg_can_run_parallel_ops():
    done = subprocess.run([sys.executable, "-c", FORK_AFTER_IMPORT], timeout=300, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
