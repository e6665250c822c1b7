"""A planner added the way a user adds one: this file, plus one ``registry.register`` line (in the tests that use
it). It plans the observed frame held still, RGB-D, so the executor aims at the object and stays there."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from plansight.agent.contracts import Observation, VideoPlan


class StillConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["still"] = "still"
    plan_frames: int = Field(4, ge=2)


class StillPlanner:
    """``VideoPlanner``: ``plan_frames`` copies of the observation (and its depth)."""

    def __init__(self, cfg: StillConfig) -> None:
        self.cfg = cfg
        self.calls = 0

    @classmethod
    def from_config(cls, cfg: StillConfig, arm, executor) -> StillPlanner:
        return cls(cfg)

    @property
    def timings(self) -> dict[str, float]:
        return {}

    def plan(self, obs: Observation, task: str, camera: str, n: int = 1, seed: int | None = None) -> list[VideoPlan]:
        self.calls += 1
        frames = np.stack([obs.images[camera]] * self.cfg.plan_frames)
        depth = np.stack([obs.depth[camera]] * self.cfg.plan_frames) if camera in obs.depth else None
        return [VideoPlan(frames=frames, camera=camera, task=task, depth=depth)] * n
