"""AVDC-style video clips from expert datasets (robomimic-style HDF5 written by ``plansight collect``).

A clip is ``1 + n_future`` frames of one camera: a random start frame, then ``n_future`` frames
uniformly spaced from there to the frame where the task was completed (``success_step``, or the
last frame of a failed demo when ``include_failed``), so every plan ends at task completion (AVDC
``SequentialDatasetv2``). Frames are resized to the model's size (centre crop to its aspect ratio
first); ``random_crop`` scales by up to 10 % and crops at a random offset (AVDC's "metaworld_DA"). With
``depth``, each clip also carries the frames' planar depth (metres), cropped and area-resized the same way.

Several files can be read as one dataset (e.g. AVDC's 165 videos plus a larger expert set). ``sample``
draws balanced over (task, camera): a group uniformly, then a clip source in it.

Reads only the documented layout: ``data/demo_<i>/obs/<camera>_image`` (T, H, W, 3) uint8,
``<camera>_depth`` (T, H, W) float32 metres when ``depth``, and the demo attributes ``task``, ``success``,
``success_step``. A drone's flight logs (``agent/learning/flight_log.py``, from ``plansight collect drone``; a
folder is read as all of its ``*.h5``) are one clip source each: camera ``left``, depth from the simulator's
``gt_depth``, the task, success and completion time in the file's attributes.

``frame_stride`` (drone plans: frames at the camera's rate, not spread to completion): a clip is then the start
frame and the ``n_future`` frames every ``frame_stride`` frames after it, the last frame repeated past the
completion frame (the vehicle holding its place at the goal).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import h5py
import numpy as np

from plansight.agent.learning.flight_log import FORMAT as FLIGHT_LOG_FORMAT

log = logging.getLogger(__name__)



class VideoDataError(ValueError):
    """A dataset that cannot be used for video training; the message says why."""


@dataclass(frozen=True)
class ClipIndex:
    file: int  # position in the dataset's file list
    demo: str
    camera: str
    task: str
    end: int  # index of the completion frame
    image_key: str = ""  # where the frames lie in the file
    depth_key: str = ""


@dataclass(frozen=True)
class Clip:
    """One training clip at the model's size.

    Attributes:
        first: (H, W, 3) uint8, the observed frame. future: (F, H, W, 3) uint8. task: its name.
        first_depth: (H, W) float32 metres, or None without depth. future_depth: (F, H, W) float32 metres, or None.
    """

    first: np.ndarray
    future: np.ndarray
    task: str
    first_depth: np.ndarray | None = None
    future_depth: np.ndarray | None = None


def file_hash(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 of the file, recorded with checkpoints so a model names the data it saw."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _crop_box(h: int, w: int, height: int, width: int, scale: float,
              offset: tuple[float, float]) -> tuple[int, int, int, int]:
    target = width / height
    ch, cw = (h, round(h * target)) if w / h > target else (round(w / target), w)
    ch, cw = max(1, round(ch / scale)), max(1, round(cw / scale))
    return round((h - ch) * offset[0]), round((w - cw) * offset[1]), ch, cw


def resize_to(frames: np.ndarray, height: int, width: int, scale: float = 1.0,
              offset: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """(…, H, W, 3) uint8 → (…, height, width, 3): crop to the target aspect (× 1/scale) at ``offset``
    (fractions of the free margin), then resize with area interpolation."""
    h, w = frames.shape[-3:-1]
    y0, x0, ch, cw = _crop_box(h, w, height, width, scale, offset)
    flat = frames[..., y0:y0 + ch, x0:x0 + cw, :].reshape(-1, ch, cw, 3)
    out = np.stack([cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in flat])
    return out.reshape(*frames.shape[:-3], height, width, 3)


def resize_depth_to(depth: np.ndarray, height: int, width: int, scale: float = 1.0,
                    offset: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """(…, H, W) float metres → (…, height, width) float32, the same crop as ``resize_to``; area interpolation
    (what a depth render at the smaller size averages to); non-finite depth (no surface) is read as the largest
    finite depth of its map first, or as 10⁶ m in a map with none."""
    h, w = depth.shape[-2:]
    y0, x0, ch, cw = _crop_box(h, w, height, width, scale, offset)
    flat = np.asarray(depth[..., y0:y0 + ch, x0:x0 + cw], dtype=np.float32).reshape(-1, ch, cw)
    out = []
    for d in flat:
        finite = np.isfinite(d)
        if not finite.all():
            d = np.where(finite, d, d[finite].max() if finite.any() else 1e6)
        out.append(cv2.resize(d, (width, height), interpolation=cv2.INTER_AREA))
    return np.stack(out).reshape(*depth.shape[:-2], height, width)


class VideoClipDataset:
    """Indexable clips; ``sample(rng)`` draws one (first, future, task) at random.

    Args:
        path: the HDF5 file, or several read as one.
        cameras: cameras to use (all in the file when None).
        height, width, n_future: clip geometry.
        random_crop: augmentation on.
        include_failed: also use demos whose expert failed (off: AVDC keeps only successes).
        depth: also read each frame's depth (``<camera>_depth``, metres).
        cache_mb: keep decoded clip sources in memory up to this many MiB (the files are LZF-compressed per
            frame; decoding a source again for every clip cost about 0.1 s per clip at 128×96 with depth).
    """

    def __init__(self, path: str | Path | Sequence[str | Path], height: int, width: int, n_future: int,
                 cameras: list[str] | None = None, random_crop: bool = True, include_failed: bool = False,
                 depth: bool = False, cache_mb: float = 4096.0, frame_stride: int | None = None) -> None:
        paths = [Path(p) for p in ([path] if isinstance(path, (str, Path)) else path)]
        for p in paths:
            if p.is_dir() and not any(p.glob("*.h5")):
                raise VideoDataError(f"{p}: no flight logs (*.h5) in this folder (make them with "
                                     "`plansight collect drone`)")
        self.paths = [q for p in paths for q in (sorted(p.glob("*.h5")) if p.is_dir() else [p])]
        if not self.paths:
            raise VideoDataError("no dataset given")
        self.path = self.paths[0]
        self.height, self.width, self.n_future = height, width, n_future
        self.random_crop, self.depth = random_crop, depth
        if frame_stride is not None and frame_stride < 1:
            raise VideoDataError(f"frame_stride must be at least 1, got {frame_stride}")
        self.frame_stride = frame_stride
        self._files: list[h5py.File] = []
        self._cache: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
        self._cache_left = cache_mb * 2**20
        self.index: list[ClipIndex] = []
        try:
            for k, p in enumerate(self.paths):
                self._index_file(k, p, cameras, include_failed)
        except VideoDataError:
            self.close()
            raise
        if not self.index:
            self.close()
            raise VideoDataError(f"{', '.join(map(str, self.paths))}: no usable demos (successful ones with at least "
                                 "2 frames)")
        self.tasks = tuple(sorted({c.task for c in self.index}))
        groups: dict[tuple[str, str], list[int]] = {}
        for i, c in enumerate(self.index):
            groups.setdefault((c.task, c.camera), []).append(i)
        self._groups = [groups[k] for k in sorted(groups)]
        names = ", ".join(p.name for p in self.paths) if len(self.paths) <= 3 else f"{len(self.paths)} files"
        log.info("%s: %d clip sources in %d (task, camera) groups, tasks %s", names, len(self.index),
                 len(self._groups), ", ".join(self.tasks))

    def _index_file(self, k: int, path: Path, cameras: list[str] | None, include_failed: bool) -> None:
        if not path.is_file():
            raise VideoDataError(f"{path}: dataset not found (make one with `plansight collect metaworld`)")
        try:
            f = h5py.File(path, "r")
            demos = f["data"] if f.attrs.get("format") != FLIGHT_LOG_FORMAT else None
        except (OSError, KeyError) as e:
            raise VideoDataError(f"{path}: not a plansight/robomimic dataset ({e})") from None
        self._files.append(f)
        if f.attrs.get("format") == FLIGHT_LOG_FORMAT:
            self._index_flight(k, path, f, include_failed)
            return
        for name in sorted(demos, key=lambda n: int(n.split("_")[-1]) if n.split("_")[-1].isdigit() else 0):
            g = demos[name]
            ok = bool(g.attrs.get("success", False))
            if not ok and not include_failed:
                continue
            cams = cameras or sorted(k[: -len("_image")] for k in g["obs"] if k.endswith("_image"))
            for cam in cams:
                for key in (f"{cam}_image", *((f"{cam}_depth",) if self.depth else ())):
                    if key not in g["obs"]:
                        raise VideoDataError(f"{path}: {name} has no {key} (camera {cam!r})")
                n = g["obs"][f"{cam}_image"].shape[0]
                end = int(g.attrs.get("success_step", -1))
                end = n - 1 if end < 0 or end >= n else end
                if end >= 1:
                    obs = f"data/{name}/obs/{cam}"
                    self.index.append(ClipIndex(k, name, cam, str(g.attrs["task"]), end, f"{obs}_image",
                                                f"{obs}_depth"))

    def _index_flight(self, k: int, path: Path, f: h5py.File, include_failed: bool) -> None:
        """One flight log from ``plansight collect drone``: a clip source up to the frame the goal was reached."""
        if "task" not in f.attrs:
            raise VideoDataError(f"{path}: a flight log without a task (record one with `plansight collect drone`)")
        if self.depth and "gt_depth" not in f:
            raise VideoDataError(f"{path}: no gt_depth in this flight log (an RGB-D model trains on it)")
        ok = bool(f.attrs.get("success", False))
        if not ok and not include_failed:
            return
        t = f["t"][:]
        t_reached = float(f.attrs.get("t_reached_s", -1.0))
        end = int(np.searchsorted(t, t_reached)) if t_reached >= 0 else len(t) - 1
        end = min(end, len(t) - 1)
        if end >= 1:
            self.index.append(ClipIndex(k, path.stem, "left", str(f.attrs["task"]), end, "left", "gt_depth"))

    def __len__(self) -> int:
        return len(self.index)

    def sample_index(self, rng: np.random.Generator) -> int:
        """A clip source drawn balanced over (task, camera) groups, then uniformly within the group."""
        group = self._groups[int(rng.integers(len(self._groups)))]
        return group[int(rng.integers(len(group)))]

    def clip(self, i: int, rng: np.random.Generator) -> Clip:
        """The clip of source ``i`` from a random start (and crop, with ``random_crop``)."""
        c = self.index[i]
        if self.frame_stride is not None:
            start = int(rng.integers(0, c.end))
            idx = np.minimum(start + self.frame_stride * np.arange(self.n_future + 1), c.end)
        else:
            start = int(rng.integers(0, max(1, c.end - self.n_future + 1)))
            idx = np.round(np.linspace(start, c.end, self.n_future + 1)).astype(int)
        images, depths, idx = self._source(i, idx)
        scale, offset = 1.0, (0.5, 0.5)
        if self.random_crop:
            scale = float(rng.uniform(1.0, 1.1))
            offset = (float(rng.uniform()), float(rng.uniform()))
        frames = resize_to(images[idx], self.height, self.width, scale, offset)
        if depths is None:
            return Clip(frames[0], frames[1:], c.task)
        depth = resize_depth_to(depths[idx], self.height, self.width, scale, offset)
        return Clip(frames[0], frames[1:], c.task, depth[0], depth[1:])

    def _source(self, i: int, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Frames (and depth) of clip source ``i`` holding the frame indices ``idx``, and the indices into them:
        the whole source up to its completion frame, decoded once and kept while the cache has room; once it is
        full, only the frames ``idx`` names."""
        if i in self._cache:
            return (*self._cache[i], idx)
        c = self.index[i]
        f = self._files[c.file]
        n = c.end + 1
        size = n * int(np.prod(f[c.image_key].shape[1:])) * (1 + 4 * self.depth / 3)
        if size <= self._cache_left:
            images = f[c.image_key][:n]
            depths = f[c.depth_key][:n] if self.depth else None
            self._cache[i] = (images, depths)
            self._cache_left -= size
            return images, depths, idx
        uniq = np.unique(idx)
        depths = f[c.depth_key][uniq] if self.depth else None
        return f[c.image_key][uniq], depths, np.searchsorted(uniq, idx)

    def close(self) -> None:
        for f in self._files:
            f.close()
        self._files = []
