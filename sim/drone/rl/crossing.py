"""``plansight/DroneCrossing-v0``: fly as far as possible through a cluttered room without touching anything,
on depth rays and state.

* Observation (20,) float32: 16 horizontal depth rays over the front camera's horizontal field of view
  (``ray_features``: range / 5 m, 1 = free), then body velocity (m/s) and yaw rate (rad/s), clipped to ±5.
  In the env the rays are cast with MuJoCo's ``mj_ray``; a mission computes the same rays from its depth
  estimate (``agent/control/rl_policy.py``), so the policy flies on stereo, mono or AR.Drone depth.
* Start: the room's start pose, hovering; a new seeded room (default room generator) per episode, seeds drawn
  from [10⁶, 2³¹) so that no training room is a held-out room (1000–1999) or a tuning room.
* Reward per step: forward distance flown (m, along the heading) − 0.02·|yaw rate| (rad/s); −10 and the end on
  a collision. 750 steps (15 s).
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from pydantic import Field

from plansight.agent.contracts import DroneState
from plansight.agent.shared.features import motion_features, ray_angles, ray_features
from plansight.sim.drone.config_drone import DroneSimConfig, RoomConfig
from plansight.sim.drone.model import LEFT_CAMERA
from plansight.sim.drone.rl.base import DroneTaskEnv, TaskConfig

TRAIN_ROOM_SEEDS = (10**6, 2**31 - 1)


class CrossingConfig(TaskConfig):
    sim: DroneSimConfig = DroneSimConfig(render=False, ground_truth_depth=False, room=RoomConfig())
    max_steps: int = Field(750, ge=1)
    same_room: bool = False
    n_rays: int = Field(16, ge=2, le=128)
    max_range_m: float = Field(5.0, gt=0.0)
    room_seed: int | None = Field(None, description="fly this room in every episode (evaluation)")


class DroneCrossingEnv(DroneTaskEnv):
    """See the module docstring."""

    def __init__(self, cfg: CrossingConfig | None = None, **overrides: Any) -> None:
        cfg = (cfg or CrossingConfig()).model_copy(update=overrides)
        super().__init__(cfg)
        self.cfg: CrossingConfig = cfg
        cam = self.sim.cameras[LEFT_CAMERA]
        self.angles = ray_angles(cfg.n_rays, 2 * math.atan(cam.width / 2 / cam.fx))
        self.observation_space = gym.spaces.Box(-5.0, 5.0, (cfg.n_rays + 4,), np.float32)

    def _next_room(self) -> int:
        if self.cfg.room_seed is not None:
            return self.cfg.room_seed
        return int(self.np_random.integers(*TRAIN_ROOM_SEEDS))

    def _observe(self) -> np.ndarray:
        rays = ray_features(self.ray_ranges(self.angles, self.cfg.max_range_m), self.cfg.max_range_m)
        return np.concatenate([rays, motion_features(self.state.to_vector())])

    def _reward(self, prev: DroneState, now: DroneState, action: np.ndarray) -> tuple[float, bool, dict]:
        d = now.position - prev.position
        forward = math.cos(prev.yaw) * d[0] + math.sin(prev.yaw) * d[1]
        return float(forward) - 0.02 * abs(float(now.body_rates[2])), False, {"forward_m": float(forward)}
