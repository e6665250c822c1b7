"""Plans labelled by their verified outcome, as ``plansight collect plans`` writes them (``launch/plan_labels.py``):
``<out>/starts/<task>__<camera>__<seed>.npz`` per start, holding ``frames`` (n, T, h, w, 3) uint8 (frame 0 the
observation, at the video model's size), ``success`` (n,) bool, ``success_step``, ``steps`` and ``error`` (n,).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np


def start_path(out: Path, task: str, camera: str, seed: int) -> Path:
    """The file of one start's labelled plans."""
    return out / "starts" / f"{task}__{camera}__{seed}.npz"


def load_labels(out: Path | Sequence[Path], seeds: Iterable[int] | None = None) -> dict[str, np.ndarray]:
    """Every labelled plan in ``out`` (one folder or several, e.g. each online round's; optionally only ``seeds``):
    ``frames`` (N, F+1, h, w, 3) uint8, ``success`` (N,) bool, ``task``, ``camera`` (N,) str, ``seed`` (N,) int,
    ``start`` (N,) int (plans of one start share it), ``object_path`` (N, 10, 3) metres (NaN where not recorded)."""
    keep = None if seeds is None else set(seeds)
    folders = [Path(out)] if isinstance(out, (str, Path)) else [Path(p) for p in out]
    files = [p for f in folders for p in sorted((f / "starts").glob("*.npz"))]
    cols: dict[str, list] = {"frames": [], "success": [], "task": [], "camera": [], "seed": [], "start": [],
                             "object_path": []}
    for k, path in enumerate(files):
        task, camera, seed = path.stem.split("__")
        if keep is not None and int(seed) not in keep:
            continue
        with np.load(path) as z:
            n = len(z["success"])
            cols["frames"].append(z["frames"])
            cols["success"].append(z["success"])
            cols["object_path"].append(z["object_path"] if "object_path" in z.files
                                       else np.full((n, 10, 3), np.nan, np.float32))
        cols["task"] += [task] * n
        cols["camera"] += [camera] * n
        cols["seed"] += [int(seed)] * n
        cols["start"] += [k] * n
    if not cols["frames"]:
        raise ValueError(f"{', '.join(map(str, folders))}: no labelled plans (run `plansight collect plans` first)")
    return {"frames": np.concatenate(cols["frames"]), "success": np.concatenate(cols["success"]),
            "task": np.array(cols["task"]), "camera": np.array(cols["camera"]),
            "seed": np.array(cols["seed"], np.int64), "start": np.array(cols["start"], np.int64),
            "object_path": np.concatenate(cols["object_path"])}


def summarize_labels(out: Path) -> dict:
    """Starts, plans and successes in ``out``, overall and per task."""
    per_task: dict[str, list[int]] = {}
    starts = 0
    for path in (out / "starts").glob("*.npz"):
        task = path.stem.split("__")[0]
        with np.load(path) as z:
            s = z["success"]
        starts += 1
        row = per_task.setdefault(task, [0, 0, 0])
        row[0] += len(s)
        row[1] += int(s.sum())
        row[2] += int(s.any())
    return {"starts": starts, "plans": sum(r[0] for r in per_task.values()),
            "successes": sum(r[1] for r in per_task.values()),
            "per_task": {t: {"plans": r[0], "successes": r[1], "starts_with_a_success": r[2]}
                         for t, r in sorted(per_task.items())}}
