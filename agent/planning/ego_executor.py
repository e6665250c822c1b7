"""``VideoPlanPolicy``: flies a drone by its video plans (``policy: {type: video_plan}`` with a mission
``planner:``).

Every ``replan_every_s``, or sooner when the observed motion departs from the plan (the vehicle's odometry more
than ``replan_departure_m`` from where the commands flown since the plan began should have taken it), it asks
the planner for a new plan from the current observation and depth estimate. Between each pair of consecutive
plan frames the camera's motion comes from flow and the plan's depth (``agent/planning/ego_motion.py``); each
motion, divided by the planner's ``frame_dt_s``, is a body-frame velocity command, flown in turn (open loop
within a plan, closed loop through replanning). Pairs are fitted when first flown, so the cost is spread over
the control steps and pairs never flown cost nothing. A pair whose fit fails flies the previous pair's command.

Reactive avoidance stays on as the safety override (training wheels): when the free distance ahead on the
current depth estimate is below ``override_distance_m`` the forward command is cut to zero or less, and when an
obstacle is beside the drone the avoidance rule's sideways push is added; each such step counts in
``overrides``.

Where a plan carries the body's true poses (``VideoPlan.object_poses``, oracle plans), each estimated step is
scored against them: ``finish_run`` reports the median translation and rotation error per plan step, the
plan count (and how many came from departures) and the median latency of a plan and of one pair's fit.
Units: m, m/s, rad, rad/s, ms.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from plansight.agent.contracts import (
    CameraModel,
    DepthEstimate,
    DroneCommand,
    DroneState,
    DroneVideoPlanner,
    Event,
    Goal,
    Observation,
    VideoPlan,
)
from plansight.agent.control.avoidance import AvoidanceConfig, ReactiveAvoidance
from plansight.agent.planning.ego_motion import ego_motion, motion_to_command
from plansight.agent.shared.features import body_to_world

log = logging.getLogger(__name__)


class VideoPlanPolicyConfig(BaseModel):
    """Replanning, command limits and the safety override. Seconds, m/s, rad/s, metres."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    needs_task: ClassVar[bool] = True
    needs_planner: ClassVar[bool] = True

    type: Literal["video_plan"] = "video_plan"
    replan_every_s: float = Field(0.4, gt=0.0, le=10.0)
    max_speed_mps: float = Field(0.8, gt=0.0, le=3.0)
    max_yaw_rate_radps: float = Field(1.2, gt=0.0, le=6.0)
    flow: Literal["dis", "dis2x", "farneback"] = "dis"
    replan_departure_m: float = Field(0.2, gt=0.0, description="also replan when the vehicle's odometry is this far "
                                      "from where the commands flown since the plan began should have taken it")
    override_distance_m: float = Field(0.3, ge=0.0, description="cut forward speed when less is free ahead")
    avoidance: AvoidanceConfig = Field(AvoidanceConfig(side_distance_m=0.35),
                                       description="the override's reading of depth; its sideways push acts on "
                                                   "points nearer than side_distance_m")


