"""The oracle video planner: the scripted expert's future, rendered from a copy of the current state.

It is the ceiling any learned planner can reach with a given executor. ``plan`` snapshots the
simulator, runs the expert forward without rendering (recording MuJoCo's state after every step)
until it succeeds (plus ``tail_steps``) or the horizon ends, picks ``n_frames`` states spaced
uniformly from now to the end (AVDC's clip sampling: every plan ends at task completion), renders
them from the plan's camera (RGB and, by default, depth), and restores the snapshot. The episode itself is
left untouched.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from plansight.agent.contracts import Observation, PlanExecutor, VideoPlan
from plansight.sim.metaworld.arm_sim import MetaWorldArm, expert_policy
from plansight.sim.metaworld.config_oracle import OracleConfig

log = logging.getLogger(__name__)


@dataclass
class OracleStats:
    """Wall-clock seconds spent simulating the expert and rendering plan frames, summed over plans."""

    simulate_s: float = 0.0
    render_s: float = 0.0
    plans: int = 0
    expert_successes: list[bool] = field(default_factory=list)


class OraclePlanner:
    """``VideoPlanner`` that renders the expert's rollout from the arm's current state.

    Args:
        arm: the embodiment whose state is copied (it must be the one the executor acts on).
        n_frames: frames per plan, the observed one included (AVDC: 1 + 7 = 8).
        horizon: most expert steps simulated per plan.
        tail_steps: steps kept after the expert's first success, so the last frame shows the end state.
        depth: also render each frame's depth (an RGB-D plan, ``VideoPlan.depth``).
    """

    def __init__(self, arm: MetaWorldArm, n_frames: int = 8, horizon: int = 300, tail_steps: int = 5,
                 depth: bool = True) -> None:
        if n_frames < 2:
            raise ValueError(f"n_frames must be ≥ 2, got {n_frames}")
        self.arm, self.n_frames, self.horizon, self.tail_steps = arm, n_frames, horizon, tail_steps
        self.depth = depth
        self.stats = OracleStats()

    @classmethod
    def from_config(cls, cfg: OracleConfig, arm: MetaWorldArm, executor: PlanExecutor | None = None) -> OraclePlanner:
        """The registry's constructor: ``build("planner", cfg, arm, executor)``. Depth is rendered when
        ``cfg.depth`` says so, or (``None``) when the executor reads plan depth: each frame's depth costs a second
        render pass."""
        depth = cfg.depth if cfg.depth is not None else (executor is None or executor.reads_plan_depth)
        return cls(arm, n_frames=cfg.plan_frames, horizon=cfg.horizon, tail_steps=cfg.tail_steps, depth=depth)

    @property
    def timings(self) -> dict[str, float]:
        """Seconds simulating the expert (``oracle_sim``) and rendering plan frames (``oracle_render``)."""
        return {"oracle_sim": self.stats.simulate_s, "oracle_render": self.stats.render_s}

    def plan(self, obs: Observation, task: str, camera: str, n: int = 1, seed: int | None = None) -> list[VideoPlan]:
        """``n`` identical plans (the expert is deterministic); frame 0 is rendered from the current state."""
        if task != self.arm.task:
            raise ValueError(f"oracle planner is bound to task {self.arm.task!r}, asked for {task!r}")
        arm = self.arm
        t0 = time.perf_counter()
        start = arm.snapshot()
        policy = expert_policy(task)
        states = [start]
        success_at = None
        budget = min(self.horizon, arm.steps_left)
        for k in range(budget):
            arm.step_raw(arm.expert_action(policy))
            states.append(arm.snapshot())
            if arm.success and success_at is None:
                success_at = k + 1
            if success_at is not None and k + 1 >= success_at + self.tail_steps:
                break
        t1 = time.perf_counter()
        idx = np.unique(np.round(np.linspace(0, len(states) - 1, self.n_frames)).astype(int))
        if len(idx) < self.n_frames:  # very short remaining rollouts: repeat the last state
            idx = np.concatenate([idx, np.full(self.n_frames - len(idx), idx[-1])])
        frames, depths, poses = [], [], []
        for i in idx:
            arm.restore(states[i])
            o = arm.observe((camera,), depth=self.depth, masks=False)
            frames.append(o.images[camera])
            if self.depth:
                depths.append(o.depth[camera])
            poses.append(arm.object_pose())
        arm.restore(start)
        self.stats.simulate_s += t1 - t0
        self.stats.render_s += time.perf_counter() - t1
        self.stats.plans += 1
        self.stats.expert_successes.append(success_at is not None)
        log.debug("oracle plan: %d expert steps, success at %s", len(states) - 1, success_at)
        plan = VideoPlan(frames=np.stack(frames), camera=camera, task=task, object_poses=np.stack(poses),
                         depth=np.stack(depths).astype(np.float32) if self.depth else None)
        return [plan] * n
