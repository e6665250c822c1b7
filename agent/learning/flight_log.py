"""Flight logs for depth learning: one HDF5 file per flight (``flight.h5`` in the run folder).

Layout (format ``plansight-flight-log-v1``; N frames of H×W pixels)::

    /t              (N,)        float64  seconds since reset
    /left           (N,H,W,3)   uint8    left camera RGB
    /stereo_depth   (N,H,W)     float32  SGBM depth, metres (0 where invalid)
    /stereo_valid   (N,H,W)     bool
    /gt_depth       (N,H,W)     float32  simulator ground truth, metres (absent on hardware)
    /state          (N,13)      float64  DroneState vector (position, velocity, rpy, body rates, airborne)
    attrs: format, camera, width, height, fx, fy, cx, cy, baseline_m, mission

Any HDF5 reader opens it (h5py, h5dump, pandas via h5py). The writer writes the final name directly in HDF5's
single-writer/multiple-reader mode (SWMR, ``libver="latest"``) and flushes every ``flush_every`` frames: a flight
killed with kill -9 leaves a log that ``read_flight_logs`` (or ``h5py.File(path, "r", swmr=True)``) opens with every
frame up to the last flush.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import h5py
import numpy as np

from plansight.agent.contracts import CameraModel

FORMAT = "plansight-flight-log-v1"


class FlightLogError(ValueError):
    """A flight log that cannot be read; the message names the file and the problem."""


class FlightLogWriter:
    """Appends frames; call ``close`` to finish the file."""

    def __init__(self, path: str | Path, camera: CameraModel, mission: str = "", ground_truth: bool = True,
                 flush_every: int = 25) -> None:
        self.path = Path(path)
        self.flush_every = max(1, flush_every)
        h, w = camera.height, camera.width
        self._f = h5py.File(self.path, "w", libver="latest")
        self._f.attrs.update(format=FORMAT, camera=camera.name, width=w, height=h, fx=camera.fx, fy=camera.fy,
                             cx=camera.cx, cy=camera.cy, baseline_m=camera.baseline_m or 0.0, mission=mission)
        shapes = {"t": ((), "f8"), "left": ((h, w, 3), "u1"), "stereo_depth": ((h, w), "f4"),
                  "stereo_valid": ((h, w), "?"), "state": ((13,), "f8")}
        if ground_truth:
            shapes["gt_depth"] = ((h, w), "f4")
        self._d = {k: self._f.create_dataset(k, (0, *s), maxshape=(None, *s), dtype=dt,
                                             chunks=(16, *s) if s else (1024,), compression="lzf")
                   for k, (s, dt) in shapes.items()}
        self._f.swmr_mode = True  # from here on the file on disk is always consistent at its last flush
        self._f.flush()
        self.frames = 0

    def add(self, t: float, left: np.ndarray, stereo_depth: np.ndarray, stereo_valid: np.ndarray,
            state: np.ndarray, gt_depth: np.ndarray | None = None) -> None:
        row = {"t": t, "left": left, "stereo_depth": np.where(stereo_valid, stereo_depth, 0.0),
               "stereo_valid": stereo_valid, "state": state}
        if "gt_depth" in self._d:
            row["gt_depth"] = gt_depth if gt_depth is not None else np.zeros_like(stereo_depth)
        n = self.frames
        for k, v in row.items():
            d = self._d[k]
            d.resize(n + 1, axis=0)
            d[n] = v
        self.frames += 1
        if self.frames % self.flush_every == 0:
            self._f.flush()

    def close(self) -> Path:
        self._f.close()
        return self.path


def open_flight_log(path: Path) -> h5py.File:
    """Open a log for reading; one left by a killed writer (its consistency flag still set) opens through SWMR."""
    try:
        return h5py.File(path, "r")
    except OSError as e:
        if "already open for write" not in str(e):
            raise
        return h5py.File(path, "r", swmr=True)


def read_flight_logs(paths: Iterable[str | Path], width: int | None = None, height: int | None = None,
                     ground_truth: bool = True) -> dict[str, np.ndarray]:
    """Load and concatenate logs: ``left``, ``stereo_depth``, ``stereo_valid`` (and ``gt_depth`` when
    every log has it and ``ground_truth``; training on stereo alone need not hold it in memory). Raises
    ``FlightLogError`` for a missing, corrupt or mismatched file."""
    parts: dict[str, list[np.ndarray]] = {"left": [], "stereo_depth": [], "stereo_valid": [], "gt_depth": []}
    for p in map(Path, paths):
        if not p.is_file():
            raise FlightLogError(f"{p}: flight log not found")
        try:
            with open_flight_log(Path(p)) as f:
                if f.attrs.get("format") != FORMAT:
                    raise FlightLogError(f"{p}: not a plansight flight log (format {f.attrs.get('format')!r})")
                h, w = int(f.attrs["height"]), int(f.attrs["width"])
                if (width, height) != (None, None) and (w, h) != (width, height):
                    raise FlightLogError(f"{p}: images are {w}x{h}, the network expects {width}x{height}")
                for k in ("left", "stereo_depth", "stereo_valid"):
                    if k not in f:
                        raise FlightLogError(f"{p}: dataset /{k} is missing")
                    parts[k].append(f[k][()])
                parts["gt_depth"].append(f["gt_depth"][()] if ground_truth and "gt_depth" in f else None)
        except FlightLogError:
            raise
        except (OSError, KeyError, ValueError) as e:
            raise FlightLogError(f"{p}: unreadable flight log ({type(e).__name__}: {e})") from None
    if not parts["left"]:
        raise FlightLogError("no flight logs given")
    out = {k: np.concatenate(v) for k, v in parts.items() if k != "gt_depth"}
    if all(g is not None for g in parts["gt_depth"]):
        out["gt_depth"] = np.concatenate(parts["gt_depth"])
    if len(out["left"]) == 0:
        raise FlightLogError("the flight logs hold no frames")
    return out


def read_flight_states(paths: Iterable[str | Path]) -> tuple[np.ndarray, np.ndarray]:
    """The ``/state`` rows of logs, in the order ``read_flight_logs`` reads their frames: states (N, 13) float32
    ``DroneState`` vectors and terminals (N,) bool, True at each log's last frame (trajectory boundaries).
    Raises ``FlightLogError`` for a missing, corrupt or empty file."""
    states, terminals = [], []
    for p in map(Path, paths):
        if not p.is_file():
            raise FlightLogError(f"{p}: flight log not found")
        try:
            with open_flight_log(p) as f:
                if f.attrs.get("format") != FORMAT:
                    raise FlightLogError(f"{p}: not a plansight flight log (format {f.attrs.get('format')!r})")
                if "state" not in f:
                    raise FlightLogError(f"{p}: dataset /state is missing")
                s = np.asarray(f["state"][()], np.float32)
        except FlightLogError:
            raise
        except (OSError, KeyError, ValueError) as e:
            raise FlightLogError(f"{p}: unreadable flight log ({type(e).__name__}: {e})") from None
        if s.ndim != 2 or s.shape[1] != 13 or not len(s):
            raise FlightLogError(f"{p}: /state holds {s.shape}, not (N>0, 13) state vectors")
        states.append(s)
        terminals.append(np.arange(len(s)) == len(s) - 1)
    if not states:
        raise FlightLogError("no flight logs given")
    return np.concatenate(states), np.concatenate(terminals)
