"""Per-(model, seed, setting) result files, so that an interrupted experiment resumes instead of restarting."""
from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

try:
    import fcntl
except ImportError:                          # not POSIX: runs sharing a folder are not coordinated
    fcntl = None


Job = tuple[str, Callable[[], Any], dict | None]      # (key, compute, settings) of one :func:`cached` result


def cached(out: str, key: str, compute: Callable[[], Any], settings: dict | None = None) -> Any:
    """The JSON result stored under ``key`` in ``out/cache``, computed and written (atomically) once.

    With ``settings``, the stored result is reused only when it was made with the same settings;
    a result of other settings is never overwritten silently: a ``ValueError`` names the file.
    Processes sharing ``out`` (one per model, say) never compute one result twice: whoever comes second waits
    for the first (:func:`result_lock`) and reads what it wrote.
    """
    path = result_path(out, key)
    if not os.path.exists(path):
        with result_lock(_lock_path(out, key), path):
            return _stored_or_computed(path, compute, settings)
    return _stored_or_computed(path, compute, settings)


def cached_all(out: str, jobs: Sequence[Job]) -> list:
    """The :func:`cached` result of every ``(key, compute, settings)`` job, in the order given.

    A job another process sharing ``out`` is making is put off, not waited for: this process makes the free
    jobs first and waits (for the first put-off job) only when every job left is being made elsewhere. So
    processes started on one list of jobs split it between them instead of queueing behind each other.
    """
    results: dict[int, Any] = {}
    left = list(range(len(jobs)))
    announced: set[int] = set()
    while left:
        taken = []
        for i in left:
            key, compute, settings = jobs[i]
            path = result_path(out, key)
            if os.path.exists(path):
                results[i] = _stored_or_computed(path, compute, settings)
                continue
            with result_lock(_lock_path(out, key), path, wait=False) as held:
                if held:
                    results[i] = _stored_or_computed(path, compute, settings)
                else:
                    taken.append(i)
                    if i not in announced:         # once per job, however many passes put it off
                        announced.add(i)
                        print(f"{path}: another process is computing this result; making the others first",
                              file=sys.stderr)
        if taken and len(taken) == len(left):     # every job left is being made elsewhere: wait for one
            results[taken[0]] = cached(out, *jobs[taken[0]])
            taken = taken[1:]
        left = taken
    return [results[i] for i in range(len(jobs))]


@contextlib.contextmanager
def result_lock(lock: str, what: str, wait: bool = True) -> Iterator[bool]:
    """Hold the file ``lock`` exclusively (``flock``: the system releases it when its process ends, so a killed
    run leaves no stale lock; the empty file stays, outside the cache folder); while another process holds it,
    say once that ``what`` is being made elsewhere and wait, or with ``wait=False`` yield ``False`` at once,
    silently (``True`` when the lock is held)."""
    if fcntl is None:
        yield True
        return
    os.makedirs(os.path.dirname(lock) or ".", exist_ok=True)
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            print(f"{what}: another process is computing this result; waiting for it", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def result_path(out: str, key: str) -> str:
    """Where :func:`cached` keeps the result ``key`` (``out/cache/<key>.json``)."""
    return os.path.join(out, "cache", f"{key}.json")


def _lock_path(out: str, key: str) -> str:
    return os.path.join(out, ".locks", f"{key}.lock")


def _stored_or_computed(path: str, compute: Callable[[], Any], settings: dict | None) -> Any:
    if os.path.exists(path):
        with open(path) as f:
            stored = json.load(f)
        if settings is None:
            return stored
        if not isinstance(stored, dict) or stored.get("settings") != settings:
            found = stored.get("settings") if isinstance(stored, dict) else None
            raise ValueError(f"{path} holds a result of other settings ({found} vs {settings}); use another --out "
                             f"or remove the file")
        return stored["value"]
    value = compute()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(f"{path}.partial", "w") as f:
        json.dump(value if settings is None else {"settings": settings, "value": value}, f, indent=1)
    os.replace(f"{path}.partial", path)
    return value


def checkpoint_path(out: str, key: str) -> str:
    """Where the training behind the result ``key`` keeps its epoch checkpoint (``out/cache/<key>.checkpoint.pt``),
    so a run stopped mid-training resumes from its last epoch (:mod:`sne_pyg.train.resume`)."""
    return os.path.join(out, "cache", f"{key}.checkpoint.pt")


def _tensor_path(out: str, key: str) -> str:
    return os.path.join(out, "cache", f"{key}.safetensors")


def load_cached_tensor(out: str, key: str, settings: dict):
    """The tensor stored by :func:`save_cached_tensor` under ``key`` (``None`` if there is none); loaded with
    safetensors (no unpickling). One made with other ``settings`` raises a ``ValueError`` naming the file."""
    from safetensors import safe_open

    path = _tensor_path(out, key)
    if not os.path.exists(path):
        return None
    with safe_open(path, framework="pt") as f:
        found = json.loads((f.metadata() or {}).get("settings", "null"))
        if found != json.loads(json.dumps(settings)):
            raise ValueError(f"{path} holds a tensor of other settings ({found} vs {settings}); use another --out "
                             f"or remove the file")
        return f.get_tensor("value")


def save_cached_tensor(out: str, key: str, value, settings: dict):
    """Write ``value`` (a tensor) to ``out/cache/<key>.safetensors`` with ``settings`` in its header, atomically;
    returns ``value``. An existing file is never overwritten (a ``FileExistsError`` names it)."""
    from safetensors.torch import save_file

    path = _tensor_path(out, key)
    if os.path.exists(path):
        raise FileExistsError(f"{path} exists; load it with load_cached_tensor or remove it")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save_file({"value": value.detach().cpu().contiguous()}, f"{path}.partial", metadata={"settings": json.dumps(settings)})
    os.replace(f"{path}.partial", path)
    return value
