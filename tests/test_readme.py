"""The README's quick start, run line by line as a new user would (in a fresh folder)."""
import os
import re
import shlex
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def quickstart_lines() -> list[str]:
    text = open(os.path.join(ROOT, "README.md")).read()
    block = re.search(r"<!-- quickstart -->\s*```bash\n(.*?)```", text, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def as_command(line: str) -> list[str]:
    if line == "make demo":      # the setup part is what `make test` already did
        return [sys.executable, "-m", "sne_pyg.demo", "--quick", "--no-progress"]
    words = shlex.split(line)
    if words[0] == "sne-pyg":
        return [sys.executable, "-m", "sne_pyg.cli", *words[1:]]
    if words[0] == "python":
        return [sys.executable, os.path.join(ROOT, words[1]), *words[2:]]
    if words[0] == "torchrun":
        return [sys.executable, "-m", "torch.distributed.run", *words[1:], "--no-progress"]
    raise AssertionError(f"the quick start has a command this test does not know how to run: {line}")


def test_quick_start_runs_end_to_end(tmp_path):
    lines = quickstart_lines()
    assert lines[0] == "make demo" and len(lines) >= 8
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=ROOT)
    for line in lines:
        done = subprocess.run(as_command(line), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{line}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert np.load(tmp_path / "my_net.npz")["embeddings"].shape[0] == 1
    for run in ("mine", "mine_ddp"):
        assert (tmp_path / "runs" / run / "model.safetensors").exists()
        assert (tmp_path / "runs" / run / "report.txt").exists()
    assert (tmp_path / "runs" / "mine" / "eval" / "results.json").exists()
    header = (tmp_path / "runs" / "mine" / "embeddings.csv").read_text().splitlines()[0]
    assert header.startswith("name,z0")
