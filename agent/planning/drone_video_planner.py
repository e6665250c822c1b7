"""``LearnedDronePlanner``: a drone's video plans from the video diffusion model (``planner: {type: video,
checkpoint: ...}`` in a drone mission, flown by ``policy: {type: video_plan}``).

The model is the arm planner's (``agent/planning/video_model.py``, trained by ``plansight train video`` on the
flight logs of ``plansight collect drone`` with ``frame_stride``): conditioned on the observed frame, its depth
(RGB-D models) and the task, here the goal's landmark name; it predicts ``n_future`` frames ``frame_dt_s`` apart.
The observed frame and the mission's depth estimate (stereo, or mono on the AR.Drone) are resized to the model's
size, invalid depth filled with the far plane; the plan stays at the model's size and its ``camera`` is the
mission camera resized likewise, so the executor reads it with the right intrinsics. Nothing privileged: a
learned plan's ``object_poses`` is None and its depth is the model's (frame 0's is the observed estimate).
Units: metres, seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from plansight.agent.contracts import CameraModel, DepthEstimate, Goal, Observation, VideoPlan

log = logging.getLogger(__name__)


class LearnedDronePlanConfig(BaseModel):
    """The checkpoint and its sampler."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["video"] = "video"
    checkpoint: str = Field(..., description="a video model folder from `plansight train video`, or builtin:NAME")
    frame_dt_s: float = Field(0.2, gt=0.0, le=2.0, description="time between predicted frames: the training "
                              "frame_stride × the flight log's period (2 × 0.1 s)")
    sample_steps: int | None = Field(None, ge=1, le=1000, description="DDIM steps (default: the checkpoint's)")
    guidance_scale: float | None = Field(None, ge=0.0, le=20.0)
    seed: int = Field(0, ge=0, description="noise seed of the first plan; then seed + 1, …")


class LearnedDronePlanner:
    """See the module docstring. ``camera``: the mission camera whose frames the model sees."""

    def __init__(self, cfg: LearnedDronePlanConfig, camera: CameraModel) -> None:
        from plansight.agent.planning.video_planner import DiffusionVideoPlanner, PlannerError

        self.cfg, self.frame_dt_s = cfg, cfg.frame_dt_s
        self.model = DiffusionVideoPlanner(cfg.checkpoint, cfg.sample_steps, cfg.guidance_scale)
        c = self.model.net.config
        if abs(camera.width / camera.height - c.width / c.height) > 1e-3:
            raise PlannerError(f"camera {camera.name!r} is {camera.width}x{camera.height} but the checkpoint plans at "
                               f"{c.width}x{c.height}: aspect ratios differ")
        if not c.depth:
            raise PlannerError(f"{cfg.checkpoint}: an RGB model; drone plans are read with their depth, train with "
                               "model.depth: true")
        self.source = camera
        self.camera = camera.resized(c.width, c.height)
        self.goal: Goal | None = None
        self._k = 0
        self._sample_s = 0.0

    @property
    def timings(self) -> Mapping[str, float]:
        return {"sample": self._sample_s}

    def set_goal(self, goal: Goal) -> None:
        if goal.name not in self.model.tasks:
            raise ValueError(f"goal {goal.name!r}: the video model was trained on {', '.join(self.model.tasks)}")
        self.goal = goal

    def plan(self, obs: Observation, depth: DepthEstimate | None = None) -> VideoPlan | None:
        from plansight.agent.learning.video_clips import resize_depth_to, resize_to

        if self.goal is None:
            return None
        if depth is None:
            raise ValueError("the learned drone planner needs the mission's depth estimate (its observed-frame "
                             "condition)")
        c = self.model.net.config
        img = obs.images[self.source.name]
        z = np.where(depth.valid & np.isfinite(depth.depth), depth.depth, c.depth_far_m).astype(np.float32)
        first = resize_to(img[None], c.height, c.width)[0]
        first_depth = resize_depth_to(z[None], c.height, c.width)[0]
        t0 = time.perf_counter()
        frames, pred = self.model.sample(first, self.goal.name, 1, self.cfg.seed + self._k, first_depth)
        self._sample_s += time.perf_counter() - t0
        self._k += 1
        assert pred is not None
        return VideoPlan(frames=np.concatenate([first[None], frames[0]]), camera=self.source.name,
                         task=self.goal.name, depth=np.concatenate([first_depth[None], pred[0]]).astype(np.float32))
