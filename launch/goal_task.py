"""Goal missions: ``task: {goal: <landmark>}`` in a drone mission file, and how a run is scored against it.

Success: the vehicle's centre comes within ``success_radius_m`` of the landmark's surface with 0 collisions,
within the mission's ``duration_s`` (the time limit; the clock starts after take-off). Positions are the
simulator's ground truth where the embodiment gives it (``info["true_position"]`` on the AR.Drone emulator,
whose ``state`` is dead-reckoned), the state's position otherwise. ``GoalTracker.summary`` adds to
``metrics.json``:

* ``goal``, ``success``, ``goal_reached``, ``time_to_goal_s``, ``final_distance_m``, ``overrides`` (the
  policy's count, None for a policy that has none);
* ``path_length_m``: flown until the goal was reached, or in all;
* ``shortest_path_m``: the map's shortest path from the start towards the goal's approach point with the
  airframe's clearance (``agent/control/map_planner.py``), up to where it first comes within the success radius;
  the straight-line distance to the landmark's surface minus the radius when the room has no path at that
  clearance;
* ``path_ratio``: the two above divided. Pure pursuit cuts the planned path's corners, so it can dip a little
  below 1.

Units: m, s.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from plansight.agent.contracts import DroneState, Goal, Observation
from plansight.agent.control.map_planner import plan_path
from plansight.sim.drone.landmarks import landmark_distance

log = logging.getLogger(__name__)


class GoalTaskConfig(BaseModel):
    """A drone mission's task: fly to a landmark of the room."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    goal: str = Field(..., description="a landmark of the embodiment's room (room.landmarks), e.g. magenta_panel")
    success_radius_m: float = Field(0.5, gt=0.05, le=5.0, description="reach: this close to the landmark's surface")
    stop_on_success: bool = Field(True, description="end the mission (hover, land) once the goal is reached")


def make_goal(task: GoalTaskConfig, room: Mapping[str, Any] | None) -> Goal:
    """The ``Goal`` for ``task`` in ``room`` (the embodiment's ``info["room"]``); ValueError when it is not there."""
    if room is None:
        raise ValueError(f"task.goal {task.goal!r}: this embodiment does not say what its room holds")
    for lm in room.get("landmarks", ()):
        if lm["name"] == task.goal:
            approach = np.array([*lm["approach_xy"], lm["centre"][2] if lm["kind"] == "panel" else 1.0])
            return Goal(task.goal, np.asarray(lm["centre"], dtype=np.float64), approach, tuple(lm["colour"]),
                        task.success_radius_m, room)
    names = [lm["name"] for lm in room.get("landmarks", ())]
    raise ValueError(f"task.goal {task.goal!r} is not in the room; its landmarks: {names or 'none'}")


def true_position(obs: Observation) -> np.ndarray:
    """The vehicle's world position (3,): the simulator's truth where given, else the state's estimate."""
    truth = obs.info.get("true_position")
    return np.asarray(truth, dtype=np.float64) if truth is not None else DroneState.from_vector(obs.state).position


class GoalTracker:
    """Scores one run against its goal (see the module docstring)."""

    def __init__(self, task: GoalTaskConfig, goal: Goal, start_xy: np.ndarray) -> None:
        self.task, self.goal = task, goal
        self.landmark = next(lm for lm in goal.room["landmarks"] if lm["name"] == goal.name)
        path = plan_path(goal.room, start_xy, goal.approach[:2])
        self.shortest_m = (self._until_reached(path) if path is not None else
                           max(0.0, landmark_distance(self.landmark, np.array([*start_xy, goal.centre[2]]))
                               - task.success_radius_m))
        self.t0: float | None = None
        self.reached_at: float | None = None
        self.collisions_at_reach = 0
        self.path_m = 0.0
        self.distance_m = math.inf
        self._last: np.ndarray | None = None

    def _until_reached(self, path: np.ndarray, step_m: float = 0.02) -> float:
        """Length of ``path`` (N, 2) up to its first point within the success radius (at the goal's height)."""
        walked = 0.0
        for a, b in zip(path[:-1], path[1:], strict=True):
            seg = float(np.linalg.norm(b - a))
            for t in np.arange(0.0, seg, step_m):
                p = a + (b - a) * (t / seg)
                if landmark_distance(self.landmark, np.array([*p, self.goal.approach[2]])) <= \
                        self.task.success_radius_m:
                    return walked + t
            walked += seg
        return walked

    def update(self, obs: Observation, collisions: int) -> bool:
        """Account one step; whether the goal is (now or already) reached."""
        p = true_position(obs)
        if self.t0 is None:
            self.t0 = obs.t
        if self._last is not None and self.reached_at is None:
            self.path_m += float(np.linalg.norm(p[:2] - self._last[:2]))
        self._last = p
        self.distance_m = landmark_distance(self.landmark, p)
        if self.reached_at is None and self.distance_m <= self.task.success_radius_m:
            self.reached_at = obs.t
            self.collisions_at_reach = collisions
            log.info("goal %s reached at t=%.1f s (%.2f m from it)", self.goal.name, obs.t, self.distance_m)
        return self.reached_at is not None

    def summary(self, overrides: int | None) -> dict[str, Any]:
        """The run's goal figures (the module docstring); success counts the collisions before the goal."""
        reached = self.reached_at is not None
        t = (self.reached_at - self.t0) if reached and self.t0 is not None else None
        return {"goal": self.goal.name, "success": bool(reached and self.collisions_at_reach == 0),
                "goal_reached": reached, "time_to_goal_s": round(t, 2) if t is not None else None,
                "path_length_m": round(self.path_m, 3), "shortest_path_m": round(self.shortest_m, 3),
                "path_ratio": round(self.path_m / self.shortest_m, 3) if reached and self.shortest_m > 0 else None,
                "final_distance_m": round(self.distance_m, 3) if math.isfinite(self.distance_m) else None,
                "overrides": overrides}
