"""Obstacle avoidance on a depth image: the registered ``avoidance`` ``DronePolicy``.

Two modes (``mode``):

* ``reactive`` (the default): the original reactive rule, described below.
* ``planner`` (``mode: planner``, as in ``drone_room_dense.yaml``): the local planner of
  ``agent/control/local_planner.py``, a VFH+-style polar free-space histogram over headings with the
  airframe's size, a short memory of near points, hysteresis and dead-end rotation; it flies through
  gaps the airframe fits through. Its settings are ``planner``; ``max_speed_mps``, ``yaw_rate_radps``,
  ``height_band_m`` and ``min_valid_fraction`` below apply to it too. It crosses dense rooms the
  reactive rule dithers in; in the default rooms it flies faster and farther but collides more often,
  so it is not the default yet (BENCHMARKS.md, issue 21).

Valid depth pixels are lifted to 3-D points in the camera's body-aligned frame (forward, left, up)
and only points within ``height_band_m`` of the camera height are kept (the floor and the ceiling
are not obstacles). From them:

* **free distance ahead**: the nearest forward range inside the corridor the airframe sweeps
  (``|left| < corridor_half_width_m``);
* **side clearance**: the mean nearest range over the left and right halves of the field of view.

Forward speed ramps from 0 at ``stop_distance_m`` to ``max_speed_mps`` at ``slow_distance_m``. Below
``turn_distance_m`` the drone turns towards the clearer side at full yaw rate and keeps that
direction until the way ahead is clear beyond ``clear_distance_m`` (hysteresis, so it does not
dither in corners). When too little of the image has valid depth, it stops and turns (unknown space
counts as blocked).
"""

from __future__ import annotations

import functools
import logging
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from plansight.agent.contracts import CameraModel, DepthEstimate, DroneCommand, DroneState, Observation
from plansight.agent.control.local_planner import LocalPlannerConfig, PolarHistogramPlanner

log = logging.getLogger(__name__)


