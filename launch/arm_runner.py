"""One arm episode, through the contracts only: an ``Arm`` embodiment, and either a ``VideoPlanner`` with a
``PlanExecutor`` or an ``ArmPolicy``, each built from its config by the registry.

Plan loop (AVDC): plan from the first observation, execute, and when the executor asks for a new plan (the hand
stalled, or the plan finished with ``replan_on_finish``) plan again from the current observation, at most
``replans`` times; after that the executor follows its last plan to the end. Success: the task's success flag, then
``EXTRA_STEPS`` more steps, within the arm's budget (``Arm.max_steps``) and without an exception. An exception
(a plan that cannot be executed, a planner error) ends the episode as a failure, as in AVDC.

Events (``EpisodeObserver.on_event``): ``plan`` (the first), ``replan`` (each new plan), the executor's ``grasp``,
``release``, ``stall`` and ``finished``, ``success`` (the first step the flag is set) and ``error``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel

from plansight.agent.contracts import Arm, ArmCommand, ArmPolicy, Event, PlanExecutor, PlanTrace, VideoPlanner
from plansight.agent.planning.lowres import LowResPlanner
from plansight.launch.registry import build
from plansight.sim.metaworld.tasks import EXTRA_STEPS  # AVDC's success rule

log = logging.getLogger(__name__)

__all__ = ["EXTRA_STEPS", "ArmEpisode", "ArmParts", "EpisodeObserver", "EpisodeOutcome", "run_arm_episode"]

TIMING_KEYS = ("plan", "render_obs", "oracle_sim", "oracle_render", "flow", "fit", "control_sim")


@dataclass(frozen=True)
class ArmEpisode:
    """What one episode runs: ``task`` seen from ``camera``, initial state ``seed``, at most ``replans`` new plans."""

    task: str
    camera: str
    seed: int
    replans: int


@dataclass(frozen=True)
class ArmParts:
    """The configs of the parts: a planner with an executor, or an arm policy (registry slots ``planner``,
    ``executor``, ``arm_policy``); ``plan_res`` degrades predicted frames to (width, height) and back. ``planner``
    may also be a ready ``VideoPlanner`` (a caller that keeps one model across episodes, or plays back fixed
    plans)."""

    planner: BaseModel | VideoPlanner | None = None
    executor: BaseModel | None = None
    arm_policy: BaseModel | None = None
    plan_res: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if (self.arm_policy is None) == (self.planner is None or self.executor is None):
            raise ValueError("an arm episode needs a planner and an executor, or an arm policy")


@dataclass
class EpisodeOutcome:
    """How an episode ended. ``steps``: env steps taken; ``modes``: grasp/push of each plan; ``timing``: seconds by
    stage (``TIMING_KEYS`` and whatever the planner reports)."""

    success: bool
    success_step: int | None
    steps: int
    plans: int
    modes: list[str]
    error: str | None
    timing: dict[str, float] = field(default_factory=dict)


TraceFn = Callable[[], PlanTrace | None]
"""The executor's current ``PlanTrace`` on demand (projecting every tracked point costs; observers that draw it ask)."""


class EpisodeObserver(Protocol):
    """Optional hooks: recordings and event logs. ``on_step`` runs after every applied command."""

    def on_event(self, event: Event) -> None: ...

    def on_step(self, arm: Arm, trace: TraceFn) -> None: ...


class _Quiet:
    def on_event(self, event: Event) -> None:
        pass

    def on_step(self, arm: Arm, trace: TraceFn) -> None:
        pass


