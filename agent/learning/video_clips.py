"""AVDC-style video clips from expert datasets (robomimic-style HDF5 written by ``plansight collect``).

A clip is ``1 + n_future`` frames of one camera: a random start frame, then ``n_future`` frames
uniformly spaced from there to the frame where the task was completed (``success_step``, or the
last frame of a failed demo when ``include_failed``), so every plan ends at task completion (AVDC
``SequentialDatasetv2``). Frames are resized to the model's size (centre crop to its aspect ratio
first); ``random_crop`` scales by up to 10 % and crops at a random offset (AVDC's "metaworld_DA").

Reads only the documented layout: ``data/demo_<i>/obs/<camera>_image`` (T, H, W, 3) uint8 and the
demo attributes ``task``, ``success``, ``success_step``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import h5py
import numpy as np

log = logging.getLogger(__name__)


class VideoDataError(ValueError):
    """A dataset that cannot be used for video training; the message says why."""


@dataclass(frozen=True)
class ClipIndex:
    demo: str
    camera: str
    task: str
    end: int  # index of the completion frame


def file_hash(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 of the file, recorded with checkpoints so a model names the data it saw."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def resize_to(frames: np.ndarray, height: int, width: int, scale: float = 1.0,
              offset: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """(…, H, W, 3) uint8 → (…, height, width, 3): crop to the target aspect (× 1/scale) at ``offset``
    (fractions of the free margin), then resize with area interpolation."""
    h, w = frames.shape[-3:-1]
    target = width / height
    ch, cw = (h, round(h * target)) if w / h > target else (round(w / target), w)
    ch, cw = max(1, round(ch / scale)), max(1, round(cw / scale))
    y0, x0 = round((h - ch) * offset[0]), round((w - cw) * offset[1])
    crop = frames[..., y0:y0 + ch, x0:x0 + cw, :]
    flat = crop.reshape(-1, ch, cw, 3)
    out = np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in flat])
    return out.reshape(*frames.shape[:-3], height, width, 3)


class VideoClipDataset:
    """Indexable clips; ``sample(rng)`` draws one (first, future, task) at random.

    Args:
        path: the HDF5 file.
        cameras: cameras to use (all in the file when None).
        height, width, n_future: clip geometry.
        random_crop: augmentation on.
        include_failed: also use demos whose expert failed (off: AVDC keeps only successes).
    """

    def __init__(self, path: str | Path, height: int, width: int, n_future: int, cameras: list[str] | None = None,
                 random_crop: bool = True, include_failed: bool = False) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise VideoDataError(f"{self.path}: dataset not found (make one with `plansight collect metaworld`)")
        self.height, self.width, self.n_future = height, width, n_future
        self.random_crop = random_crop
        try:
            self._f = h5py.File(self.path, "r")
            demos = self._f["data"]
        except (OSError, KeyError) as e:
            raise VideoDataError(f"{self.path}: not a plansight/robomimic dataset ({e})") from None
        self.index: list[ClipIndex] = []
        for name in sorted(demos, key=lambda n: int(n.split("_")[-1]) if n.split("_")[-1].isdigit() else 0):
            g = demos[name]
            ok = bool(g.attrs.get("success", False))
            if not ok and not include_failed:
                continue
            cams = cameras or sorted(k[: -len("_image")] for k in g["obs"] if k.endswith("_image"))
            for cam in cams:
                key = f"{cam}_image"
                if key not in g["obs"]:
                    raise VideoDataError(f"{self.path}: {name} has no images from camera {cam!r}")
                n = g["obs"][key].shape[0]
                end = int(g.attrs.get("success_step", -1))
                end = n - 1 if end < 0 or end >= n else end
                if end >= 1:
                    self.index.append(ClipIndex(name, cam, str(g.attrs["task"]), end))
        if not self.index:
            raise VideoDataError(f"{self.path}: no usable demos (successful ones with at least 2 frames)")
        self.tasks = tuple(sorted({c.task for c in self.index}))
        log.info("%s: %d clips sources, tasks %s", self.path.name, len(self.index), ", ".join(self.tasks))

    def __len__(self) -> int:
        return len(self.index)

    def clip(self, i: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str]:
        """(first (H, W, 3), future (F, H, W, 3)) uint8 and the task, for index ``i``."""
        c = self.index[i]
        start = int(rng.integers(0, max(1, c.end - self.n_future + 1)))
        idx = np.round(np.linspace(start, c.end, self.n_future + 1)).astype(int)
        frames = self._f["data"][c.demo]["obs"][f"{c.camera}_image"][np.unique(idx)]
        frames = frames[np.searchsorted(np.unique(idx), idx)]
        scale, offset = 1.0, (0.5, 0.5)
        if self.random_crop:
            scale = float(rng.uniform(1.0, 1.1))
            offset = (float(rng.uniform()), float(rng.uniform()))
        frames = resize_to(frames, self.height, self.width, scale, offset)
        return frames[0], frames[1:], c.task

    def close(self) -> None:
        self._f.close()
