"""Gymnasium env ``plansight/DroneRoom-v0``: fly the quadrotor around a seeded cluttered room.

* Observation: ``{"left": H×W×3 uint8, "right": H×W×3 uint8, "state": (13,) float32}`` (state in the
  ``DroneState`` layout: world position m, world velocity m/s, roll/pitch/yaw rad, body rates rad/s,
  airborne flag).
* Action: (4,) float32 in [−1, 1]: forward, leftward and upward speed and yaw rate, scaled by
  ``max_speed_mps`` / ``max_climb_mps`` / ``max_yaw_rate_radps`` (body frame).
* Reward: forward distance flown this step (m) minus ``collision_penalty`` per collision.
* Terminates on a collision; the registered time limit truncates (1500 steps = 30 s at 50 Hz).

``reset`` takes off, so every episode starts hovering at ``hover_altitude_m``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from plansight.agent.contracts import DroneCommand, DroneState, Observation
from plansight.sim.drone.config_drone import DroneSimConfig
from plansight.sim.drone.drone_sim import DroneSim
from plansight.sim.drone.model import LEFT_CAMERA, RIGHT_CAMERA

_STATE_BOUND = 1e4  # no state component of a room flight comes near this (m, m/s, rad, rad/s)


class DroneRoomEnv(gym.Env[dict[str, np.ndarray], np.ndarray]):
    """Gymnasium wrapper over ``DroneSim``; see the module docstring for spaces and reward."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(self, config: DroneSimConfig | None = None, render_mode: str | None = None,
                 max_speed_mps: float = 1.0, max_climb_mps: float = 0.5, max_yaw_rate_radps: float = 1.5,
                 collision_penalty: float = 1.0) -> None:
        cfg = (config or DroneSimConfig()).model_copy(update={"render": True, "ground_truth_depth": False})
        self.sim = DroneSim(cfg)
        self.render_mode = render_mode
        self.metadata = {**self.metadata, "render_fps": cfg.control_hz}
        self._scale = np.array([max_speed_mps, max_speed_mps, max_climb_mps, max_yaw_rate_radps])
        self.collision_penalty = collision_penalty
        h, w = cfg.camera.height, cfg.camera.width
        image = spaces.Box(0, 255, (h, w, 3), np.uint8)
        self.observation_space = spaces.Dict({
            LEFT_CAMERA: image, RIGHT_CAMERA: image,
            "state": spaces.Box(-_STATE_BOUND, _STATE_BOUND, (DroneState.SIZE,), np.float32)})
        self.action_space = spaces.Box(-1.0, 1.0, (4,), np.float32)
        self._last: Observation | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        room_seed = seed if seed is not None else int(self.np_random.integers(0, 2**31 - 1))
        self.sim.reset(room_seed)
        if not self.sim.takeoff():
            raise RuntimeError("take-off failed in reset")
        self._last = self.sim.observe()
        return self._obs(self._last), {"room_seed": room_seed}

    def step(self, action: np.ndarray):
        a = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0) * self._scale
        before = self.sim.collisions
        p0 = self.sim.data.qpos[0:3].copy()
        yaw = float(DroneState.from_vector(self._last.state).yaw) if self._last is not None else 0.0
        self.sim.act(DroneCommand(*a))
        self._last = self.sim.observe()
        d = self.sim.data.qpos[0:3] - p0
        forward = float(np.cos(yaw) * d[0] + np.sin(yaw) * d[1])
        hits = self.sim.collisions - before
        reward = forward - self.collision_penalty * hits
        return self._obs(self._last), reward, hits > 0, False, {"collisions": self.sim.collisions}

    def render(self) -> np.ndarray | None:
        if self.render_mode == "rgb_array" and self._last is not None:
            return np.asarray(self._last.images[LEFT_CAMERA])
        return None

    def close(self) -> None:
        self.sim.close()

    @staticmethod
    def _obs(o: Observation) -> dict[str, np.ndarray]:
        return {LEFT_CAMERA: np.asarray(o.images[LEFT_CAMERA]), RIGHT_CAMERA: np.asarray(o.images[RIGHT_CAMERA]),
                "state": o.state.astype(np.float32)}
