"""``OracleDronePlanner``: the privileged expert's future flight, rendered: oracle video plans for drones
(``planner: {type: oracle}`` in a drone mission).

From the vehicle's true pose it flies the map expert (``agent/control/map_expert.py``) forward in a kinematic
model (the commanded body velocities integrated at ``integrate_hz``, as if tracked perfectly) for ``frames`` ×
``frame_dt_s`` seconds, and renders the mission camera's RGB and depth at each pose in a copy of the room
(rebuilt from the goal's room layout: MuJoCo, the same textures). Frame 0 is the view from the current pose.
The plan's ``object_poses`` are the body's world poses (what the executor's ego-motion estimate is scored
against). It lives in ``launch`` because it joins an agent part (the expert) with the simulator's renderer.
It is the upper bound a learned drone video model is measured against: perfect imagination, imperfect
execution. Units: m, s, rad.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Literal

import mujoco
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from plansight.agent.contracts import CameraModel, DepthEstimate, DroneState, Goal, Observation, VideoPlan
from plansight.agent.control.map_expert import MapExpert, MapExpertConfig
from plansight.agent.shared.features import body_to_world
from plansight.launch.goal_task import true_position
from plansight.sim.drone.config_drone import DroneSimConfig, StereoRigConfig
from plansight.sim.drone.model import LEFT_CAMERA, build_model
from plansight.sim.drone.render import CameraRenderer
from plansight.sim.drone.room import RoomLayout
from plansight.sim.drone.views import rpy_to_quat

log = logging.getLogger(__name__)


class OracleDronePlanConfig(BaseModel):
    """Plan length and rate, and the expert that flies it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["oracle"] = "oracle"
    frames: int = Field(8, ge=1, le=64, description="frames after the current one")
    frame_dt_s: float = Field(0.2, gt=0.0, le=2.0, description="time between plan frames, s")
    integrate_hz: float = Field(50.0, ge=5.0, le=400.0)
    expert: MapExpertConfig = MapExpertConfig()


class OracleDronePlanner:
    """See the module docstring. ``camera``: the mission camera the plan is rendered for."""

    def __init__(self, cfg: OracleDronePlanConfig, camera: CameraModel) -> None:
        self.cfg = cfg
        self.frame_dt_s = cfg.frame_dt_s
        self.camera = camera
        self.expert = MapExpert(cfg.expert)
        self.goal: Goal | None = None
        self._renderer: CameraRenderer | None = None
        self._timings = {"oracle_sim": 0.0, "oracle_render": 0.0}

    @property
    def timings(self) -> Mapping[str, float]:
        return dict(self._timings)

    def set_goal(self, goal: Goal) -> None:
        if goal.room is None:
            raise ValueError("the oracle planner renders the room, and this embodiment does not say what it holds")
        self.goal = goal
        self.expert.reset()
        self.expert.set_goal(goal)
        self.set_room(RoomLayout.from_dict(dict(goal.room)))

    def set_room(self, layout: RoomLayout) -> None:
        """Build the room the plans are rendered in (``set_goal`` does, from the goal's layout)."""
        cam = self.camera
        fovy = math.degrees(2 * math.atan(cam.height / 2 / cam.fy))
        mount = cam.T_body_cam[:3, 3]
        rig = StereoRigConfig(width=cam.width, height=cam.height, fovy_deg=fovy,
                              baseline_m=max(2 * abs(float(mount[1])), 0.02), forward_offset_m=float(mount[0]))
        self.close()
        self._model = build_model(DroneSimConfig(camera=rig), layout)
        self._data = mujoco.MjData(self._model)
        self._renderer = CameraRenderer(self._model, cam.width, cam.height, depth=True)

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def render(self, position: np.ndarray, yaw: float) -> tuple[np.ndarray, np.ndarray]:
        """The camera's view with the body at ``position`` (world x, y, z, metres), level, heading ``yaw`` (rad):
        H×W×3 uint8 RGB and H×W float32 planar depth, metres."""
        if self._renderer is None:
            raise RuntimeError("OracleDronePlanner.render before set_room / set_goal")
        self._data.qpos[0:3] = position
        self._data.qpos[3:7] = rpy_to_quat(0.0, 0.0, yaw)
        mujoco.mj_forward(self._model, self._data)
        return self._renderer.rgb(self._data, LEFT_CAMERA), self._renderer.depth(self._data, LEFT_CAMERA)

    def plan(self, obs: Observation, depth: DepthEstimate | None = None) -> VideoPlan | None:
        if self.goal is None or self._renderer is None:
            return None
        c = self.cfg
        t0 = time.perf_counter()
        s = DroneState.from_vector(obs.state)
        p = true_position(obs).astype(np.float64)
        yaw = float(s.yaw)
        h = 1.0 / c.integrate_hz
        per_frame = max(1, round(c.frame_dt_s / h))
        poses = [(p.copy(), yaw)]
        for _ in range(c.frames):
            for _ in range(per_frame):
                state = DroneState(p, np.zeros(3), np.array([0.0, 0.0, yaw]), np.zeros(3), 1.0)
                cmd = self.expert.act(Observation(t=obs.t, images={}, state=state.to_vector()))
                if self.expert.path is None:
                    return None
                p = p + h * body_to_world(np.array([cmd.vx, cmd.vy, cmd.vz]), yaw)
                yaw += h * cmd.yaw_rate
            poses.append((p.copy(), yaw))
        t1 = time.perf_counter()
        frames, depth, T = [], [], []
        for pos, ya in poses:
            rgb, z = self.render(pos, ya)
            frames.append(rgb)
            depth.append(z)
            M = np.eye(4)
            M[:2, :2] = [[math.cos(ya), -math.sin(ya)], [math.sin(ya), math.cos(ya)]]
            M[:3, 3] = pos
            T.append(M)
        self._timings["oracle_sim"] += t1 - t0
        self._timings["oracle_render"] += time.perf_counter() - t1
        return VideoPlan(frames=np.stack(frames), camera=self.camera.name, task=self.goal.name,
                         object_poses=np.stack(T), depth=np.stack(depth))
