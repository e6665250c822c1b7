"""``plansight eval metaworld``: the AVDC protocol on Meta-World with a video planner and the flow executor.

Per (task, camera, seed) one episode: plan from the first observation, execute, replan when the hand
stalls (at most ``replans`` times), success = Meta-World's success flag reached and 10 more steps, all
within 500 steps (AVDC). Per-task success is over seeds × cameras; overall is the mean over the
(task, camera) rates (AVDC: 33 of them).

Results go to ``<out>/episodes.jsonl``: one JSON line per finished episode, appended with a single
``write`` + ``fsync`` (a killed run loses at most the episode in flight, never a half line is used:
partial last lines are ignored). Re-running the same command skips finished episodes. Summary files
(``summary.json``, ``table.md``) are written atomically; sample videos go to ``<out>/videos/``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

EXTRA_STEPS = 10  # AVDC: success must be followed by 10 more steps within the budget
PLANNERS: dict[str, str] = {"oracle": "sim.metaworld.oracle:OraclePlanner"}
"""Video planners by name (``module:Class``); each is built as ``Class(arm)``."""


@dataclass(frozen=True)
class EpisodeSpec:
    task: str
    camera: str
    seed: int
    replans: int
    width: int = 320
    height: int = 240
    planner: str = "oracle"
    plan_frames: int = 8
    video: Path | None = None

    @property
    def key(self) -> str:
        return f"{self.task}|{self.camera}|{self.seed}|{self.replans}|{self.plan_frames}|{self.width}x{self.height}"


def _planner(name: str, arm, n_frames: int):
    import importlib

    module, _, cls = PLANNERS[name].partition(":")
    return getattr(importlib.import_module(module), cls)(arm, n_frames=n_frames)


def run_episode(spec: EpisodeSpec) -> dict:
    """Run one episode; returns its JSON record (success, steps, plans, seconds and where they went)."""
    from agent.contracts import ArmCommand
    from agent.planning.executor import FlowPlanExecutor
    from agent.planning.subgoals import PlanError
    from sim.metaworld.arm_sim import MetaWorldArm
    from sim.metaworld.config_metaworld import make_config

    t_start = time.perf_counter()
    arm = MetaWorldArm(make_config(task=spec.task, cameras=(spec.camera,), width=spec.width, height=spec.height))
    rec: dict = {"key": spec.key, **{k: v for k, v in asdict(spec).items() if k != "video"}}
    timing = {"render_obs": 0.0, "oracle_sim": 0.0, "oracle_render": 0.0, "flow": 0.0, "fit": 0.0, "control_sim": 0.0}
    frames: list[np.ndarray] = []
    error = None
    success_step = None
    plans = 0
    modes: list[str] = []
    try:
        arm.reset(spec.seed)
        planner = _planner(spec.planner, arm, spec.plan_frames)
        executor = FlowPlanExecutor(arm.cameras, seed=spec.seed * 1000)

        def new_plan() -> None:
            nonlocal plans
            t = time.perf_counter()
            obs = arm.observe((spec.camera,))
            timing["render_obs"] += time.perf_counter() - t
            plan = planner.plan(obs, spec.task, spec.camera)[0]
            executor.reset(plan, obs)
            plans += 1
            modes.append(executor.plan.mode)

        new_plan()
        while arm.steps_left > 0:
            executor.may_replan = plans <= spec.replans
            obs = arm.observe(())
            cmd = executor.act(obs)
            if cmd is None:  # the executor wants a new plan, and one is left
                new_plan()
                executor.may_replan = plans <= spec.replans
                cmd = executor.act(arm.observe(())) or ArmCommand(gripper=executor.cfg.grip_effort)
            t = time.perf_counter()
            arm.act(cmd)
            timing["control_sim"] += time.perf_counter() - t
            if spec.video is not None:
                t = time.perf_counter()
                frames.append(arm.observe((spec.camera,), depth=False, masks=False).images[spec.camera])
                timing["render_obs"] += time.perf_counter() - t
            if arm.success and success_step is None:
                success_step = arm.step_count
            if success_step is not None and arm.step_count >= success_step + EXTRA_STEPS:
                break
        timing["oracle_sim"] = getattr(planner, "stats", None).simulate_s if hasattr(planner, "stats") else 0.0
        timing["oracle_render"] = planner.stats.render_s if hasattr(planner, "stats") else 0.0
        timing["flow"], timing["fit"] = executor.timings["flow"], executor.timings["fit"]
    except (PlanError, ValueError, RuntimeError, FloatingPointError) as e:  # AVDC: an exception is a failure
        error = f"{type(e).__name__}: {e}"
        log.warning("episode %s failed with %s", spec.key, error)
    finally:
        steps = arm.step_count if arm._env is not None else 0
        arm.close()
    success = success_step is not None and success_step + EXTRA_STEPS <= 500
    rec.update(success=bool(success), success_step=success_step, steps=steps, plans=plans, modes=modes,
               error=error, seconds=time.perf_counter() - t_start, timing=timing)
    if spec.video is not None and frames:
        from launch.video import VideoRecorder

        spec.video.parent.mkdir(parents=True, exist_ok=True)
        rec_v = VideoRecorder(spec.video, fps=40.0)
        for f in frames:
            rec_v.add(f)
        rec_v.close()
        rec["video"] = str(spec.video)
    return rec
