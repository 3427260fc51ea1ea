"""retain_freed_memory: a freed large block is reused instead of being page-faulted in again."""
import subprocess
import sys

import pytest

PROGRAM = """
import resource, sys, torch
from sne_pyg.cpu_allocator import retain_freed_memory
if sys.argv[1] == "retain" and not retain_freed_memory():
    print("unsupported")
    sys.exit()
def faults_of_one_allocation():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.empty(16 * 2**20).fill_(1.0)          # 64 MB: above glibc's largest mmap threshold
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults_of_one_allocation()
print(min(faults_of_one_allocation() for _ in range(5)))   # a stray small block may split the freed one once
"""


def _faults(mode: str) -> int:
    result = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    if result.stdout.strip() == "unsupported":
        pytest.skip("the C library is not glibc")
    return int(result.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_retained_memory_is_reused_without_page_faults():
    pages = 64 * 2**20 // 4096
    assert _faults("default") > pages // 2          # glibc maps fresh pages for every 64 MB block
    assert _faults("retain") < pages // 20          # the freed heap block is reused