class VideoPlanPolicy:
    """See the module docstring. ``camera``: the mission camera (its depth estimate feeds the override)."""

    def __init__(self, cfg: VideoPlanPolicyConfig, camera: CameraModel) -> None:
        self.cfg, self.camera = cfg, camera
        self.avoid = ReactiveAvoidance(cfg.avoidance, camera)
        self.planner: DroneVideoPlanner | None = None
        self.goal: Goal | None = None
        self.reset()

    def reset(self) -> None:
        self.avoid.reset()
        self.overrides = 0
        self.plans = 0
        self._plan: VideoPlan | None = None
        self._commands: list[DroneCommand] = []
        self._t_plan = -math.inf
        self._errors_t: list[float] = []
        self._errors_r: list[float] = []
        self._plan_ms: list[float] = []
        self._exec_ms: list[float] = []
        self._events: list[Event] = []
        self.departures = 0
        self._hints: list[np.ndarray] = []
        self._p0, self._planned = np.zeros(2), np.zeros(2)
        self._last_t: float | None = None
        self._last_cmd = DroneCommand.hover()

    def set_planner(self, planner: DroneVideoPlanner) -> None:
        self.planner = planner

    def set_goal(self, goal: Goal) -> None:
        self.goal = goal
        if self.planner is not None:
            self.planner.set_goal(goal)

    def _replan(self, obs: Observation, depth: DepthEstimate, s: DroneState) -> None:
        assert self.planner is not None
        t0 = time.perf_counter()
        plan = self.planner.plan(obs, depth)
        self._plan_ms.append(1e3 * (time.perf_counter() - t0))
        self._t_plan = obs.t
        self._plan, self._commands, self._hints = plan, [], []
        self._p0, self._planned = s.position[:2].copy(), np.zeros(2)
        if plan is None:
            self._events.append(Event(obs.t, "no_plan", {}))
            return
        if plan.depth is None:
            raise ValueError("this executor reads plan depth: the planner must give RGB-D plans")
        self.plans += 1

    def _command(self, k: int) -> DroneCommand:
        """The command of plan step ``k`` (frames ``k`` → ``k + 1``), fitted when first needed: a plan is replanned
        long before its last frames, so only the steps flown are ever fitted."""
        plan = self._plan
        if plan is None or k >= len(plan.frames) - 1:
            return DroneCommand.hover()
        assert self.planner is not None
        cam, dt = self.planner.camera, self.planner.frame_dt_s
        while len(self._commands) <= k:
            i = len(self._commands)
            t0 = time.perf_counter()
            m = ego_motion(plan.frames[i], plan.depth[i], plan.frames[i + 1], cam, depth_b=plan.depth[i + 1],
                           flow=self.cfg.flow, shift_hints=self._hints)
            self._hints = [m.shift_px] if m.ok else self._hints
            last = self._commands[-1] if self._commands else DroneCommand.hover()
            self._commands.append(motion_to_command(m.T_a_b, dt, self.cfg.max_speed_mps, self.cfg.max_yaw_rate_radps)
                                  if m.ok else last)
            self._exec_ms.append(1e3 * (time.perf_counter() - t0))
            if plan.object_poses is not None and m.ok:
                truth = np.linalg.inv(plan.object_poses[i]) @ plan.object_poses[i + 1]
                self._errors_t.append(float(np.linalg.norm(m.T_a_b[:3, 3] - truth[:3, 3])))
                dR = m.T_a_b[:3, :3].T @ truth[:3, :3]
                self._errors_r.append(math.degrees(math.acos(float(np.clip((np.trace(dR) - 1) / 2, -1, 1)))))
        return self._commands[k]

    def _departed(self, s: DroneState) -> bool:
        """Whether the vehicle's own odometry (``s``, from ``obs.state``) has moved more than ``replan_departure_m``
        away from where the commands flown since the plan began should have taken it."""
        return float(np.linalg.norm(s.position[:2] - self._p0 - self._planned)) > self.cfg.replan_departure_m

    def act(self, obs: Observation, depth: DepthEstimate) -> DroneCommand:
        if self.planner is None or self.goal is None:
            raise RuntimeError("VideoPlanPolicy needs a planner and a goal (the mission's planner: and task:)")
        c = self.cfg
        s = DroneState.from_vector(obs.state)
        if self._last_t is not None:  # where the commands flown since the plan began should have taken the body
            prev = self._last_cmd
            self._planned += (obs.t - self._last_t) * body_to_world(np.array([prev.vx, prev.vy, 0.0]), float(s.yaw))[:2]
        elapsed = obs.t - self._t_plan
        if elapsed >= c.replan_every_s or self._plan is None or self._departed(s):
            if math.isfinite(elapsed) and self._plan is not None and elapsed < c.replan_every_s:
                self.departures += 1
            self._replan(obs, depth, s)
            elapsed = 0.0
        cmd = self._command(int(elapsed / self.planner.frame_dt_s))
        base = self.avoid.act(obs, depth)
        info = self.avoid.last
        blocked = info.get("ahead_m", math.inf) < c.override_distance_m and cmd.vx > 0
        beside = info.get("near_side", 0.0) != 0.0
        if blocked or beside:
            self.overrides += 1
            cmd = DroneCommand(vx=min(cmd.vx, 0.0) if blocked else cmd.vx, vy=cmd.vy + (base.vy if beside else 0.0),
                               vz=cmd.vz, yaw_rate=cmd.yaw_rate)
        self._last_t, self._last_cmd = obs.t, cmd
        return cmd

    # ------------------------------------------------------------------ RunParticipant
    def start_run(self, run_dir: Path) -> None:
        pass

    def drain_events(self) -> list[Event]:
        out, self._events = self._events, []
        return out

    def finish_run(self, run_dir: Path) -> dict[str, Any]:
        def med(x: list[float], nd: int) -> float | None:
            return round(float(np.median(x)), nd) if x else None

        return {"metrics": {
            "plans": self.plans,
            "replans_on_departure": self.departures,
            "ego_motion_steps_scored": len(self._errors_t),
            "ego_motion_translation_error_m": med(self._errors_t, 4),
            "ego_motion_rotation_error_deg": med(self._errors_r, 3),
            "plan_latency_ms": med(self._plan_ms, 2),
            "ego_motion_fit_ms": med(self._exec_ms, 2),
        }, "files": {}}
