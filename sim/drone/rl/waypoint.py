"""``plansight/DroneWaypoint-v0``: fly to a waypoint 1.5–3 m away and stop there, on state.

* Observation (7,) float32: ``goal_features`` of the waypoint (body-frame offset m, body velocity m/s, yaw
  rate rad/s; clipped to ±5).
* Start: hovering at a random point of the empty 8 × 8 m room, random heading; the waypoint 1.5–3 m away in a
  random direction, at 0.7–1.5 m height, inside ±3 m.
* Reward per step: ``5 · (progress towards the waypoint, m) − 0.01‖a‖²``; reaching it (within
  ``success_radius_m`` at under 0.5 m/s) gives +10 and ends the episode (success); −10 and the end on a
  collision or leaving the room. 400 steps (8 s).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from plansight.agent.contracts import DroneState
from plansight.sim.drone.rl.base import GoalTaskEnv, TaskConfig


class WaypointConfig(TaskConfig):
    action_scale: tuple[float, float, float, float] = Field(
        (1.0, 1.0, 0.5, 0.0), description="m/s ×3, rad/s; no yaw: the task does not need one (the features are in "
        "the body frame, so any heading works)")
    max_steps: int = Field(400, ge=1)
    success_radius_m: float = Field(0.25, gt=0.0)
    distance_m: tuple[float, float] = (1.5, 3.0)


class DroneWaypointEnv(GoalTaskEnv):
    """See the module docstring. ``goal`` is the waypoint (world m), drawn at every reset."""

    def __init__(self, cfg: WaypointConfig | None = None, **overrides: Any) -> None:
        cfg = (cfg or WaypointConfig()).model_copy(update=overrides)
        super().__init__(cfg)
        self.cfg: WaypointConfig = cfg

    def _start(self) -> dict[str, Any]:
        rng = self.np_random
        start = np.array([*rng.uniform(-2.5, 2.5, 2), 1.0])
        self.place(start, float(rng.uniform(-np.pi, np.pi)))
        for _ in range(100):
            heading, dist = rng.uniform(-np.pi, np.pi), rng.uniform(*self.cfg.distance_m)
            goal = np.array([start[0] + dist * np.cos(heading), start[1] + dist * np.sin(heading),
                             rng.uniform(0.7, 1.5)])
            if np.all(np.abs(goal[:2]) <= 3.0):
                break
        self.goal = goal
        return {"goal": goal.tolist()}

    def _reward(self, prev: DroneState, now: DroneState, action: np.ndarray) -> tuple[float, bool, dict]:
        d0, d1 = (float(np.linalg.norm(s.position - self.goal)) for s in (prev, now))
        success = d1 < self.cfg.success_radius_m and float(np.linalg.norm(now.velocity)) < 0.5
        return 5.0 * (d0 - d1) - 0.01 * float(action @ action) + (10.0 if success else 0.0), success, {
            "distance_m": d1}
