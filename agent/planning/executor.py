"""AVDC's video→action executor: subgoals from a plan (``subgoals.py``), then a P controller that
approaches the contact point from above, descends, closes the gripper (grasp mode, or always when
pushing) and follows the subgoals; it asks for a new plan when the hand stalls.

Observation use: ``state[0:3]`` is the hand position (world, metres); at ``reset`` the plan's camera
needs ``depth`` and ``masks`` (privileged simulator inputs, as in AVDC) and a ``CameraModel``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from agent.contracts import ArmCommand, CameraModel, Observation, VideoPlan
from agent.planning.config_executor import ExecutorConfig
from agent.planning.subgoals import SubgoalPlan, extract_subgoals

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
        self.timings = {"flow": 0.0, "fit": 0.0}
        self._reset_controller()

    def _reset_controller(self) -> None:
        self._phase = "approach"
        self._goal_i = 0
        self._last_hand: np.ndarray | None = None
        self._stalled = 0

    def reset(self, plan: VideoPlan, obs: Observation) -> None:
        cam = self.cameras[plan.camera]
        self.plan = extract_subgoals(plan, obs.masks[plan.camera], obs.depth[plan.camera], cam, self.cfg,
                                     seed=self.seed)
        self.seed += 1
        for k, v in self.plan.timings.items():
            self.timings[k] = self.timings.get(k, 0.0) + v
        self._reset_controller()

    # ---------------------------------------------------------------- controller
    def _move(self, hand: np.ndarray, target: np.ndarray) -> tuple[float, float, float]:
        a = np.clip(self.cfg.gain * (target - hand), -1.0, 1.0) * ACTION_SCALE_M
        return (float(a[0]), float(a[1]), float(a[2]))

    def _target(self, hand: np.ndarray) -> tuple[np.ndarray, float]:
        cfg, p = self.cfg, self.plan
        closed, opened = cfg.grip_effort, -cfg.grip_effort
        if self._phase == "approach":
            if np.linalg.norm(hand[:2] - p.start[:2]) > cfg.xy_tol_m:
                return p.start + np.array([0.0, 0.0, cfg.approach_height_m]), (closed if p.mode == "push" else opened)
            self._phase = "descend"
        if self._phase == "descend":
            near = abs(hand[2] - p.start[2]) < cfg.close_near_z_m
            grip = closed if (p.mode == "push" or near) else opened
            if abs(hand[2] - p.start[2]) > cfg.z_tol_m:
                return p.start, grip
            self._phase = "follow"
        tol = cfg.subgoal_tol_grasp_m if p.mode == "grasp" else cfg.subgoal_tol_push_m
        while self._goal_i < len(p.subgoals) - 1 and np.linalg.norm(hand - p.subgoals[self._goal_i]) <= tol:
            self._goal_i += 1
        return p.subgoals[self._goal_i], closed

    def act(self, obs: Observation) -> ArmCommand | None:
        """The next command, or ``None`` when the hand has stalled for ``stall_steps`` (replan)."""
        if self.plan is None:
            return None
        hand = np.asarray(obs.state[:3], dtype=np.float64)
        if self._last_hand is not None:
            if np.linalg.norm(hand - self._last_hand) < self.cfg.stall_move_m:
                self._stalled += 1
            elif self.cfg.stall_consecutive:
                self._stalled = 0
        self._last_hand = hand
        if self._stalled >= self.cfg.stall_steps:
            return None
        target, grip = self._target(hand)
        return ArmCommand(dxyz=self._move(hand, target), gripper=grip)
