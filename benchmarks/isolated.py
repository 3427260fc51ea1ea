"""Run one measurement in a fresh process and report its peak resident memory.

Peak RSS is a per-process high-water mark, so every measurement gets its own fresh process:
``baseline_rss_gb`` is the RSS after imports, ``peak_rss_gb`` the high-water mark at the end, and
``peak_above_baseline_gb`` what the task itself added. ``cap_gb`` sets ``RLIMIT_AS`` in the child, so
a task that does not fit fails with a MemoryError there instead of waking the kernel's OOM killer.

The processes are forked from a ``forkserver`` that imported torch, PyG, torch-scatter, SciPy and
sne_pyg once: a fresh process costs a fork instead of ~6 s of imports, without inheriting the
caller's heap or allocator state. None of these imports runs a torch kernel
(``tests/test_import_side_effects.py``): OpenMP's thread pool does not survive a fork, so a child's
first parallel op would hang.
"""
from __future__ import annotations

import multiprocessing as mp
import resource
import traceback
from collections.abc import Callable


def _status_gb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**20          # kB
    return float("nan")


def current_rss_gb() -> float:
    return _status_gb("VmRSS")


def peak_rss_gb() -> float:
    """The resident-memory high-water mark (since the process started or :func:`reset_peak_rss`)."""
    return _status_gb("VmHWM")


def reset_peak_rss() -> float:
    """Restart the high-water mark at the current RSS (Linux ``clear_refs`` 5); returns that RSS."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return current_rss_gb()


PRELOADED = ["torch", "torch_geometric", "torch_scatter", "scipy.stats", "sne_pyg"]
_CONTEXT = None


def _context():
    """The forkserver context, its server preloading :data:`PRELOADED` (started on first use)."""
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = mp.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(PRELOADED)
    return _CONTEXT


def _child(queue, task: Callable, kwargs: dict, cap_gb: float | None, threads: int | None) -> None:
    import torch
    if threads:
        torch.set_num_threads(threads)
    if cap_gb:
        limit = int(cap_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    baseline = current_rss_gb()
    try:
        result = dict(task(**kwargs), ok=True)
    except (MemoryError, RuntimeError) as error:        # torch reports a failed allocation as RuntimeError
        result = {"ok": False, "error": f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"}
    except Exception as error:                           # noqa: BLE001 -- reported, not raised, in the table
        result = {"ok": False, "error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()[-800:]}
    peak = peak_rss_gb()
    queue.put(dict(result, baseline_rss_gb=baseline, peak_rss_gb=peak, peak_above_baseline_gb=peak - baseline))


def run_isolated(task: Callable, cap_gb: float | None = None, timeout_s: float | None = None,
                 threads: int | None = None, **kwargs) -> dict:
    """``task(**kwargs)`` (a module-level function returning a dict) in a fresh process, plus memory figures."""
    context = _context()
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue, task, kwargs, cap_gb, threads))
    process.start()
    try:
        result = queue.get(timeout=timeout_s)
    except Exception:                                    # noqa: BLE001 -- timeout or a killed child
        process.kill()
        process.join()
        return {"ok": False, "error": f"no result (exit code {process.exitcode}, timeout {timeout_s} s)"}
    process.join()
    return result
