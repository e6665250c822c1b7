"""AVDC's video→action executor: subgoals from a plan (``subgoals.py``), then a P controller that
approaches the contact point from above, descends, closes the gripper (grasp mode, or always when
pushing) and follows the subgoals; it asks for a new plan when the hand stalls.

Observation use: ``state[0:3]`` is the hand position (world, metres) and ``state[3]`` the gripper opening; at
``reset`` the plan's camera needs ``depth`` and ``masks`` (privileged simulator inputs, as in AVDC) and a
``CameraModel``.

Events (``drain_events``): ``grasp`` when the fingers start closing on the object, ``release`` when a new plan opens
a closed gripper, ``stall`` when the hand has not moved for ``replan.stall_steps`` steps, ``finished`` when the last
subgoal is reached. Times are the observations' ``t``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from plansight.agent.contracts import ArmCommand, CameraModel, Event, Observation, PlanTrace, VideoPlan
from plansight.agent.planning.config_executor import ExecutorConfig, Phase
from plansight.agent.planning.geometry import apply, project
from plansight.agent.planning.subgoals import SubgoalPlan, extract_subgoals

log = logging.getLogger(__name__)

ACTION_SCALE_M = 0.01
"""Metres per unit of a Meta-World-style action: ``move(p=gain)`` gives gain·error units, ≤ 1 per axis."""


class FlowPlanExecutor:
    """``PlanExecutor`` turning a video plan into ``ArmCommand`` steps (see module docstring)."""

    def __init__(self, cameras: Mapping[str, CameraModel], cfg: ExecutorConfig | None = None, seed: int = 0) -> None:
        self.cameras = cameras
        self.cfg = cfg or ExecutorConfig()
        self.seed = seed
        self.plan: SubgoalPlan | None = None
        self.video: VideoPlan | None = None
        self.timings = {"flow": 0.0, "fit": 0.0}
        self.may_replan = True  # False: never return None; keep following the current plan to its end
        self._events: list[Event] = []
        self._t = 0.0
        self._grip = -self.cfg.controller.grip_effort
        self._reset_controller()

    @classmethod
    def from_config(cls, cfg: ExecutorConfig, cameras: Mapping[str, CameraModel], seed: int = 0) -> FlowPlanExecutor:
        """The registry's constructor: ``build("executor", cfg, cameras, seed)``."""
        return cls(cameras, cfg, seed)

    @property
    def reads_plan_depth(self) -> bool:
        return self.cfg.fit.plan_depth

    def _reset_controller(self) -> None:
        self._phase: Phase = "approach"
        self._goal_i = 0
        self._last_hand: np.ndarray | None = None
        self._stalled = 0
        self._closing = 0
        self.finished = False

    def reset(self, plan: VideoPlan, obs: Observation) -> None:
        cam = self.cameras[plan.camera]
        tool = self._tool(obs)
        closed = bool(obs.state[3] < self.cfg.grasp.holding_opening)
        self._t = obs.t
        self.plan = extract_subgoals(plan, obs.masks[plan.camera], obs.depth[plan.camera], cam, self.cfg,
                                     seed=self.seed, tool=tool, gripper_closed=closed)
        self.video = plan
        self.seed += 1
        for k, v in self.plan.timings.items():
            self.timings[k] = self.timings.get(k, 0.0) + v
        self._reset_controller()
        # already holding the object (e.g. after a replan): keep it and follow; or already at the start point
        if self.plan.held or np.linalg.norm(tool - self.plan.start) <= self.cfg.controller.z_tol_m:
            self._phase = "follow"

    def _tool(self, obs: Observation) -> np.ndarray:
        return np.asarray(obs.state[:3], dtype=np.float64) + np.asarray(self.cfg.controller.tool_offset_m)

    def _event(self, kind: str, **data) -> None:
        self._events.append(Event(self._t, kind, data))

    # ---------------------------------------------------------------- controller
    def _move(self, hand: np.ndarray, target: np.ndarray) -> tuple[float, float, float]:
        a = np.clip(self.cfg.controller.gain * (target - hand), -1.0, 1.0) * ACTION_SCALE_M
        return (float(a[0]), float(a[1]), float(a[2]))

    def _target(self, hand: np.ndarray) -> tuple[np.ndarray, float]:
        c, p = self.cfg.controller, self.plan
        closed, opened = c.grip_effort, -c.grip_effort
        if self._phase == "approach":
            if np.linalg.norm(hand[:2] - p.start[:2]) > c.xy_tol_m:
                above = p.start + np.array([0.0, 0.0, c.approach_height_m])
                return above, (closed if p.mode == "push" else opened)
            self._phase = "descend"
        if self._phase == "descend":
            if p.mode == "push":
                if abs(hand[2] - p.start[2]) > c.z_tol_m:
                    return p.start, closed
                self._phase = "follow"
            else:
                blocked = self._stalled >= c.blocked_steps  # fingers on the table: as low as it goes
                if abs(hand[2] - p.start[2]) > c.grasp_z_tol_m and not blocked:
                    return p.start, opened
                self._phase, self._closing = "close", 0
                self._event("grasp", hand=hand)
        if self._phase == "close":  # hold still while the fingers close
            self._closing += 1
            if self._closing <= c.close_steps:
                self._stalled = 0
                return hand, closed
            self._phase = "follow"
        tol = c.subgoal_tol_grasp_m if p.mode == "grasp" else c.subgoal_tol_push_m
        while self._goal_i < len(p.subgoals) and np.linalg.norm(hand - p.subgoals[self._goal_i]) <= tol:
            self._goal_i += 1
        if self._goal_i >= len(p.subgoals):
            if not self.finished:
                self._event("finished", subgoals=len(p.subgoals))
            self.finished = True
            return p.subgoals[-1], closed
        return p.subgoals[self._goal_i], closed

    def act(self, obs: Observation) -> ArmCommand | None:
        """The next command, or ``None`` when a new plan is needed: the hand stalled for ``stall_steps``, or
        (``replan_on_finish``) the last subgoal was reached."""
        if self.plan is None:
            return None
        self._t = obs.t
        rp = self.cfg.replan
        hand = self._tool(obs)
        if self._last_hand is not None:
            if np.linalg.norm(hand - self._last_hand) < rp.stall_move_m:
                self._stalled += 1
            elif rp.stall_consecutive:
                self._stalled = 0
        self._last_hand = hand
        if self._stalled >= rp.stall_steps and self.may_replan:
            self._event("stall", steps=self._stalled, phase=self._phase)
            return None
        target, grip = self._target(hand)
        if self.finished and rp.replan_on_finish and self.may_replan:
            return None
        if grip < 0 < self._grip:
            self._event("release", hand=hand)
        self._grip = grip
        return ArmCommand(dxyz=self._move(hand, target), gripper=grip)

    def hold(self) -> ArmCommand:
        """Stay still with the fingers closed (what the episode loop sends when no plan can be had)."""
        return ArmCommand(gripper=self.cfg.controller.grip_effort)

    def drain_events(self) -> list[Event]:
        out, self._events = self._events, []
        return out

    def trace(self) -> PlanTrace | None:
        """The current plan with its object points moved by the fitted motion and the subgoals, in pixels."""
        if self.plan is None or self.video is None:
            return None
        p, cam = self.plan, self.cameras[self.video.camera]
        X0 = p.points if p.points is not None else np.zeros((0, 3))
        pts = np.stack([project(cam, apply(T, X0))[0] if len(X0) else np.zeros((0, 2)) for T in p.transforms])
        return PlanTrace(plan=self.video, points_uv=pts, subgoals_uv=project(cam, p.subgoals)[0],
                         goal_index=self._goal_i, mode=p.mode, phase=self._phase)
