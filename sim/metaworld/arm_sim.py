"""Meta-World v3 as a plansight ``Embodiment`` commanded with ``ArmCommand``.

The raw task class is used (no Gymnasium wrappers): goal-observable, one initial state per seed
(``seed(s)`` then a seeded random reset vector), ``max_path_length`` from the config. Rendering goes
through ``SceneRenderer`` (RGB, depth and the object's segmentation mask from each camera).

Observation layout:
    * ``images[cam]``: H×W×3 uint8 RGB, upright.
    * ``depth[cam]``: H×W float32 planar depth, metres (ground truth).
    * ``masks[cam]``: H×W bool, pixels of the task's object (privileged ground truth, as in AVDC).
    * ``state``: Meta-World's 39-dim observation: hand xyz (m, world) [0:3], gripper opening [3],
      object poses [4:18], previous step [18:36], goal xyz [36:39].
    * ``info``: ``success`` (bool, at this step), ``step`` (env steps since reset), ``task``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mujoco
import numpy as np

from plansight.agent.contracts import ArmCommand, CameraModel, Observation
from plansight.sim.metaworld.cameras import camera_model
from plansight.sim.metaworld.config_metaworld import MetaWorldConfig
from plansight.sim.metaworld.render import SceneRenderer
from plansight.sim.metaworld.tasks import task_spec

log = logging.getLogger(__name__)

_PY_STATE = ("curr_path_length", "_prev_obs", "_last_stable_obs", "_did_see_sim_exception")
_FULL_STATE = mujoco.mjtState.mjSTATE_INTEGRATION


@dataclass(frozen=True)
class SimSnapshot:
    """Everything ``step`` changes: MuJoCo's integration state plus the env's own bookkeeping."""

    physics: np.ndarray
    py: dict[str, Any]


def make_task_env(task: str, seed: int, max_steps: int = 500):
    """A goal-observable ``<task>-v3`` env reset to the initial state of ``seed``; returns (env, obs)."""
    from metaworld.env_dict import ALL_V3_ENVIRONMENTS

    env = ALL_V3_ENVIRONMENTS[task_spec(task).env_id]()
    env._partially_observable = False
    env.__dict__.pop("sawyer_observation_space", None)  # cached with the goal hidden; recompute
    env._freeze_rand_vec = False
    env.seeded_rand_vec = True
    env._set_task_called = True
    env.max_path_length = max_steps
    env.seed(seed)
    obs, _ = env.reset()
    return env, obs


def expert_policy(task: str):
    """A fresh instance of Meta-World's scripted expert for ``task`` (``get_action(obs) -> (4,)``)."""
    from metaworld.policies import ENV_POLICY_MAP

    return ENV_POLICY_MAP[task_spec(task).env_id]()


