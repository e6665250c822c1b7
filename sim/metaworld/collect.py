"""Scripted-expert rollouts recorded as ``Demo``s (see ``dataset.py``): RGB, depth and object masks from
every camera, MuJoCo states, actions, rewards, success flags and seeds."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import mujoco
import numpy as np

from plansight.sim.metaworld.arm_sim import MetaWorldArm, expert_policy
from plansight.sim.metaworld.config_metaworld import make_config
from plansight.sim.metaworld.dataset import Demo, open_writer
from plansight.sim.metaworld.tasks import EXTRA_STEPS

log = logging.getLogger(__name__)

_ARMS: dict[tuple, MetaWorldArm] = {}  # per worker process: one arm per (task, cameras, size, steps)


def _rollout_job(task: str, cameras: tuple[str, ...], width: int, height: int, max_steps: int, seed: int,
                 depth: bool = True, masks: bool = True) -> Demo:
    """A worker process's rollout; it keeps its arm for the next seed of the same task."""
    key = (task, cameras, width, height, max_steps)
    if key not in _ARMS:
        for old in _ARMS.values():
            old.close()
        _ARMS.clear()
        _ARMS[key] = MetaWorldArm(make_config(task=task, cameras=cameras, width=width, height=height,
                                              max_steps=max_steps))
    return rollout(_ARMS[key], seed, depth=depth, masks=masks)


def rollout(arm: MetaWorldArm, seed: int, max_steps: int | None = None, depth: bool = True,
            masks: bool = True, actions: np.ndarray | None = None) -> Demo:
    """One expert episode from ``seed``'s initial state, observed before every action (RGB always; depth and
    object masks unless turned off, e.g. for policy learning, which needs neither).

    ``actions`` (T, 4) raw Meta-World actions: replay these instead of the expert (e.g. a planner's executed
    episode, recorded again at the dataset's size); the episode ends with them, or at success + 10 steps."""
    arm.reset(seed)
    policy = expert_policy(arm.task) if actions is None else None
    limit = arm.cfg.max_steps if max_steps is None else min(max_steps, arm.cfg.max_steps)
    if actions is not None:
        limit = min(limit, len(actions))
    obs_keys: dict[str, list[np.ndarray]] = {"state": []}
    applied, rewards, states = [], [], []
    success_step = -1
    for k in range(limit):
        o = arm.observe(depth=depth, masks=masks)
        obs_keys["state"].append(o.state)
        for c in arm.cfg.cameras:
            obs_keys.setdefault(f"{c}_image", []).append(o.images[c])
            if depth:
                obs_keys.setdefault(f"{c}_depth", []).append(o.depth[c])
            if masks:
                obs_keys.setdefault(f"{c}_mask", []).append(o.masks[c])
        states.append(arm.snapshot().physics)
        a = arm.expert_action(policy) if actions is None else np.asarray(actions[k], np.float64)
        _, info = arm.step_raw(a)
        applied.append(a)
        rewards.append(float(info.get("unscaled_reward", 0.0)))
        if info["success"] and success_step < 0:
            success_step = k + 1
        if success_step >= 0 and k + 1 >= success_step + EXTRA_STEPS:
            break
    cams = {c: {"K": arm.cameras[c].K, "T_world_cam": arm.cameras[c].T_body_cam} for c in arm.cfg.cameras}
    return Demo(task=arm.task, seed=seed, success=success_step >= 0, success_step=success_step,
                actions=np.array(applied), rewards=np.array(rewards), states=np.array(states),
                obs={k: np.stack(v) for k, v in obs_keys.items()}, cameras=cams)


def _demos(tasks: Sequence[str], cameras: Sequence[str], episodes: int, width: int, height: int, seed0: int,
           max_steps: int, workers: int, depth: bool = True, masks: bool = True) -> Iterator[Demo]:
    """Every (task, seed) rollout in order; in ``workers`` spawned processes when > 1."""
    jobs = [(t, tuple(cameras), width, height, max_steps, seed0 + i, depth, masks)
            for t in tasks for i in range(episodes)]
    if workers <= 1:
        for task in tasks:
            arm = MetaWorldArm(make_config(task=task, cameras=tuple(cameras), width=width, height=height,
                                           max_steps=max_steps))
            try:
                for i in range(episodes):
                    yield rollout(arm, seed0 + i, depth=depth, masks=masks)
            finally:
                arm.close()
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(_rollout_job, *zip(*jobs, strict=True), chunksize=max(1, episodes // workers))


def collect(out: Path, tasks: Sequence[str], cameras: Sequence[str], episodes: int, width: int, height: int,
            seed0: int = 0, max_steps: int = 500, on_demo: Callable[[int, int, Demo], None] | None = None,
            workers: int = 1, depth: bool = True, masks: bool = True) -> dict:
    """Record ``episodes`` expert demos per task (seeds ``seed0…``) into ``out``, rolled out in ``workers``
    processes (the file's order and contents do not depend on it); ``depth``/``masks`` False leave those
    datasets out (``env_args`` says which were kept); returns a summary."""
    env_args = {"benchmark": "metaworld-v3", "tasks": list(tasks), "cameras": list(cameras), "width": width,
                "height": height, "max_steps": max_steps, "action_scale_m": 0.01,
                "mujoco_state_spec": int(mujoco.mjtState.mjSTATE_INTEGRATION), "depth": depth, "masks": masks}
    n_total, n, n_ok = len(tasks) * episodes, 0, 0
    with open_writer(out, env_args) as w:
        for demo in _demos(tasks, cameras, episodes, width, height, seed0, max_steps, workers, depth, masks):
            w.add(demo)
            n += 1
            n_ok += demo.success
            if not demo.success:
                log.warning("%s seed %d: the expert failed; kept and flagged", demo.task, demo.seed)
            if on_demo:
                on_demo(n, n_total, demo)
    return {"path": str(out), "demos": n, "successful": n_ok, "failed": n - n_ok}
