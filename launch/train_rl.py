"""``plansight train rl``: reinforcement learning on plansight's drone tasks with stable-baselines3.

    plansight train rl --env hover --algo ppo --steps 100000 --out runs/rl/hover
    plansight train rl --env hover --algo ppo --steps 200000 --out runs/rl/hover --resume   # continue

The folder ``--out`` holds:

* ``model.zip`` (SB3's format) and ``config.json`` (task, algorithm, action scale, the task's feature settings):
  what ``policy: {type: rl, model: <folder>}`` flies in a mission;
* ``checkpoints/`` (SB3 zips every ``checkpoint_every`` steps, with the replay buffer for SAC and TD3), from which
  ``--resume`` continues, ``best/`` (the best evaluated model), ``eval/evaluations.npz`` (SB3's evaluation log),
  ``learning_curve.json`` and ``.png`` (mean evaluation return against steps), ``tb/`` (TensorBoard).

Training envs run in ``n_envs`` processes (SB3 ``SubprocVecEnv``; one process: ``DummyVecEnv``), seeded
``seed``, ``seed + 1`` …; evaluation uses seeds from 10⁶ on, disjoint from them and from the reported seeds.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from plansight.agent.learning.rl_algos import ALGOS, settings
from plansight.agent.shared.atomic import atomic_path
from plansight.launch.rundir import write_json

log = logging.getLogger(__name__)

EVAL_SEED = 1_000_000


def task_env_id(task: str) -> str:
    from plansight.sim.drone.rl import TASKS

    if task not in TASKS:
        raise ValueError(f"unknown env {task!r}; choose from {', '.join(sorted(TASKS))}")
    return TASKS[task][0]


def task_meta(task: str, env: gym.Env) -> dict[str, Any]:
    """What a policy needs to rebuild the observation and the command (``config.json``)."""
    u = env.unwrapped
    meta: dict[str, Any] = {"task": task, "env_id": task_env_id(task), "action_scale": list(u.cfg.action_scale),
                            "action_offset": list(u.cfg.action_offset),
                            "observation_shape": list(env.observation_space.shape)}
    if task == "hover":
        meta["goal_m"] = list(u.cfg.point_m)
    if task == "crossing":
        meta.update(n_rays=u.cfg.n_rays, max_range_m=u.cfg.max_range_m, target_x_m=u.cfg.target_x_m)
    return meta


def make_vec(task: str, n_envs: int, seed: int, env_kwargs: dict | None = None):
    """``n_envs`` seeded copies of the task (SB3 ``make_vec_env``: Monitor-wrapped; subprocesses when > 1)."""
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    from plansight.sim.drone.rl import make_task_env

    task_env_id(task)  # a clear error for an unknown name, before any process starts
    cls = SubprocVecEnv if n_envs > 1 else DummyVecEnv
    kw = {"start_method": "forkserver"} if n_envs > 1 else {}
    return make_vec_env(functools.partial(make_task_env, task), n_envs=n_envs, seed=seed, vec_env_cls=cls,
                        env_kwargs=env_kwargs or {}, vec_env_kwargs=kw)


def train_rl(task: str, algo: str, steps: int, out: str | Path, n_envs: int = 2, seed: int = 0, resume: bool = False,
             eval_every: int = 10_000, eval_episodes: int = 10, checkpoint_every: int = 20_000,
             env_kwargs: dict | None = None, on_step: Callable[[int, float | None], None] | None = None) -> dict:
    """Train to ``steps`` environment steps in all (continuing a checkpoint with ``resume``); returns a summary."""
    import torch
    from stable_baselines3.common.callbacks import BaseCallback, CallbackList, CheckpointCallback, EvalCallback
    from stable_baselines3.common.vec_env import DummyVecEnv

    if algo not in ALGOS:
        raise ValueError(f"unknown algo {algo!r}; choose from {', '.join(sorted(ALGOS))}")
    out = Path(out)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    start = latest_checkpoint(out) if resume else None
    if resume and start is None:
        raise ValueError(f"--resume: no checkpoint in {out / 'checkpoints'} or {out / 'model.zip'}")
    earlier = _evaluations(out) if start is not None else None  # SB3's EvalCallback rewrites the log from scratch
    venv = make_vec(task, n_envs, seed, env_kwargs)
    eval_env = make_vec(task, 1, EVAL_SEED, env_kwargs)
    assert isinstance(eval_env, DummyVecEnv)
    meta = {**task_meta(task, eval_env.envs[0]), "algo": algo, "seed": seed, "n_envs": n_envs}
    cls = ALGOS[algo]
    if start is not None:
        model = cls.load(start, env=venv, device="cpu", tensorboard_log=str(out / "tb"))
        buffer = start.with_name(start.stem.replace("rl_model", "rl_model_replay_buffer") + ".pkl")
        if hasattr(model, "load_replay_buffer") and buffer.is_file():
            model.load_replay_buffer(buffer)
        log.info("resuming %s at %d steps from %s", algo, model.num_timesteps, start)
    else:
        model = cls("MlpPolicy", venv, seed=seed, device="cpu", verbose=0, tensorboard_log=str(out / "tb"),
                    **settings(algo, task))

    class Progress(BaseCallback):
        def _on_step(self) -> bool:
            if on_step is not None and self.n_calls % 200 == 0:
                rewards = [ep["r"] for ep in self.model.ep_info_buffer] if self.model.ep_info_buffer else []
                on_step(int(self.num_timesteps), float(np.mean(rewards)) if rewards else None)
            return True

    per_env = lambda n: max(1, n // n_envs)  # noqa: E731  (SB3 counts callback frequencies per env)
    callbacks = CallbackList([
        EvalCallback(eval_env, n_eval_episodes=eval_episodes, eval_freq=per_env(eval_every), deterministic=True,
                     best_model_save_path=str(out / "best"), log_path=str(out / "eval"), verbose=0),
        CheckpointCallback(per_env(checkpoint_every), str(out / "checkpoints"), name_prefix="rl_model",
                           save_replay_buffer=algo != "ppo"),
        Progress()])
    warnings.filterwarnings("ignore", message="Training and eval env are not of the same type")  # by design
    remaining = steps - model.num_timesteps
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # 64-128-wide MLPs: one thread; the cores go to the env processes (PPO on crossing
    # ran at ~100 env steps/s with torch's default threads next to another job, ~530 with one thread)
    t0 = time.perf_counter()
    try:
        if remaining > 0:
            model.learn(total_timesteps=remaining, callback=callbacks, reset_num_timesteps=start is None,
                        tb_log_name=f"{task}_{algo}")
    finally:
        torch.set_num_threads(threads)
    wall = time.perf_counter() - t0
    if earlier is not None:
        _merge_evaluations(out, earlier)
    with atomic_path(out / "model.zip") as tmp:
        model.save(tmp.with_suffix(".zip"))
        tmp.with_suffix(".zip").replace(tmp)
    write_json(out / "config.json", {**meta, "steps": int(model.num_timesteps)})
    curve = learning_curve(out)
    venv.close()
    eval_env.close()
    summary = {"task": task, "algo": algo, "steps": int(model.num_timesteps), "wall_s": round(wall, 1),
               "steps_per_s": round(max(remaining, 0) / wall, 1) if wall > 0 else None, "n_envs": n_envs,
               "final_eval_return": curve[-1]["mean_return"] if curve else None, "model": str(out / "model.zip")}
    log.info("trained %s %s: %s", algo, task, summary)
    return summary


def latest_checkpoint(out: Path) -> Path | None:
    """The newest of ``checkpoints/rl_model_<steps>_steps.zip`` and ``model.zip``, by step count."""
    found = []
    for p in (out / "checkpoints").glob("rl_model_*_steps.zip"):
        try:
            found.append((int(p.stem.split("_")[-2]), p))
        except ValueError:
            continue
    if (out / "model.zip").is_file() and (out / "config.json").is_file():
        found.append((int(json.loads((out / "config.json").read_text()).get("steps", 0)), out / "model.zip"))
    return max(found)[1] if found else None


def _evaluations(out: Path) -> dict[str, np.ndarray] | None:
    """SB3's evaluation log (``eval/evaluations.npz``: timesteps, results, ep_lengths), or None."""
    path = out / "eval" / "evaluations.npz"
    if not path.is_file():
        return None
    with np.load(path) as d:
        return {k: d[k] for k in ("timesteps", "results", "ep_lengths") if k in d}


