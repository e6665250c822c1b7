"""Drone flight logs (``agent/learning/flight_log``) as ACT-JEPA samples: self-supervised encoder training on the
drone, with the same model and training loop as the arm (``train_jepa``).

Per logged frame (``dataset_every`` control steps apart; 10 Hz for ``record.dataset_every: 5`` at 50 Hz):
- image: the left camera's RGB, (H, W, 3) uint8;
- proprio (7,): body-frame velocity (forward, left, up; m/s), yaw rate (rad/s), altitude (m), roll, pitch (rad);
- "action" (4,): the motion that follows, the next frame's body-frame velocity and yaw rate, clipped to ±1 m/s and
  ±1 rad/s, so the chunk head predicts the next ``chunk`` frames' motion (the flight's own future, no labels);
- the JEPA targets: the EMA encoder's embedding of the frames ``target_offsets`` ahead.

One task (``fly``) and one camera (``left``); each log is one episode. ``near_m`` (N,) keeps the ground-truth
near-obstacle distance of each frame (``near_distance``), for probes only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from plansight.agent.learning.flight_log import FlightLogError, open_flight_log
from plansight.agent.learning.policy_data import ChunkSamples, EpisodeRows
from plansight.agent.shared.features import world_to_body

log = logging.getLogger(__name__)

TASK, CAMERA = "fly", "left"


def near_distance(depth: np.ndarray, q: float = 5.0) -> np.ndarray:
    """(…, H, W) planar depth (m, 0 or non-finite = invalid) → (…,) the ``q``-th percentile over the central third of
    rows and columns: how far the nearest obstacle ahead is."""
    d = np.asarray(depth, dtype=np.float32)
    h, w = d.shape[-2:]
    c = d[..., h // 3: 2 * h // 3, w // 3: 2 * w // 3].reshape(*d.shape[:-2], -1).astype(np.float64)
    c = np.where(np.isfinite(c) & (c > 0), c, np.nan)
    return np.nanpercentile(c, q, axis=-1).astype(np.float32)


def drone_proprio(state: np.ndarray) -> np.ndarray:
    """(N, 13) ``DroneState`` vectors → (N, 7) proprio (module docstring)."""
    s = np.asarray(state, dtype=np.float64)
    vel = np.stack([world_to_body(v, yaw) for v, yaw in zip(s[:, 3:6], s[:, 8], strict=True)])
    return np.concatenate([vel, s[:, 11:12], s[:, 2:3], s[:, 6:8]], axis=1).astype(np.float32)


class FlightPolicyDataset(ChunkSamples):
    """All frames of ``paths`` (flight logs with ground truth) in memory."""

    def __init__(self, paths: Sequence[str | Path]) -> None:
        images, proprio, states, near = [], [], [], []
        self.cameras, self.demos = (CAMERA,), []
        row = 0
        for k, p in enumerate(map(Path, paths)):
            if not p.is_file():
                raise ValueError(f"{p}: flight log not found")
            try:
                with open_flight_log(p) as f:
                    left, state = f["left"][()], f["state"][()]
                    gt = f["gt_depth"][()] if "gt_depth" in f else None
            except (OSError, KeyError, FlightLogError) as e:
                raise ValueError(f"{p}: unreadable flight log ({e})") from None
            if images and left.shape[1:] != images[0].shape[1:]:
                raise ValueError(f"{p}: images are {left.shape[2]}x{left.shape[1]}, the first log's "
                                 f"{images[0].shape[2]}x{images[0].shape[1]}")
            n = len(left)
            if n < 2:
                continue
            images.append(left)
            states.append(state.astype(np.float32))
            proprio.append(drone_proprio(state))
            near.append(near_distance(gt) if gt is not None else np.full(n, np.nan, np.float32))
            self.demos.append(EpisodeRows(TASK, row, n, k))
            row += n
        if not self.demos:
            raise ValueError("no flight log with at least 2 frames")
        prop = np.concatenate(proprio)
        following = np.concatenate([np.concatenate([p[1:, :4], p[-1:, :4]]) for p in proprio])  # frame t+1's motion
        self.near_m = np.concatenate(near)
        self._finish({CAMERA: np.concatenate(images)}, prop, following, np.concatenate(states))
