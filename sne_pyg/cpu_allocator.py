"""Keep freed CPU memory in the process for reuse (glibc ``malloc`` settings, process-wide, opt-in).

PyTorch allocates CPU tensors with the C library's ``malloc``. glibc serves blocks above its
adaptive ``mmap`` threshold (at most 32 MB) with fresh ``mmap`` pages and returns them to the
operating system on ``free``, and trims the top of the heap when enough of it is free; the next
forward pass then page-faults the same memory back in (a minor fault per 4 KB page). Encoding
loops that allocate and free the same large tensors every batch spend much of their time there:
in ``benchmarks/bench_throughput.py`` NeuralGraph runs about 2x and SNE about 1.3x faster with
:func:`retain_freed_memory`. The price: the process keeps its high-water mark of memory.

jemalloc or tcmalloc loaded with ``LD_PRELOAD`` (PyTorch's CPU tuning guide) do the same job
for a whole program; this is the no-install alternative for glibc systems.
"""
from __future__ import annotations

import ctypes
import ctypes.util

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def retain_freed_memory() -> bool:
    """Make glibc serve every block from the heap (``M_MMAP_MAX = 0``) and never trim it.

    Affects the whole process from the call on. Returns False (and changes nothing) where the C
    library is not glibc or refuses a setting.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