class MetaWorldArm:
    """One Meta-World task as an ``Arm`` embodiment. ``dt`` = 12.5 ms (5 × 2.5 ms MuJoCo steps)."""

    def __init__(self, cfg: MetaWorldConfig) -> None:
        self.cfg = cfg
        self.task = cfg.task
        self._env = None
        self._renderer: SceneRenderer | None = None
        self._cameras: dict[str, CameraModel] = {}
        self._mask_ids: np.ndarray | None = None
        self._obs = np.zeros(39)
        self._success = False
        self.seed: int | None = None
        self.actions_taken: list[np.ndarray] = []

    # ------------------------------------------------------------------ Embodiment
    @property
    def cameras(self) -> Mapping[str, CameraModel]:
        return self._cameras

    @property
    def dt(self) -> float:
        return 0.0125

    @property
    def env(self):
        """The underlying Meta-World env (for the expert and the oracle planner)."""
        if self._env is None:
            raise RuntimeError("call reset() first")
        return self._env

    @property
    def step_count(self) -> int:
        """Env steps since ``reset``; 0 before the first reset and after ``close``."""
        return int(self._env.curr_path_length) if self._env is not None else 0

    @property
    def max_steps(self) -> int:
        """The episode budget in env steps (``MetaWorldConfig.max_steps``; Meta-World's is 500)."""
        return self.cfg.max_steps

    @property
    def raw_obs(self) -> np.ndarray:
        """The current 39-dim Meta-World observation (what the scripted expert reads)."""
        return self._obs.copy()

    def reset(self, seed: int | None = None) -> Observation:
        seed = 0 if seed is None else int(seed)
        self.close()
        self._env, self._obs = make_task_env(self.task, seed, self.cfg.max_steps)
        self.seed = seed
        self._success = False
        self.actions_taken = []  # raw actions since this reset: replaying them repeats the episode
        self._renderer = SceneRenderer(self._env.model, self.cfg.width, self.cfg.height, self.cfg.fast_render)
        self._mask_ids = task_spec(self.task).mask_geom_ids_in(self._env.model)
        mujoco.mj_forward(self._env.model, self._env.data)
        self._cameras = {c: camera_model(self._env.model, self._env.data, c, self.cfg.width, self.cfg.height)
                         for c in self.cfg.cameras}
        return self.observe()

    def observe(self, cameras: Sequence[str] | None = None, depth: bool = True, masks: bool = True) -> Observation:
        """Observation with images (and depth, masks) from ``cameras`` (default: the configured ones; ``()``
        gives a state-only observation, which costs no rendering)."""
        cams = self.cfg.cameras if cameras is None else tuple(cameras)
        env = self.env
        images, depths, object_masks = {}, {}, {}
        for c in cams:
            if c not in self._cameras:
                self._cameras[c] = camera_model(env.model, env.data, c, self.cfg.width, self.cfg.height)
            images[c] = self._renderer.rgb(env.data, c)
            if depth:
                depths[c] = self._renderer.depth(env.data, c)
            if masks:
                object_masks[c] = np.isin(self._renderer.geom_ids(env.data, c), self._mask_ids)
        return Observation(t=self.step_count * self.dt, images=images, state=self._obs.copy(), depth=depths,
                           masks=object_masks,
                           info={"success": self._success, "step": self.step_count, "task": self.task})

    def act(self, command: ArmCommand) -> ArmCommand:
        """Apply ``command`` for one env step; returns it as applied (each axis clipped to ±1 cm, gripper to ±1)."""
        scale = self.env.action_scale
        a = np.clip(np.array([*np.asarray(command.dxyz, dtype=np.float64) / scale, command.gripper]), -1.0, 1.0)
        self.step_raw(a)
        return ArmCommand(dxyz=tuple(float(x) * scale for x in a[:3]), gripper=float(a[3]))

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        if self._env is not None:
            self._env.close()
            self._env = None

    # ------------------------------------------------------------------ Meta-World specifics
    @property
    def success(self) -> bool:
        """Whether the task's success flag was set at the last step."""
        return self._success

    @property
    def steps_left(self) -> int:
        return self.max_steps - self.step_count

    def step_raw(self, action: np.ndarray) -> tuple[np.ndarray, dict]:
        """Step with a raw Meta-World action (4,) in [-1, 1]; returns (obs39, info). The action, as the env got it
        (float32), is appended to ``actions_taken``."""
        a = np.asarray(action, dtype=np.float32)
        obs, _, _, _, info = self.env.step(a)
        self.actions_taken.append(a.copy())
        self._obs = obs
        self._success = bool(info["success"])
        return obs, info

    def expert_action(self, policy) -> np.ndarray:
        """The scripted expert's action for the current state, clipped to [-1, 1] (the experts do not clip)."""
        return np.clip(policy.get_action(self._obs), -1.0, 1.0)

    def snapshot(self) -> SimSnapshot:
        env = self.env
        physics = np.empty(mujoco.mj_stateSize(env.model, _FULL_STATE))
        mujoco.mj_getState(env.model, env.data, physics, _FULL_STATE)
        py = {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in
              ((k, getattr(env, k)) for k in _PY_STATE)}
        return SimSnapshot(physics, {**py, "obs": self._obs.copy(), "success": self._success})

    def restore(self, snap: SimSnapshot) -> None:
        env = self.env
        mujoco.mj_setState(env.model, env.data, snap.physics, _FULL_STATE)
        mujoco.mj_forward(env.model, env.data)  # positions of bodies, cameras, sites for rendering
        mujoco.mj_setState(env.model, env.data, snap.physics, _FULL_STATE)  # forward rewrote the warm start
        for k in _PY_STATE:
            v = snap.py[k]
            setattr(env, k, np.copy(v) if isinstance(v, np.ndarray) else v)
        self._obs = snap.py["obs"].copy()
        self._success = snap.py["success"]

    def object_pose(self) -> np.ndarray:
        """4×4 world pose (metres) of the task object's first mask body (``tasks.TASKS``); privileged ground truth."""
        env = self.env
        body = mujoco.mj_name2id(env.model, mujoco.mjtObj.mjOBJ_BODY, task_spec(self.task).mask_bodies[0])
        T = np.eye(4)
        T[:3, :3] = env.data.xmat[body].reshape(3, 3)
        T[:3, 3] = env.data.xpos[body]
        return T

    def camera_matrix(self, camera: str) -> np.ndarray:
        """3×4 projection matrix P = K [R | t] mapping world points (homogeneous, metres) to pixels."""
        cam = self._cameras[camera]
        T_cw = np.linalg.inv(cam.T_body_cam)
        return cam.K @ T_cw[:3, :]