class AvoidanceConfig(BaseModel):
    """Thresholds in metres, speeds in m/s and rad/s."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["avoidance"] = "avoidance"
    mode: Literal["reactive", "planner"] = Field("reactive", description="the reactive rule, or the local planner")
    max_speed_mps: float = Field(0.8, gt=0.0, le=5.0)
    stop_distance_m: float = Field(0.8, gt=0.0)
    turn_distance_m: float = Field(1.3, gt=0.0)
    clear_distance_m: float = Field(1.8, gt=0.0)
    slow_distance_m: float = Field(2.2, gt=0.0)
    max_range_m: float = Field(5.0, gt=0.0)
    yaw_rate_radps: float = Field(1.2, gt=0.0, le=6.0)
    steer_gain: float = Field(0.6, ge=0.0, description="yaw rate per unit clearance imbalance, rad/s")
    corridor_half_width_m: float = Field(0.45, gt=0.0)
    side_distance_m: float = Field(0.7, gt=0.0, description="push sideways from points nearer than this")
    side_speed_mps: float = Field(0.25, ge=0.0)
    height_band_m: float = Field(0.35, gt=0.0)
    min_valid_fraction: float = Field(0.25, ge=0.0, le=1.0)
    memory_s: float = Field(1.5, ge=0.0, le=10.0, description="how long near points are remembered")
    memory_range_m: float = Field(1.2, gt=0.0)
    planner: LocalPlannerConfig = Field(LocalPlannerConfig(), description="settings of the planner mode")

    @field_serializer("planner")
    def _planner_without_shared(self, planner: LocalPlannerConfig) -> dict:
        """The planner's own settings only: the shared ones are written (and read) at the top of the policy, so a
        resolved mission (``show-config``) validates again."""
        return planner.model_dump(mode="json", exclude=set(_SHARED))

    @model_validator(mode="after")
    def _ordered(self) -> AvoidanceConfig:
        shared = sorted(set(_SHARED) & self.planner.model_fields_set)
        if shared:
            raise ValueError(f"set {', '.join(shared)} at the top of the policy, not under planner")
        if not self.stop_distance_m < self.turn_distance_m < self.clear_distance_m:
            raise ValueError("need stop_distance_m < turn_distance_m < clear_distance_m")
        if self.slow_distance_m <= self.stop_distance_m:
            raise ValueError("slow_distance_m must exceed stop_distance_m")
        return self


class ReactiveAvoidance:
    """``DronePolicy`` that avoids obstacles on one depth image (``mode``: the local planner, or the reactive
    rule below).

    Points nearer than ``memory_range_m`` are also kept in the world frame for ``memory_s`` seconds
    (using the state's position and yaw), so an obstacle that slides out of the field of view
    while the drone turns past it still pushes the drone away and still decides the turn direction.

    Args:
        cfg: thresholds.
        camera: model of the camera the depth estimates belong to (forward-looking, level).
    """

    def __init__(self, cfg: AvoidanceConfig, camera: CameraModel) -> None:
        self.cfg = cfg
        self.camera = camera
        self.planner = PolarHistogramPlanner(cfg.planner.model_copy(update={k: getattr(cfg, k) for k in _SHARED}),
                                             camera) if cfg.mode == "planner" else None
        self._ray_left, self._ray_up = _rays(camera)
        self._left_cols = np.arange(camera.width) < camera.cx
        self._cam_xy = (float(camera.T_body_cam[0, 3]), float(camera.T_body_cam[1, 3]))
        h = camera.height
        self._core_rows = slice(h // 4, h - h // 4)  # the middle half of the rows: never floor or sky
        self.reset()

    def reset(self) -> None:
        self._turn_dir = 0.0
        self._memory: list[tuple[float, np.ndarray]] = []
        self.last: dict[str, float] = {}
        if self.planner is not None:
            self.planner.reset()

    def act(self, obs: Observation, depth: DepthEstimate) -> DroneCommand:
        if self.planner is not None:
            cmd = self.planner.plan(obs, depth)
            self.last = self.planner.last
            return cmd
        c = self.cfg
        z = depth.depth
        if z.shape != (self.camera.height, self.camera.width):
            raise ValueError(f"depth is {z.shape[1]}x{z.shape[0]}, camera {self.camera.name!r} is "
                             f"{self.camera.width}x{self.camera.height}")
        left = z * self._ray_left
        up = z * self._ray_up
        band = depth.valid & (np.abs(up) < c.height_band_m) & (z > 0)
        valid_fraction = float(depth.valid[self._core_rows].mean())

        rng = np.where(band, np.hypot(z, left), c.max_range_m)
        col_min = np.minimum(rng.min(axis=0), c.max_range_m)
        clear_left = float(col_min[self._left_cols].mean())
        clear_right = float(col_min[~self._left_cols].mean())

        ahead = corridor_free_distance(z, band, left, c.corridor_half_width_m, c.max_range_m)
        # nearby points, including remembered ones now outside the view, in the body frame
        fwd, lft = self._points(obs, z[band] + self._cam_xy[0], left[band] + self._cam_xy[1])
        dist = np.hypot(fwd, lft)
        near = dist < c.side_distance_m
        near_side = float(np.sign(lft[near][np.argmin(dist[near])])) if near.sum() > _OUTLIER_PIXELS else 0.0

        if valid_fraction < c.min_valid_fraction:
            ahead = 0.0
        if self._turn_dir == 0.0 and ahead < c.turn_distance_m:
            if near_side != 0.0:
                self._turn_dir = -near_side  # never swing the nose into something beside us
            else:
                self._turn_dir = 1.0 if clear_left >= clear_right else -1.0
        elif self._turn_dir != 0.0 and ahead > c.clear_distance_m:
            self._turn_dir = 0.0

        speed = c.max_speed_mps * float(np.clip((ahead - c.stop_distance_m) /
                                                (c.slow_distance_m - c.stop_distance_m), 0.0, 1.0))
        if self._turn_dir != 0.0:
            yaw_rate = self._turn_dir * c.yaw_rate_radps
        else:
            imbalance = (clear_left - clear_right) / c.max_range_m
            yaw_rate = float(np.clip(c.steer_gain * imbalance, -c.yaw_rate_radps, c.yaw_rate_radps))
        vy = -c.side_speed_mps * near_side
        self.last = {"ahead_m": ahead, "clear_left_m": clear_left, "clear_right_m": clear_right,
                     "valid_fraction": valid_fraction, "turning": self._turn_dir, "near_side": near_side}
        return DroneCommand(vx=speed, vy=vy, vz=0.0, yaw_rate=yaw_rate)

    def _points(self, obs: Observation, fwd: np.ndarray, lft: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Current body-frame obstacle points plus remembered ones, as (forward, left) metres."""
        c = self.cfg
        if len(obs.state) != DroneState.SIZE or c.memory_s <= 0:
            return fwd, lft
        s = DroneState.from_vector(obs.state)
        cy, sy = np.cos(s.yaw), np.sin(s.yaw)
        px, py = s.position[0], s.position[1]
        close = np.hypot(fwd, lft) < c.memory_range_m
        f_c, l_c = fwd[close][::_MEMORY_STRIDE], lft[close][::_MEMORY_STRIDE]
        self._memory = [(t, p) for t, p in self._memory if obs.t - t < c.memory_s]
        if self._memory:
            old = np.concatenate([p for _, p in self._memory])
            dx, dy = old[:, 0] - px, old[:, 1] - py
            fwd = np.concatenate([fwd, cy * dx + sy * dy])
            lft = np.concatenate([lft, -sy * dx + cy * dy])
        if f_c.size:
            world = np.stack([px + cy * f_c - sy * l_c, py + sy * f_c + cy * l_c], axis=1)
            self._memory.append((obs.t, world))
        return fwd, lft


_SHARED = ("max_speed_mps", "yaw_rate_radps", "height_band_m", "min_valid_fraction")
"""Fields of ``AvoidanceConfig`` that the planner mode takes over into its ``LocalPlannerConfig``."""
_OUTLIER_PIXELS = 4  # isolated mismatches this small are ignored
_MEMORY_STRIDE = 4


def corridor_free_distance(depth: np.ndarray, usable: np.ndarray, left: np.ndarray, half_width_m: float,
                           max_range_m: float) -> float:
    """Nearest forward depth (m) among ``usable`` pixels whose lateral offset ``left`` (m) lies inside
    the corridor ``|left| < half_width_m``, ignoring the ``_OUTLIER_PIXELS`` nearest; capped at
    ``max_range_m``. All arrays H×W."""
    corridor = usable & (np.abs(left) < half_width_m)
    return min(_kth_smallest(depth[corridor], _OUTLIER_PIXELS), max_range_m)


def free_distance_ahead(est: DepthEstimate, camera: CameraModel, cfg: AvoidanceConfig) -> float:
    """The avoidance policy's "free distance ahead" (m) for one depth estimate, by its own rules
    (too few valid pixels in the middle rows: blind, 0 m)."""
    h = camera.height
    if est.valid[h // 4: h - h // 4].mean() < cfg.min_valid_fraction:
        return 0.0
    ray_left, ray_up = _rays(camera)
    z = est.depth
    usable = est.valid & (np.abs(z * ray_up) < cfg.height_band_m) & (z > 0)
    return corridor_free_distance(z, usable, z * ray_left, cfg.corridor_half_width_m, cfg.max_range_m)


def _rays(camera: CameraModel) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel lateral (1×W) and vertical (H×1) offsets per metre of depth, left and up positive."""
    return _rays_for(camera.width, camera.height, camera.fx, camera.fy, camera.cx, camera.cy)


@functools.lru_cache(maxsize=16)
def _rays_for(w: int, h: int, fx: float, fy: float, cx: float, cy: float) -> tuple[np.ndarray, np.ndarray]:
    left = -(np.arange(w, dtype=np.float32)[None, :] - cx) / fx
    up = -(np.arange(h, dtype=np.float32)[:, None] - cy) / fy
    left.flags.writeable = up.flags.writeable = False
    return left, up


def _kth_smallest(x: np.ndarray, k: int) -> float:
    if x.size == 0:
        return float("inf")
    k = min(k, x.size - 1)
    return float(np.partition(x, k)[k])
