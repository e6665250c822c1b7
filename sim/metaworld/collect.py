"""Scripted-expert rollouts recorded as ``Demo``s (see ``dataset.py``): RGB, depth and object masks from
every camera, MuJoCo states, actions, rewards, success flags and seeds."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import mujoco
import numpy as np

from plansight.sim.metaworld.arm_sim import MetaWorldArm, expert_policy
from plansight.sim.metaworld.config_metaworld import make_config
from plansight.sim.metaworld.dataset import Demo, open_writer
from plansight.sim.metaworld.tasks import EXTRA_STEPS

log = logging.getLogger(__name__)



def rollout(arm: MetaWorldArm, seed: int, max_steps: int | None = None) -> Demo:
    """One expert episode from ``seed``'s initial state, observed before every action."""
    arm.reset(seed)
    policy = expert_policy(arm.task)
    limit = arm.cfg.max_steps if max_steps is None else min(max_steps, arm.cfg.max_steps)
    obs_keys: dict[str, list[np.ndarray]] = {"state": []}
    actions, rewards, states = [], [], []
    success_step = -1
    for k in range(limit):
        o = arm.observe()
        obs_keys["state"].append(o.state)
        for c in arm.cfg.cameras:
            obs_keys.setdefault(f"{c}_image", []).append(o.images[c])
            obs_keys.setdefault(f"{c}_depth", []).append(o.depth[c])
            obs_keys.setdefault(f"{c}_mask", []).append(o.masks[c])
        states.append(arm.snapshot().physics)
        a = arm.expert_action(policy)
        _, info = arm.step_raw(a)
        actions.append(a)
        rewards.append(float(info.get("unscaled_reward", 0.0)))
        if info["success"] and success_step < 0:
            success_step = k + 1
        if success_step >= 0 and k + 1 >= success_step + EXTRA_STEPS:
            break
    cams = {c: {"K": arm.cameras[c].K, "T_world_cam": arm.cameras[c].T_body_cam} for c in arm.cfg.cameras}
    return Demo(task=arm.task, seed=seed, success=success_step >= 0, success_step=success_step,
                actions=np.array(actions), rewards=np.array(rewards), states=np.array(states),
                obs={k: np.stack(v) for k, v in obs_keys.items()}, cameras=cams)


def collect(out: Path, tasks: Sequence[str], cameras: Sequence[str], episodes: int, width: int, height: int,
            seed0: int = 0, max_steps: int = 500, on_demo: Callable[[int, int, Demo], None] | None = None) -> dict:
    """Record ``episodes`` expert demos per task (seeds ``seed0…``) into ``out``; returns a summary."""
    env_args = {"benchmark": "metaworld-v3", "tasks": list(tasks), "cameras": list(cameras), "width": width,
                "height": height, "max_steps": max_steps, "action_scale_m": 0.01,
                "mujoco_state_spec": int(mujoco.mjtState.mjSTATE_INTEGRATION)}
    n_total, n, n_ok = len(tasks) * episodes, 0, 0
    with open_writer(out, env_args) as w:
        for task in tasks:
            arm = MetaWorldArm(make_config(task=task, cameras=tuple(cameras), width=width, height=height,
                                           max_steps=max_steps))
            try:
                for i in range(episodes):
                    demo = rollout(arm, seed0 + i)
                    w.add(demo)
                    n += 1
                    n_ok += demo.success
                    if not demo.success:
                        log.warning("%s seed %d: the expert failed; kept and flagged", task, demo.seed)
                    if on_demo:
                        on_demo(n, n_total, demo)
            finally:
                arm.close()
    return {"path": str(out), "demos": n, "successful": n_ok, "failed": n - n_ok}
