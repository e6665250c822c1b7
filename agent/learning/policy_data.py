"""Expert demos as (observation, action chunk, future observations) samples for chunking policies (ACT, ACT-JEPA).

Reads ``plansight collect metaworld`` files (``sim/metaworld/dataset.py``'s layout, with plain h5py) fully into
memory: per camera the RGB frames (uint8), per step Meta-World's 39-D state and the 4-D action. Only demos the
expert completed are used. A sample is one (demo, camera, step t):

- ``image`` (H, W, 3) uint8 and ``proprio`` (7,) float32 at t (``proprio``: hand xyz, gripper, hand motion since
  the last step; metres, normalised later);
- ``actions`` (chunk, 4) = actions t … t + chunk − 1, padded past the demo's end with its last action and flagged
  invalid in ``valid`` (chunk,);
- ``future_image`` (F, H, W, 3) and ``future_proprio`` (F, 7) at t + offset for each target offset, clamped to the
  demo's last step.

Sampling is balanced: a task, then a camera, uniformly, then a step uniformly over that task's frames.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

log = logging.getLogger(__name__)


def proprio_from_state(state: np.ndarray) -> np.ndarray:
    """(…, 39) Meta-World state → (…, 7): hand xyz [0:3], gripper [3], hand xyz − previous hand xyz [18:21]."""
    s = np.asarray(state, dtype=np.float64)
    return np.concatenate([s[..., 0:4], s[..., 0:3] - s[..., 18:21]], axis=-1).astype(np.float32)


@dataclass
class EpisodeRows:
    """One episode's rows in a dataset's concatenated arrays."""

    task: str
    start: int  # first row in the concatenated arrays
    length: int
    seed: int


class ChunkSamples:
    """What ``train_jepa`` samples from: ``images`` by camera (N, H, W, 3) uint8, ``proprio`` (N, 7), ``actions``
    (N, 4) in [−1, 1] and ``states`` (N, S), rows grouped in ``demos`` (consecutive steps of one episode)."""

    cameras: tuple[str, ...]
    demos: list[EpisodeRows]

    def _finish(self, images: dict[str, np.ndarray], proprio: np.ndarray, actions: np.ndarray,
                states: np.ndarray) -> None:
        self.images, self.proprio, self.states = images, proprio.astype(np.float32), states
        self.actions = np.clip(actions, -1.0, 1.0).astype(np.float32)
        self.tasks = tuple(sorted({d.task for d in self.demos}))
        self.height, self.width = self.images[self.cameras[0]].shape[1:3]
        rows = len(self.proprio)
        self._rows_by_task = {t: np.concatenate([np.arange(d.start, d.start + d.length) for d in self.demos
                                                 if d.task == t]) for t in self.tasks}
        self.last_row = np.empty(rows, np.int64)  # (N,) the row of each row's demo's last step
        self.task_of_row = np.empty(rows, np.int64)  # (N,) each row's index into ``tasks``
        for d in self.demos:
            self.last_row[d.start:d.start + d.length] = d.start + d.length - 1
            self.task_of_row[d.start:d.start + d.length] = self.tasks.index(d.task)
        log.info("%s: %d episodes, %d steps, cameras %s, tasks %s", type(self).__name__, len(self.demos), rows,
                 ", ".join(self.cameras), ", ".join(self.tasks))

    def __len__(self) -> int:
        return int(self.proprio.shape[0])

    def counts(self) -> dict[str, int]:
        """Demos per task (each seen by every camera)."""
        return {t: sum(d.task == t for d in self.demos) for t in self.tasks}

    def proprio_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-dimension mean and std (floored at 1e-3) of the proprio vectors."""
        return self.proprio.mean(0), np.maximum(self.proprio.std(0), 1e-3)

    def sample(self, rng: np.random.Generator, batch: int, chunk: int, offsets: Sequence[int]) -> dict[str, np.ndarray]:
        """A balanced batch (see the module docstring): arrays keyed ``images`` (B, H, W, 3) uint8, ``proprio``
        (B, 7), ``task`` and ``camera`` (B,) indices into ``self.tasks`` / ``self.cameras``, ``actions`` (B, chunk,
        4), ``valid`` (B, chunk), ``future_images`` (B, F, H, W, 3), ``future_proprio`` (B, F, 7)."""
        tasks = rng.integers(len(self.tasks), size=batch)
        cams = rng.integers(len(self.cameras), size=batch)
        rows = np.array([rng.choice(self._rows_by_task[self.tasks[t]]) for t in tasks])
        last = self.last_row[rows]
        steps = rows[:, None] + np.arange(chunk)[None]
        valid = steps <= last[:, None]
        steps = np.minimum(steps, last[:, None])
        fut = np.minimum(rows[:, None] + np.asarray(offsets)[None], last[:, None])
        imgs = np.stack([self.images[self.cameras[c]][r] for c, r in zip(cams, rows, strict=True)])
        fimgs = np.stack([self.images[self.cameras[c]][f] for c, f in zip(cams, fut, strict=True)])
        return {"images": imgs, "proprio": self.proprio[rows], "task": tasks, "camera": cams,
                "actions": self.actions[steps], "valid": valid, "future_images": fimgs,
                "future_proprio": self.proprio[fut]}


