"""``plansight/DroneCrossing-v0``: cross cluttered rooms back and forth without touching anything, on depth rays
and state.

* Legs: the drone starts at the −x wall facing +x and crosses to the line x = +``target_x_m`` (1.8 m in the
  5 × 5 m room), then back to x = −1.8 m, and so on (``crossing_side``).
* Observation (23,) float32: 16 horizontal depth rays over the front camera's horizontal field of view (75°)
  (``ray_features``: range / 5 m, 1 = free), body velocity (m/s) and yaw rate (rad/s) clipped to ±5, then the
  current leg's direction in the body frame (a unit vector) and its remaining distance / 5 m
  (``crossing_features``).
  In the env the rays are cast with MuJoCo's ``mj_ray``; a mission computes the same rays from its depth
  estimate (``agent/control/rl_policy.py``), so the policy flies on stereo, mono or AR.Drone depth.
* Action: forward 0.2–1 m/s (the drone never stops, as reactive avoidance cruises on: hovering in place is no
  way out of the task), sideways up to ±0.5 m/s, yaw rate up to ±1.5 rad/s; no vertical command (the rays are
  horizontal, so the task is planar and the drone holds its take-off altitude).
* Start: the room's start pose, hovering; a new seeded room per episode, its level drawn from ``levels``
  (default and dense by default), seeds drawn from [10⁶, 2³¹) so that no training room is a held-out room
  (1000–1999) or a tuning room.
* Reward per step (20 ms): progress towards the leg's target line (m) + ``leg_bonus`` when it is reached
  − dt · (``yaw_cost`` · |yaw rate| (rad/s) + ``clearance_cost`` · ((c − r) / c)² where r < c), r the shortest
  ray (m) and c = ``clearance_m``; −10 and the end on a collision. 750 steps (15 s). (Paying for distance flown
  instead taught PPO to circle on the spot: distance without crossing.)
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from pydantic import Field

from plansight.agent.contracts import DroneState
from plansight.agent.shared.features import (
    crossing_features,
    crossing_side,
    motion_features,
    ray_angles,
    ray_features,
)
from plansight.sim.drone.config_drone import DroneSimConfig, RoomConfig, RoomLevel
from plansight.sim.drone.drone_sim import DroneSim
from plansight.sim.drone.model import LEFT_CAMERA
from plansight.sim.drone.rl.base import DroneTaskEnv, TaskConfig

TRAIN_ROOM_SEEDS = (10**6, 2**31 - 1)


class CrossingConfig(TaskConfig):
    sim: DroneSimConfig = DroneSimConfig(render=False, ground_truth_depth=False, room=RoomConfig())
    action_scale: tuple[float, float, float, float] = Field(
        (0.4, 0.5, 0.0, 1.5), description="m/s ×3, rad/s; no vertical command (planar task)")
    action_offset: tuple[float, float, float, float] = Field(
        (0.6, 0.0, 0.0, 0.0), description="forward 0.2–1 m/s: the drone always moves on, and steers")
    max_steps: int = Field(750, ge=1)
    same_room: bool = False
    n_rays: int = Field(16, ge=2, le=128)
    max_range_m: float = Field(5.0, gt=0.0)
    levels: tuple[RoomLevel, ...] = Field(("default", "dense"), min_length=1,
                                          description="room levels, one drawn per episode (``sim.room`` gives the "
                                          "rest of the room settings)")
    clearance_m: float = Field(0.6, gt=0.0, description="rays shorter than this (m, from the drone's centre) cost")
    clearance_cost: float = Field(1.0, ge=0.0, description="per second at zero range")
    yaw_cost: float = Field(0.1, ge=0.0, description="per rad/s per second")
    target_x_m: float = Field(1.8, gt=0.0, description="the legs' target lines, world x = ±target_x_m")
    leg_bonus: float = Field(1.0, ge=0.0, description="paid when a leg's target line is reached")
    room_seed: int | None = Field(None, description="fly this room in every episode (evaluation)")


class DroneCrossingEnv(DroneTaskEnv):
    """See the module docstring. One ``DroneSim`` per level; ``self.sim`` is the current episode's."""

    def __init__(self, cfg: CrossingConfig | None = None, **overrides: Any) -> None:
        cfg = (cfg or CrossingConfig()).model_copy(update=overrides)
        super().__init__(cfg)
        self.cfg: CrossingConfig = cfg
        room = cfg.sim.room.model_dump(exclude={"level"}, exclude_unset=True)
        self._sims = {lvl: DroneSim(self.sim.cfg.model_copy(update={"room": RoomConfig(level=lvl, **room)}))
                      for lvl in dict.fromkeys(cfg.levels)}
        self.sim.close()
        self.sim = self._sims[cfg.levels[0]]
        self.level: str = cfg.levels[0]
        cam = self.sim.cameras[LEFT_CAMERA]
        self.angles = ray_angles(cfg.n_rays, 2 * math.atan(cam.width / 2 / cam.fx))
        self.observation_space = gym.spaces.Box(-5.0, 5.0, (cfg.n_rays + 7,), np.float32)
        self._rays = np.full(cfg.n_rays, cfg.max_range_m)
        self.side = 1

    def _next_room(self) -> int:
        levels = self.cfg.levels
        self.level = levels[int(self.np_random.integers(len(levels)))] if len(levels) > 1 else levels[0]
        self.sim = self._sims[self.level]
        if self.cfg.room_seed is not None:
            return self.cfg.room_seed
        return int(self.np_random.integers(*TRAIN_ROOM_SEEDS))

    def _start(self) -> dict[str, Any]:
        self.side = 1
        return {"level": self.level}

    def _observe(self) -> np.ndarray:
        self._rays = self.ray_ranges(self.angles, self.cfg.max_range_m)
        s = self.state.to_vector()
        return np.concatenate([ray_features(self._rays, self.cfg.max_range_m), motion_features(s),
                               crossing_features(s, self.side, self.cfg.target_x_m)])

    def _reward(self, prev: DroneState, now: DroneState, action: np.ndarray) -> tuple[float, bool, dict]:
        c = self.cfg
        progress = self.side * float(now.position[0] - prev.position[0])
        side = crossing_side(float(now.position[0]), self.side, c.target_x_m)
        bonus = c.leg_bonus if side != self.side else 0.0
        self.side = side
        near = max(0.0, (c.clearance_m - float(np.min(self._rays))) / c.clearance_m)  # rays at ``prev``
        cost = self.sim.dt * (c.yaw_cost * abs(float(now.body_rates[2])) + c.clearance_cost * near**2)
        return progress + bonus - cost, False, {"progress_m": progress, "legs": int(bonus > 0),
                                                "clearance_cost": cost}

    def close(self) -> None:
        for sim in self._sims.values():
            sim.close()
