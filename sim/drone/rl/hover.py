"""``plansight/DroneHover-v0``: hold a point in the air from a displaced start, on state.

* Observation (7,) float32: ``goal_features``: the hover point's offset in the body frame (m), body velocity
  (m/s), yaw rate (rad/s), each clipped to ±5.
* Start: hovering up to ``start_offset_m`` (uniform per axis, times ``offset_axes``: z a third) away from the
  point, random heading (``random_heading``).
* Reward per step (50 Hz): ``exp(−‖p − p*‖ / 1 m) − 0.01‖a‖²`` (1 at the point, a gradient at any
  distance); −10 and the end on a collision or leaving the room. 250 steps (5 s).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from plansight.agent.contracts import DroneState
from plansight.sim.drone.rl.base import GoalTaskEnv, TaskConfig


class HoverConfig(TaskConfig):
    action_scale: tuple[float, float, float, float] = Field(
        (1.0, 1.0, 0.5, 0.0), description="m/s ×3, rad/s; no yaw: the task does not need one (the features are in "
        "the body frame, so any heading works)")
    point_m: tuple[float, float, float] = (0.0, 0.0, 1.0)
    start_offset_m: float = Field(1.0, ge=0.0, le=3.0)
    offset_axes: tuple[float, float, float] = Field((1.0, 1.0, 1 / 3), description="start offset scale per axis")
    random_heading: bool = Field(True, description="False: every episode starts facing +x")


class DroneHoverEnv(GoalTaskEnv):
    """See the module docstring."""

    def __init__(self, cfg: HoverConfig | None = None, **overrides: Any) -> None:
        cfg = (cfg or HoverConfig()).model_copy(update=overrides)
        super().__init__(cfg)
        self.cfg: HoverConfig = cfg
        self.goal = np.array(cfg.point_m, float)

    def _start(self) -> dict[str, Any]:
        r = self.cfg.start_offset_m
        offset = self.np_random.uniform(-r, r, 3) * np.array(self.cfg.offset_axes)
        yaw = float(self.np_random.uniform(-np.pi, np.pi)) if self.cfg.random_heading else 0.0
        self.place(self.goal + offset, yaw)
        return {"goal": self.goal.tolist()}

    def _reward(self, prev: DroneState, now: DroneState, action: np.ndarray) -> tuple[float, bool, dict]:
        err = float(np.linalg.norm(now.position - self.goal))
        return float(np.exp(-err)) - 0.01 * float(action @ action), False, {"error_m": err}
