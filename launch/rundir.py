"""Run folders: ``runs/<mission>-<YYYYmmdd-HHMMSS>/``, atomic file writes and an append-only event log.

Every file except ``events.jsonl`` is written to a temporary name in the same folder and renamed
into place, so a killed run never leaves a half-written file under a final name. ``events.jsonl``
is appended one whole line at a time and flushed, so it holds every event up to the kill.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from plansight.agent.contracts import Event
from plansight.agent.shared.atomic import JsonlAppender, atomic_path

__all__ = ["EventLog", "atomic_path", "make_run_dir", "write_atomic", "write_json"]


def make_run_dir(root: str | Path, mission_name: str, now: float | None = None) -> Path:
    """Create and return a fresh ``<root>/<mission>-<time>`` folder (suffixed -1, -2… on clashes)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    for i in range(1000):
        p = root / (f"{mission_name}-{stamp}" + (f"-{i}" if i else ""))
        try:
            p.mkdir()
            return p
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a run folder under {root}")


def write_atomic(path: str | Path, write: Callable[[IO[str]], None]) -> None:
    """Write a text file atomically through ``write(file)``, fsynced before the rename."""
    with atomic_path(path) as tmp:
        with open(tmp, "w") as f:
            write(f)


def write_json(path: str | Path, obj: Any) -> None:
    write_atomic(path, lambda f: json.dump(_jsonable(obj), f, indent=2, sort_keys=True))


class EventLog:
    """Append-only JSON-lines event log (``JsonlAppender``: one write per event, fsynced at close)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._out = JsonlAppender(self.path, encode=_jsonable)
        self.counts: dict[str, int] = {}

    def write(self, event: Event) -> None:
        self.counts[event.kind] = self.counts.get(event.kind, 0) + 1
        self._out.append({"t": event.t, "kind": event.kind, **event.data})

    def close(self) -> None:
        self._out.close()


def _jsonable(x: Any) -> Any:
    """Make numpy scalars/arrays and non-finite floats JSON-safe (NaN → None)."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if hasattr(x, "tolist"):
        return _jsonable(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
