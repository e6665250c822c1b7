"""``DroneTaskEnv``: the shared body of the drone RL tasks (Gymnasium API, physics only, no rendering).

Action: (4,) float32 in [−1, 1]: forward, leftward, upward speed and yaw rate in the body frame, scaled by
``TaskConfig.action_scale`` (m/s, m/s, m/s, rad/s), plus ``action_offset``, and handed to the simulator's velocity
controller at ``control_hz`` (50 Hz: one env step = 20 ms). It is the ``DronePolicy`` contract's command, so a
trained policy flies a mission unchanged (``agent/control/rl_policy.py``).

Every episode takes off, then the task may place the drone (``_start``). It ends on a collision or on
leaving the room (terminated, ``crash_penalty``), on the task's success (terminated) or at ``max_steps``
(truncated, by the env itself, so a ``max_steps`` override holds). Subclasses give the observation, the
start state and the reward.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from plansight.agent.contracts import DroneCommand, DroneState
from plansight.agent.shared.features import FEATURE_CLIP, GOAL_FEATURES, action_to_velocity, goal_features
from plansight.sim.drone.config_drone import DroneSimConfig, RoomConfig
from plansight.sim.drone.drone_sim import DroneSim
from plansight.sim.drone.model import DRONE_BODY

EMPTY_ROOM = RoomConfig(size_m=(8.0, 8.0), n_poles=0, n_boxes=0)


class TaskConfig(BaseModel):
    """What every drone task shares. Units: metres, seconds, m/s, rad/s."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sim: DroneSimConfig = DroneSimConfig(render=False, ground_truth_depth=False, room=EMPTY_ROOM)
    action_scale: tuple[float, float, float, float] = Field((1.0, 1.0, 0.5, 1.5), description="m/s ×3, rad/s")
    action_offset: tuple[float, float, float, float] = Field((0.0, 0.0, 0.0, 0.0), description="added to the scaled "
                                                             "action, m/s ×3, rad/s")
    crash_penalty: float = Field(10.0, ge=0.0)
    max_steps: int = Field(250, ge=1, description="steps per episode (50 Hz)")
    same_room: bool = Field(True, description="one room for every episode (the room seed is fixed at 0)")


class DroneTaskEnv(gym.Env[np.ndarray, np.ndarray]):
    """See the module docstring. ``self.sim`` is the ``DroneSim``; ``self.state`` its current ``DroneState``."""

    metadata = {"render_modes": []}

    def __init__(self, cfg: TaskConfig) -> None:
        self.cfg = cfg
        sim_cfg = cfg.sim.model_copy(update={"render": False, "ground_truth_depth": False})
        self.sim = DroneSim(sim_cfg)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
        self._steps = 0
        self._room_seed: int | None = None
        self.state: DroneState | None = None

    # ------------------------------------------------------------------ for subclasses
    def _observe(self) -> np.ndarray:
        raise NotImplementedError

    def _start(self) -> dict[str, Any]:
        """Place the drone and the task's goal for a new episode (``self.np_random`` is seeded); returns info."""
        return {}

    def _reward(self, prev: DroneState, now: DroneState, action: np.ndarray) -> tuple[float, bool, dict]:
        """(reward, success-terminated, info) for the step from ``prev`` to ``now``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ Gymnasium
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self._room_seed = self._next_room()
        self.sim.reset(self._room_seed)
        self._ray_body = mujoco.mj_name2id(self.sim.model, mujoco.mjtObj.mjOBJ_BODY, DRONE_BODY)
        if not self.sim.takeoff():
            raise RuntimeError("take-off failed in reset")
        self._steps = 0
        info = {"room_seed": self._room_seed, **self._start()}
        self.state = self.sim.state()
        return self._observe(), info

    def _next_room(self) -> int:
        """The room seed of the next episode: 0 with ``same_room``, else drawn from ``np_random``."""
        return 0 if self.cfg.same_room else int(self.np_random.integers(0, 2**31 - 1))

    def step(self, action: np.ndarray):
        prev = self.state
        hits = self.sim.collisions
        self.sim.act(DroneCommand(*action_to_velocity(action, self.cfg.action_scale, self.cfg.action_offset)))
        self.state = self.sim.state()
        self._steps += 1
        reward, success, info = self._reward(prev, self.state, np.asarray(action, np.float64))
        crashed = self.sim.collisions > hits or not self._inside(self.state)
        if crashed:
            reward -= self.cfg.crash_penalty
        info.update(crashed=crashed, success=success, collisions=self.sim.collisions)
        truncated = self._steps >= self.cfg.max_steps and not (crashed or success)
        return self._observe(), float(reward), bool(crashed or success), truncated, info

    def close(self) -> None:
        self.sim.close()

    # ------------------------------------------------------------------ helpers
    def _inside(self, s: DroneState) -> bool:
        sx, sy = self.sim.layout.size
        x, y, z = s.position
        return bool(np.all(np.isfinite(s.position)) and abs(x) < sx / 2 and abs(y) < sy / 2 and 0.05 < z < 3.0)

    def place(self, xyz: np.ndarray, yaw: float) -> None:
        """Teleport the hovering drone to world ``xyz`` (m) facing ``yaw`` (rad); velocities zeroed."""
        self.sim.set_pose(np.asarray(xyz, float), np.array([math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]))

    def ray_ranges(self, angles: np.ndarray, max_range_m: float) -> np.ndarray:
        """Ranges (m, capped at ``max_range_m``) along horizontal rays from the drone's centre at body headings
        ``angles`` (rad, + = left), against every geom but the drone's own (MuJoCo ``mj_ray``)."""
        s = self.state if self.state is not None else self.sim.state()
        origin = np.asarray(s.position, np.float64)
        out = np.full(len(angles), max_range_m)
        geomid = np.zeros(1, np.int32)
        for i, a in enumerate(angles):
            h = s.yaw + a
            d = mujoco.mj_ray(self.sim.model, self.sim.data, origin, np.array([math.cos(h), math.sin(h), 0.0]),
                              None, 1, self._ray_body, geomid)
            if d >= 0:
                out[i] = min(d, max_range_m)
        return out


class GoalTaskEnv(DroneTaskEnv):
    """A task flown to ``self.goal`` (world m, set by the subclass): the observation is ``goal_features`` of it, the
    same function the mission's ``rl`` policy calls."""

    def __init__(self, cfg: TaskConfig) -> None:
        super().__init__(cfg)
        self.observation_space = gym.spaces.Box(-FEATURE_CLIP, FEATURE_CLIP, (GOAL_FEATURES,), np.float32)
        self.goal = np.zeros(3)

    def _observe(self) -> np.ndarray:
        return goal_features(self.state.to_vector(), self.goal)
