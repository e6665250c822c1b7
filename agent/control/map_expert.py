"""``MapExpert``: the privileged expert that flies to a mission's goal on the known room map (``policy: {type:
map_expert}``).

It needs the room's layout (the goal's ``room``: obstacles, walls, landmarks), which only simulators give, and the
vehicle's position from the state. It plans the shortest path with the airframe's clearance
(``agent/control/map_planner.py``) from where it is to the goal's approach point, then follows it by pure pursuit:
a carrot ``lookahead_m`` ahead along the path, world velocity towards it (slowing within ``slow_radius_m`` of the
end), nose turned along the direction of travel (so its camera sees where it goes: the data the drone video model
learns from) and, in the last ``face_radius_m``, turned to face the landmark. It replans when it strays more
than ``replan_deviation_m`` from the path. No depth is read; ``overrides`` stays 0. Units: m, m/s, rad/s.
"""

from __future__ import annotations

import logging
import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from plansight.agent.contracts import CameraModel, DepthEstimate, DroneCommand, DroneState, Goal, Observation
from plansight.agent.control.map_planner import path_length, plan_path

log = logging.getLogger(__name__)


class MapExpertConfig(BaseModel):
    """Speeds in m/s, distances in m, gains in 1/s."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    needs_task: ClassVar[bool] = True  # the mission must name a goal (task.goal)

    type: Literal["map_expert"] = "map_expert"
    max_speed_mps: float = Field(0.7, gt=0.0, le=3.0)
    lookahead_m: float = Field(0.5, gt=0.05, le=3.0)
    slow_radius_m: float = Field(0.8, gt=0.0)
    face_radius_m: float = Field(0.7, ge=0.0, description="turn to face the landmark this close to the end")
    yaw_gain: float = Field(2.0, gt=0.0)
    max_yaw_rate_radps: float = Field(1.2, gt=0.0, le=6.0)
    altitude_gain: float = Field(1.0, ge=0.0)
    max_climb_mps: float = Field(0.3, ge=0.0)
    clearance_m: float = Field(0.35, gt=0.1, le=1.0, description="airframe radius plus margin kept from obstacles")
    resolution_m: float = Field(0.05, gt=0.01, le=0.5)
    replan_deviation_m: float = Field(0.5, gt=0.0)


class MapExpert:
    """See the module docstring. ``camera`` is unused (the expert does not look)."""

    def __init__(self, cfg: MapExpertConfig, camera: CameraModel | None = None) -> None:
        self.cfg = cfg
        self.goal: Goal | None = None
        self.reset()

    def reset(self) -> None:
        self.path: np.ndarray | None = None
        self.overrides = 0
        self.replans = 0
        self.last: dict[str, float] = {}

    def set_goal(self, goal: Goal) -> None:
        if goal.room is None:
            raise ValueError("the map expert needs the room's layout, which this embodiment does not give")
        self.goal = goal
        self.path = None

    def _plan(self, xy: np.ndarray) -> None:
        assert self.goal is not None
        c = self.cfg
        self.path = plan_path(self.goal.room, xy, self.goal.approach[:2], (c.clearance_m, 0.8 * c.clearance_m),
                              c.resolution_m)
        if self.path is None:
            log.warning("no path to %s from (%.2f, %.2f)", self.goal.name, *xy)
        else:
            self.replans += 1
            log.debug("path to %s: %d corners, %.2f m", self.goal.name, len(self.path), path_length(self.path))

    def act(self, obs: Observation, depth: DepthEstimate | None = None) -> DroneCommand:
        if self.goal is None:
            raise RuntimeError("MapExpert.act before set_goal: the mission has no task")
        c = self.cfg
        s = DroneState.from_vector(obs.state)
        xy = s.position[:2]
        if self.path is None or _distance_to_path(self.path, xy)[0] > c.replan_deviation_m:
            self._plan(xy)
        if self.path is None:
            return DroneCommand.hover()
        dist, seg, along = _distance_to_path(self.path, xy)
        carrot = _point_along(self.path, seg, along + c.lookahead_m)
        end = self.path[-1]
        to_end = float(np.linalg.norm(end - xy))
        v = carrot - xy
        n = float(np.linalg.norm(v))
        speed = min(c.max_speed_mps, c.max_speed_mps * to_end / c.slow_radius_m)
        v_world = v / n * speed if n > 1e-6 else np.zeros(2)
        if to_end < c.face_radius_m:
            look = self.goal.centre[:2] - xy
        else:
            look = v if n > 1e-3 else self.goal.centre[:2] - xy
        heading_err = _wrap(math.atan2(look[1], look[0]) - s.yaw)
        yaw_rate = float(np.clip(c.yaw_gain * heading_err, -c.max_yaw_rate_radps, c.max_yaw_rate_radps))
        v_world *= max(0.0, math.cos(heading_err)) ** 2 if to_end >= c.face_radius_m else 1.0  # turn, then go
        cy, sy = math.cos(s.yaw), math.sin(s.yaw)
        vx, vy = cy * v_world[0] + sy * v_world[1], -sy * v_world[0] + cy * v_world[1]
        vz = float(np.clip(c.altitude_gain * (self.goal.approach[2] - s.position[2]), -c.max_climb_mps,
                           c.max_climb_mps))
        self.last = {"to_goal_m": to_end, "path_deviation_m": dist, "heading_error_rad": heading_err}
        return DroneCommand(vx=float(vx), vy=float(vy), vz=vz, yaw_rate=yaw_rate)


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


def _distance_to_path(path: np.ndarray, xy: np.ndarray) -> tuple[float, int, float]:
    """(distance to the polyline, index of the nearest segment, arc length along it of the nearest point)."""
    if len(path) == 1:
        return float(np.linalg.norm(path[0] - xy)), 0, 0.0
    a, b = path[:-1], path[1:]
    ab = b - a
    L2 = np.maximum((ab ** 2).sum(axis=1), 1e-12)
    t = np.clip(((xy - a) * ab).sum(axis=1) / L2, 0.0, 1.0)
    near = a + t[:, None] * ab
    d = np.linalg.norm(near - xy, axis=1)
    k = int(np.argmin(d))
    return float(d[k]), k, float(t[k] * math.sqrt(L2[k]))


def _point_along(path: np.ndarray, seg: int, along: float) -> np.ndarray:
    """The point ``along`` metres past the start of segment ``seg`` (clipped to the path's end)."""
    for k in range(seg, len(path) - 1):
        L = float(np.linalg.norm(path[k + 1] - path[k]))
        if along <= L:
            return path[k] + (path[k + 1] - path[k]) * (along / max(L, 1e-12))
        along -= L
    return path[-1].copy()
