"""Per-(model, seed, setting) result files, so that an interrupted experiment resumes instead of restarting."""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any


def cached(out: str, key: str, compute: Callable[[], Any], settings: dict | None = None) -> Any:
    """The JSON result stored under ``key`` in ``out/cache``, computed and written (atomically) once.

    With ``settings``, the stored result is reused only when it was made with the same settings;
    a result of other settings is never overwritten silently: a ``ValueError`` names the file.
    """
    path = os.path.join(out, "cache", f"{key}.json")
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
