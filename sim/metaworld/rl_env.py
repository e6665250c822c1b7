"""``plansight/MetaWorldState-v0``: one Meta-World v3 task on state, as a Gymnasium env for stable-baselines3.

* Observation (39,) float64: Meta-World's goal-observable state (hand xyz in metres [0:3], gripper opening,
  object poses, the previous frame's copy, the goal xyz [36:39]), as Meta-World defines it.
* Action (4,) float32 in [−1, 1]: hand displacement dx, dy, dz (× 1 cm per step, Meta-World's scale) and the
  gripper (−1 open, +1 closed).
* Reward: Meta-World's v2 shaped reward of the task (0–10 per step), unchanged; ``info["success"]`` is
  Meta-World's own success flag.
* Episodes: ``max_steps`` steps (200 by default, Meta-World's is 500: the sanity baseline's budget), truncated
  there, never terminated early. Each reset draws a new task variation (object and goal placement) from
  seeds in [10⁶, 2³¹), so no training episode is a test seed (0–24) or a tuning seed (100–199) of the
  video-planning protocol; ``reset(seed=s)`` makes that draw reproducible.

The observation bounds are ±∞, as Meta-World declares them (Gymnasium's checker warns about that, and
Meta-World's own space does not bound its observations either). No rendering: the env is physics only.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from plansight.sim.metaworld.arm_sim import make_task_env
from plansight.sim.metaworld.tasks import task_spec

ENV_ID = "plansight/MetaWorldState-v0"
TRAIN_SEEDS = (10**6, 2**31 - 1)


class MetaWorldStateEnv(gym.Env):
    """See the module docstring. ``task``: an AVDC task name (``sim/metaworld/tasks.py``)."""

    metadata = {"render_modes": []}

    def __init__(self, task: str = "button-press-topdown", max_steps: int = 200) -> None:
        task_spec(task)  # ValueError naming the allowed tasks
        if max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {max_steps}")
        self.task, self.max_steps = task, max_steps
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (39,), np.float64)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
        self._env = None
        self._steps = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        variation = int(self.np_random.integers(*TRAIN_SEEDS))
        if self._env is not None:
            self._env.close()
        self._env, obs = make_task_env(self.task, variation, max_steps=self.max_steps + 1)
        self._steps = 0
        return np.asarray(obs, np.float64), {"variation_seed": variation}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self._env is None:
            raise RuntimeError("call reset() first")
        a = np.clip(np.asarray(action, np.float32), -1.0, 1.0)
        obs, reward, _, _, info = self._env.step(a)
        self._steps += 1
        out = {"success": bool(info.get("success", 0.0) > 0.5)}
        return np.asarray(obs, np.float64), float(reward), False, self._steps >= self.max_steps, out

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="plansight.sim.metaworld.rl_env:MetaWorldStateEnv")
