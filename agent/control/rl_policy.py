"""``RLPolicy``: a stable-baselines3 policy trained by ``plansight train rl`` flying a mission (``policy: {type:
rl, model: ...}``), on the MuJoCo drone, through AirSim or deployed to the AR.Drone, like any ``DronePolicy``.

A model is a folder (``plansight train rl --out``) holding ``model.zip`` (SB3's own format) and ``config.json``
(task, algorithm, action scale and offset, the task's feature settings). Observations are rebuilt from the mission's
``Observation`` and ``DepthEstimate`` with the same functions the training env used (``agent/shared/features``):

* ``hover`` and ``waypoint``: the goal offset in the body frame, body velocity and yaw rate, from the state;
  the goal is ``goal_m`` (world metres), by default the trained hover point.
* ``crossing``: depth rays. The env cast them with ``mj_ray`` from the drone's centre; here each ray's range is
  the 10th percentile, over its sector's columns of the image rows within ``band_px`` of the horizon, of the
  range along the pixel's ray (planar depth / cos of the pixel's horizontal angle; pixels with no valid depth
  are left out; a sector with fewer than ``min_valid`` valid pixels counts as ``unknown_range_m``), then the
  current leg of the crossing (world x = ±``target_x_m`` of the trained task, from ``config.json``; the first
  leg towards +x, as the room's start faces), which the policy tracks from the state as the env did.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from plansight.agent.contracts import CameraModel, DepthEstimate, DroneCommand, Observation
from plansight.agent.shared.builtin import resolve_model
from plansight.agent.shared.features import (
    action_to_velocity,
    crossing_features,
    crossing_side,
    goal_features,
    motion_features,
    ray_features,
    ray_sector_edges,
)

log = logging.getLogger(__name__)

MODEL_FILE, CONFIG_FILE = "model.zip", "config.json"


class RLPolicyConfig(BaseModel):
    """A trained RL model and how to feed it. Units: metres, pixels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["rl"] = "rl"
    model: str = Field(..., description="model folder from `plansight train rl --out`, or builtin:<name>")
    goal_m: tuple[float, float, float] | None = Field(None, description="hover/waypoint goal, world frame")
    deterministic: bool = True
    band_px: int = Field(6, ge=0, le=200, description="crossing: rows either side of the horizon read for rays")
    min_valid: int = Field(5, ge=1, description="crossing: valid pixels a ray's sector needs")
    unknown_range_m: float = Field(1.0, gt=0.0, description="crossing: the range of a sector with no valid depth")

    @field_validator("model")
    @classmethod
    def _model_folder(cls, v: str) -> str:
        path = resolve_model(v)
        for name in (MODEL_FILE, CONFIG_FILE):
            if not (path / name).is_file():
                raise ValueError(f"{v}: no {name} in it (a folder written by `plansight train rl --out`)")
        return v

    @field_validator("goal_m")
    @classmethod
    def _finite_goal(cls, v: tuple[float, float, float] | None) -> tuple[float, float, float] | None:
        if v is not None and not all(math.isfinite(x) for x in v):
            raise ValueError("must be finite")
        return v


def load_model_config(folder: Path) -> dict:
    """The model folder's ``config.json`` (task, algo, action_scale, task settings)."""
    return json.loads((folder / CONFIG_FILE).read_text())


class RLPolicy:
    """See the module docstring. ``camera``: the mission's camera (crossing reads its depth image)."""

    def __init__(self, cfg: RLPolicyConfig, camera: CameraModel) -> None:
        from stable_baselines3.common.base_class import BaseAlgorithm

        from plansight.agent.learning.rl_algos import ALGOS

        self.cfg, self.camera = cfg, camera
        folder = resolve_model(cfg.model)
        self.meta = load_model_config(folder)
        algo: type[BaseAlgorithm] = ALGOS[self.meta["algo"]]
        self.model = algo.load(folder / MODEL_FILE, device="cpu")
        self.task = self.meta["task"]
        self.scale = np.asarray(self.meta["action_scale"], float)
        self.offset = np.asarray(self.meta.get("action_offset", (0.0, 0.0, 0.0, 0.0)), float)
        self.goal = np.asarray(cfg.goal_m if cfg.goal_m is not None else self.meta.get("goal_m", (0.0, 0.0, 1.0)),
                               float)
        if self.task == "crossing":
            n = int(self.meta["n_rays"])
            edges = ray_sector_edges(n, 2 * math.atan(camera.width / 2 / camera.fx))  # the env's sectors
            self.max_range = float(self.meta["max_range_m"])
            col_angle = np.arctan2(-(np.arange(camera.width) - camera.cx), camera.fx)  # + = left, as the rays
            sector = np.clip(np.searchsorted(-edges, -col_angle) - 1, 0, n - 1)
            self._sector_cols = [np.flatnonzero(sector == i) for i in range(n)]  # image columns per ray
            self._cos = np.cos(col_angle)
            self.target_x = float(self.meta.get("target_x_m", 1.8))
        self.side = 1
        log.info("RL policy: %s %s from %s", self.meta["algo"], self.task, folder)

    def reset(self) -> None:
        self.side = 1

    def observation(self, obs: Observation, depth: DepthEstimate) -> np.ndarray:
        """The feature vector the model was trained on (see the module docstring)."""
        state = np.asarray(obs.state, float)
        if self.task == "crossing":
            self.side = crossing_side(float(state[0]), self.side, self.target_x)
            return np.concatenate([ray_features(self.rays(depth), self.max_range), motion_features(state),
                                   crossing_features(state, self.side, self.target_x)])
        return goal_features(state, self.goal)

    def rays(self, depth: DepthEstimate) -> np.ndarray:
        """(n_rays,) ranges in metres from the depth image, one per sector of the field of view."""
        d = np.asarray(depth.depth, float)
        valid = np.asarray(depth.valid, bool) & np.isfinite(d) & (d > 0)
        cy = int(round(self.camera.cy))
        rows = slice(max(0, cy - self.cfg.band_px), min(d.shape[0], cy + self.cfg.band_px + 1))
        rng = d[rows] / self._cos[None, :]
        ok = valid[rows]
        out = np.full(len(self._sector_cols), self.cfg.unknown_range_m)
        for i, cols in enumerate(self._sector_cols):
            r = rng[:, cols][ok[:, cols]]
            if r.size >= self.cfg.min_valid:
                out[i] = min(float(np.percentile(r, 10)), self.max_range)
        return out

    def act(self, obs: Observation, depth: DepthEstimate) -> DroneCommand:
        action, _ = self.model.predict(self.observation(obs, depth), deterministic=self.cfg.deterministic)
        return DroneCommand(*action_to_velocity(action, self.scale, self.offset))
