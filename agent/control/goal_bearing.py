"""``GoalBearing``: the non-planning baseline for goal missions (``policy: {type: goal_bearing}``).

Reactive avoidance (``agent/control/avoidance.py``) plus steering towards the goal's bearing in the image: the
landmark is found by its colour (``agent/perception/goal_detector.py``), the nose is turned towards it
(``bearing_gain`` · bearing) and the avoidance rule sets the forward speed from the free distance ahead.

* When an obstacle is nearer than the avoidance's ``turn_distance_m`` ahead, or beside the drone, the avoidance
  command is flown instead, and the step counts as an override.
* Near the goal the avoidance's stop distance would keep the drone out of reach of a panel on a wall. So once the
  landmark fills ``arrive_area_fraction`` of the image, or the depth around it is below the turn distance, the
  drone creeps in (``creep_speed_mps``) while the landmark is centred.
* When the goal is not in view, the drone turns on the spot for one full turn, towards the side it was last seen.
  If that does not find it, it wanders with the avoidance rule for ``wander_s`` and turns again.

It uses only the image and the depth estimate, no map, so it flies the same on the AR.Drone. Units: m, m/s, rad/s.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from plansight.agent.contracts import CameraModel, DepthEstimate, DroneCommand, DroneState, Goal, Observation
from plansight.agent.control.avoidance import AvoidanceConfig, ReactiveAvoidance
from plansight.agent.perception.goal_detector import GoalDetection, detect_goal


class GoalBearingConfig(BaseModel):
    """Gains in rad/s per rad, speeds in m/s."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    needs_task: ClassVar[bool] = True  # the mission must name a goal (task.goal)

    type: Literal["goal_bearing"] = "goal_bearing"
    avoidance: AvoidanceConfig = AvoidanceConfig(max_speed_mps=0.6)
    bearing_gain: float = Field(1.5, gt=0.0)
    max_yaw_rate_radps: float = Field(1.0, gt=0.0, le=6.0)
    search_yaw_rate_radps: float = Field(0.6, gt=0.0, le=6.0)
    centred_rad: float = Field(0.25, gt=0.0, description="bearing within which the drone moves towards the goal")
    arrive_area_fraction: float = Field(0.06, gt=0.0, le=1.0, description="blob share of the image meaning 'near'")
    creep_speed_mps: float = Field(0.25, gt=0.0, le=1.0)
    wander_s: float = Field(4.0, ge=0.0, description="after a full search turn without the goal, wander this long")
    min_pixels: int = Field(12, ge=1)


class GoalBearing:
    """See the module docstring. ``camera``: the mission's camera (its image is searched, its depth avoided)."""

    def __init__(self, cfg: GoalBearingConfig, camera: CameraModel) -> None:
        self.cfg, self.camera = cfg, camera
        self.avoid = ReactiveAvoidance(cfg.avoidance, camera)
        self.goal: Goal | None = None
        self.reset()

    def reset(self) -> None:
        self.avoid.reset()
        self.overrides = 0
        self._last_side = 1.0
        self.last: dict[str, float] = {}
        self.detection = GoalDetection(False)
        self._spin_from: float | None = None  # yaw at the last step of a search spin (None: not spinning)
        self._spun = 0.0
        self._wander_until = -math.inf

    def set_goal(self, goal: Goal) -> None:
        self.goal = goal

    def act(self, obs: Observation, depth: DepthEstimate) -> DroneCommand:
        if self.goal is None:
            raise RuntimeError("GoalBearing.act before set_goal: the mission has no task")
        c = self.cfg
        base = self.avoid.act(obs, depth)
        info = self.avoid.last
        det = self.detection = detect_goal(obs.images[self.camera.name], self.goal.colour, c.min_pixels)
        blocked = info.get("ahead_m", 0.0) < c.avoidance.turn_distance_m or info.get("near_side", 0.0) != 0.0
        self.last = {"goal_visible": float(det.visible), "area_fraction": det.area_fraction}
        if det.visible:
            self._spin_from, self._wander_until = None, -math.inf  # the next loss of sight starts a new spin
            bearing = det.bearing_rad(self.camera)
            self._last_side = 1.0 if bearing >= 0 else -1.0
            yaw_rate = float(np.clip(c.bearing_gain * bearing, -c.max_yaw_rate_radps, c.max_yaw_rate_radps))
            near = det.area_fraction >= c.arrive_area_fraction or self._goal_depth(det, depth) < \
                c.avoidance.turn_distance_m
            centred = abs(bearing) < c.centred_rad
            self.last["bearing_rad"] = bearing
            if near:  # the goal itself is what is ahead: creep in while centred
                return DroneCommand(vx=c.creep_speed_mps if centred else 0.0, vy=base.vy, yaw_rate=yaw_rate)
            if blocked:  # an obstacle nearer than the turn distance, or beside us: avoidance flies
                self.overrides += 1
                return base
            return DroneCommand(vx=base.vx if centred else 0.3 * base.vx, vy=base.vy, yaw_rate=yaw_rate)
        return self._search(obs, base, blocked)

    def _search(self, obs: Observation, base: DroneCommand, blocked: bool) -> DroneCommand:
        """Goal out of view: spin on the spot for one full turn; if it is still not seen, wander with the
        avoidance rule for ``wander_s``, then spin again."""
        c = self.cfg
        yaw = DroneState.from_vector(obs.state).yaw
        if self._spin_from is None and obs.t >= self._wander_until:
            self._spin_from, self._spun = yaw, 0.0
        if self._spin_from is not None:
            self._spun += abs((yaw - self._spin_from + math.pi) % (2 * math.pi) - math.pi)
            self._spin_from = yaw
            if self._spun < 2 * math.pi:
                return DroneCommand(vy=base.vy, yaw_rate=self._last_side * c.search_yaw_rate_radps)
            self._spin_from, self._wander_until = None, obs.t + c.wander_s
        if blocked:
            self.overrides += 1
        return base

    def _goal_depth(self, det: GoalDetection, depth: DepthEstimate) -> float:
        """Median valid depth (m) in the blob's box, widened by half its size (a flat panel gives stereo no
        texture inside; its wall around it has the same depth); inf when none is valid."""
        assert det.bbox is not None
        u0, v0, u1, v1 = det.bbox
        du, dv = (u1 - u0) // 2 + 1, (v1 - v0) // 2 + 1
        sl = (slice(max(0, v0 - dv), v1 + dv + 1), slice(max(0, u0 - du), u1 + du + 1))
        d = depth.depth[sl][depth.valid[sl]]
        return float(np.median(d)) if d.size else math.inf