class PolicyDataset(ChunkSamples):
    """All successful demos of ``paths`` in memory (only those whose seed is in ``seeds`` and whose task is in
    ``tasks``, when given), resized to ``width × height`` if recorded at another size. ``states`` keeps the full
    39-D state (probes read object positions from it; the policy never does)."""

    def __init__(self, paths: Sequence[str | Path], cameras: Sequence[str] | None = None,
                 width: int | None = None, height: int | None = None, seeds: Collection[int] | None = None,
                 tasks: Collection[str] | None = None) -> None:
        import cv2

        images: dict[str, list[np.ndarray]] = {}
        proprio, actions, states, self.demos = [], [], [], []
        row = 0
        self.cameras: tuple[str, ...] = ()
        for path in paths:
            try:
                f = h5py.File(path, "r")
            except OSError as e:
                raise ValueError(f"{path}: not a readable HDF5 dataset ({e})") from None
            with f:
                if "data" not in f or "env_args" not in f["data"].attrs:
                    raise ValueError(f"{path}: not a Meta-World expert dataset (no data/env_args)")
                env = json.loads(f["data"].attrs["env_args"])
                cams = tuple(cameras or env["cameras"])
                missing = [c for c in cams if c not in env["cameras"]]
                if missing:
                    raise ValueError(f"{path}: no camera {missing[0]!r}; it has {', '.join(env['cameras'])}")
                if self.cameras and cams != self.cameras:
                    raise ValueError(f"{path}: cameras {cams} differ from the first file's {self.cameras}")
                self.cameras = cams
                for name in sorted(f["data"], key=lambda n: int(n.split("_")[1])):
                    g = f["data"][name]
                    if not bool(g.attrs["success"]) or (seeds is not None and int(g.attrs["seed"]) not in seeds):
                        continue
                    if tasks is not None and str(g.attrs["task"]) not in tasks:
                        continue
                    n = int(g["actions"].shape[0])
                    for c in cams:
                        frames = g["obs"][f"{c}_image"][()]
                        if width and height and frames.shape[1:3] != (height, width):
                            frames = np.stack([cv2.resize(im, (width, height), interpolation=cv2.INTER_AREA)
                                               for im in frames])
                        images.setdefault(c, []).append(frames)
                    states.append(g["obs"]["state"][()].astype(np.float32))
                    proprio.append(proprio_from_state(states[-1]))
                    actions.append(g["actions"][()].astype(np.float32))
                    self.demos.append(EpisodeRows(str(g.attrs["task"]), row, n, int(g.attrs["seed"])))
                    row += n
        if not self.demos:
            raise ValueError(f"no successful demo in {', '.join(map(str, paths))}")
        self._finish({c: np.concatenate(v) for c, v in images.items()}, np.concatenate(proprio),
                     np.concatenate(actions), np.concatenate(states))