def run_arm_episode(arm: Arm, episode: ArmEpisode, parts: ArmParts,
                    observer: EpisodeObserver | None = None) -> EpisodeOutcome:
    """Run one episode on ``arm`` (reset here to ``episode.seed``; closed by the caller)."""
    obs_hook = observer or _Quiet()
    timing = dict.fromkeys(TIMING_KEYS, 0.0)
    out = EpisodeOutcome(success=False, success_step=None, steps=0, plans=0, modes=[], error=None, timing=timing)

    def event(kind: str, **data) -> None:
        obs_hook.on_event(Event(arm.step_count * arm.dt, kind, data))

    def step(cmd: ArmCommand, trace: TraceFn) -> bool:
        """Apply ``cmd``; True when the episode is over (success and the extra steps done)."""
        t = time.perf_counter()
        arm.act(cmd)
        timing["control_sim"] += time.perf_counter() - t
        t = time.perf_counter()
        obs_hook.on_step(arm, trace)
        timing["render_obs"] += time.perf_counter() - t
        if arm.success and out.success_step is None:
            out.success_step = arm.step_count
            event("success", step=arm.step_count)
        return out.success_step is not None and arm.step_count >= out.success_step + EXTRA_STEPS

    try:
        arm.reset(episode.seed)
        if parts.arm_policy is not None:
            _run_policy(arm, episode, build("arm_policy", parts.arm_policy, arm), step, timing)
        else:
            executor = build("executor", parts.executor, arm.cameras, episode.seed * 1000)
            planner = (build("planner", parts.planner, arm, executor) if isinstance(parts.planner, BaseModel)
                       else parts.planner)
            if parts.plan_res is not None:
                planner = LowResPlanner(planner, *parts.plan_res)
            _run_plans(arm, episode, planner, executor, step, event, out)
            timing.update(planner.timings)
            timing["flow"], timing["fit"] = executor.timings["flow"], executor.timings["fit"]
    except (ValueError, RuntimeError, FloatingPointError) as e:  # AVDC: an exception is a failure
        out.error = f"{type(e).__name__}: {e}"
        log.warning("episode %s/%s/seed %d failed with %s", episode.task, episode.camera, episode.seed, out.error)
        event("error", error=out.error)
    out.steps = arm.step_count
    out.success = out.success_step is not None and out.steps >= out.success_step + EXTRA_STEPS and out.error is None
    return out


def _run_plans(arm: Arm, episode: ArmEpisode, planner: VideoPlanner, executor: PlanExecutor,
               step: Callable[[ArmCommand, TraceFn], bool],
               event: Callable[..., None], out: EpisodeOutcome) -> None:
    timing = out.timing

    def new_plan(reason: str) -> None:
        t = time.perf_counter()
        obs = arm.observe((episode.camera,))
        timing["render_obs"] += time.perf_counter() - t
        t = time.perf_counter()
        plan = planner.plan(obs, episode.task, episode.camera, seed=episode.seed * 100 + out.plans)[0]
        timing["plan"] += time.perf_counter() - t
        executor.reset(plan, obs)
        out.plans += 1
        trace = executor.trace()
        out.modes.append(trace.mode if trace is not None else "")
        event("plan" if out.plans == 1 else "replan", plan=out.plans, reason=reason, mode=out.modes[-1])

    def drain() -> None:
        for e in executor.drain_events():
            event(e.kind, **e.data)

    new_plan("start")
    while arm.step_count < arm.max_steps:
        executor.may_replan = out.plans <= episode.replans
        cmd = executor.act(arm.observe(()))
        if cmd is None:  # the executor wants a new plan, and one is left
            said = executor.drain_events()
            for e in said:
                event(e.kind, **e.data)
            new_plan(said[-1].kind if said else "finished")
            executor.may_replan = out.plans <= episode.replans
            cmd = executor.act(arm.observe(())) or executor.hold()
        drain()
        if step(cmd, executor.trace):
            break


def _run_policy(arm: Arm, episode: ArmEpisode, policy: ArmPolicy,
                step: Callable[[ArmCommand, TraceFn], bool], timing: dict[str, float]) -> None:
    every = max(int(getattr(policy, "image_every", 1)), 1)  # a policy may need the camera only every n steps

    def observe(image: bool = True):
        t = time.perf_counter()
        obs = arm.observe((episode.camera,) if image else (), depth=False, masks=False)
        timing["render_obs"] += time.perf_counter() - t
        return obs

    policy.reset(observe(), episode.task, episode.camera)
    k = 0
    while arm.step_count < arm.max_steps:
        obs = observe(k % every == 0)
        k += 1
        t = time.perf_counter()
        cmd = policy.act(obs)
        timing["plan"] += time.perf_counter() - t
        if step(cmd, lambda: None):
            break