def _merge_evaluations(out: Path, earlier: dict[str, np.ndarray] | None) -> None:
    """Put the evaluations logged before a ``--resume`` back in front of the ones this sitting logged (those
    at or after its first step replace earlier ones), so the learning curve covers the whole run."""
    now = _evaluations(out)
    if not earlier or now is None or not len(now["timesteps"]):
        return
    keep = earlier["timesteps"] < now["timesteps"][0]
    merged = {k: np.concatenate([earlier[k][keep], now[k]]) for k in now if k in earlier}
    with atomic_path(out / "eval" / "evaluations.npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **merged)


def learning_curve(out: Path) -> list[dict]:
    """Mean and std of the evaluation return per evaluation (SB3's ``eval/evaluations.npz``); also written as
    ``learning_curve.json`` and ``learning_curve.png``."""
    path = out / "eval" / "evaluations.npz"
    if not path.is_file():
        return []
    data = np.load(path)
    curve = [{"steps": int(t), "mean_return": round(float(np.mean(r)), 3), "std_return": round(float(np.std(r)), 3)}
             for t, r in zip(data["timesteps"], data["results"], strict=True)]
    write_json(out / "learning_curve.json", curve)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    x = [c["steps"] for c in curve]
    m, s = np.array([c["mean_return"] for c in curve]), np.array([c["std_return"] for c in curve])
    ax.plot(x, m, lw=2)
    ax.fill_between(x, m - s, m + s, alpha=0.25)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("evaluation return")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(out / "learning_curve.png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return curve
