"""Observation features of the drone RL tasks, defined once for the envs (``sim/drone/rl``) and for the policy
that flies a trained model in a mission (``agent/control/rl_policy.py``): a policy sees in a mission the same
numbers it was trained on.

Frames: world is z up (metres); body is FLU (forward, left, up) rotated from world by the yaw only (the
controller holds the airframe level, so roll and pitch are left out of the transform). The state vector is the
``DroneState`` layout (position 0:3, velocity 3:6, roll/pitch/yaw 6:9, body rates 9:12, airborne 12).

Numpy only (this package imports no other plansight module).
"""

from __future__ import annotations

import math

import numpy as np

FEATURE_CLIP = 5.0  # every metric feature is clipped to ±5 (m, m/s, rad/s): beyond it the policy needs no detail
GOAL_FEATURES = 7  # goal offset in body frame (3), body velocity (3), yaw rate (1)


def world_to_body(v: np.ndarray, yaw: float) -> np.ndarray:
    """Rotate world-frame (x, y, z) vectors (…, 3) into the yaw-aligned body frame (forward, left, up)."""
    c, s = math.cos(yaw), math.sin(yaw)
    v = np.asarray(v, dtype=np.float64)
    return np.stack([c * v[..., 0] + s * v[..., 1], -s * v[..., 0] + c * v[..., 1], v[..., 2]], axis=-1)


def body_to_world(v: np.ndarray, yaw: float) -> np.ndarray:
    """Rotate yaw-aligned body-frame (forward, left, up) vectors (…, 3) into the world frame: the inverse of
    ``world_to_body``."""
    c, s = math.cos(yaw), math.sin(yaw)
    v = np.asarray(v, dtype=np.float64)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1], v[..., 2]], axis=-1)


def goal_features(state: np.ndarray, goal_xyz: np.ndarray) -> np.ndarray:
    """(7,) float32: the goal's offset from the drone in body frame (m), body velocity (m/s), yaw rate (rad/s),
    each clipped to ±``FEATURE_CLIP``."""
    state = np.asarray(state, dtype=np.float64)
    yaw = float(state[8])
    out = np.concatenate([world_to_body(np.asarray(goal_xyz, float) - state[0:3], yaw),
                          world_to_body(state[3:6], yaw), state[11:12]])
    return np.clip(out, -FEATURE_CLIP, FEATURE_CLIP).astype(np.float32)


def motion_features(state: np.ndarray) -> np.ndarray:
    """(4,) float32: body velocity (m/s) and yaw rate (rad/s), clipped to ±``FEATURE_CLIP``."""
    state = np.asarray(state, dtype=np.float64)
    out = np.concatenate([world_to_body(state[3:6], float(state[8])), state[11:12]])
    return np.clip(out, -FEATURE_CLIP, FEATURE_CLIP).astype(np.float32)


def ray_sector_edges(n: int, hfov_rad: float) -> np.ndarray:
    """(n + 1,) headings (rad, + = left, decreasing) bounding ``n`` equal sectors of the horizontal field of view."""
    return np.linspace(hfov_rad / 2, -hfov_rad / 2, n + 1)


def ray_angles(n: int, hfov_rad: float) -> np.ndarray:
    """(n,) headings (rad, + = left) of ``n`` horizontal rays spread evenly over the camera's horizontal field of
    view: the centres of the ``ray_sector_edges`` sectors."""
    edges = ray_sector_edges(n, hfov_rad)
    return (edges[:-1] + edges[1:]) / 2


def ray_features(ranges_m: np.ndarray, max_range_m: float) -> np.ndarray:
    """(n,) float32 in [0, 1]: ranges along the rays divided by ``max_range_m`` (1 = nothing within range)."""
    r = np.nan_to_num(np.asarray(ranges_m, dtype=np.float64), nan=max_range_m, posinf=max_range_m, neginf=0.0)
    return np.clip(r / max_range_m, 0.0, 1.0).astype(np.float32)


def action_to_velocity(action: np.ndarray, scale: np.ndarray, offset: np.ndarray | None = None
                       ) -> tuple[float, float, float, float]:
    """A policy action a in [−1, 1]⁴ → (forward m/s, left m/s, up m/s, yaw rate rad/s) = a · ``scale`` + ``offset``
    (offset 0 by default); non-finite parts of a are 0."""
    a = np.nan_to_num(np.asarray(action, dtype=np.float64).reshape(4), nan=0.0, posinf=0.0, neginf=0.0)
    v = np.clip(a, -1.0, 1.0) * np.asarray(scale, dtype=np.float64)
    if offset is not None:
        v = v + np.asarray(offset, dtype=np.float64)
    return float(v[0]), float(v[1]), float(v[2]), float(v[3])


CROSSING_FEATURES = 3
"""Width of ``crossing_features``."""


def crossing_side(x_m: float, side: int, target_x_m: float) -> int:
    """The room-crossing leg: ``side`` (+1 or −1) is the wall the drone is crossing towards, the target line being
    world x = side · ``target_x_m``; once that line is reached, the next leg heads back (−side)."""
    return -side if side * x_m >= target_x_m else side


def crossing_features(state: np.ndarray, side: int, target_x_m: float) -> np.ndarray:
    """(3,) float32: the direction of the current leg's target line (world ±x) in the yaw-aligned body frame
    (forward, left; a unit vector) and the distance to the line (m) / 5 m, clipped to [0, 1]."""
    state = np.asarray(state, dtype=np.float64)
    direction = world_to_body(np.array([float(side), 0.0, 0.0]), float(state[8]))[:2]
    dist = max(0.0, target_x_m - side * float(state[0])) / 5.0
    return np.array([direction[0], direction[1], min(dist, 1.0)], np.float32)
