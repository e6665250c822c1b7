"""``LowResPlanner``: any ``VideoPlanner`` seen through a low-resolution planner's eyes.

Its plans keep the real observed frame 0; every predicted frame (and depth map, for RGB-D plans) is
area-resized to ``width``×``height`` and resized back (bilinear), as a video model at that size would
deliver it. Wrapping the oracle this way separates what the resolution costs the executor from what the
learned model's errors cost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import cv2
import numpy as np

from plansight.agent.contracts import Observation, VideoPlan, VideoPlanner


class LowResPlanner:
    """See the module docstring; ``width``/``height`` in pixels."""

    def __init__(self, planner: VideoPlanner, width: int, height: int) -> None:
        if width < 8 or height < 8:
            raise ValueError(f"plan resolution {width}x{height} is below 8x8")
        self.planner, self.width, self.height = planner, width, height

    @property
    def timings(self) -> Mapping[str, float]:
        return self.planner.timings

    def _degrade(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        small = cv2.resize(frame, (self.width, self.height), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)

    def plan(self, obs: Observation, task: str, camera: str, n: int = 1, seed: int | None = None) -> list[VideoPlan]:
        plans = self.planner.plan(obs, task, camera, n, seed)
        return [dataclasses.replace(p, frames=self._degrade_all(p.frames),
                                    depth=None if p.depth is None else self._degrade_all(p.depth)) for p in plans]

    def _degrade_all(self, frames: np.ndarray) -> np.ndarray:
        """Frame 0 as observed, the predicted frames degraded (RGB T×H×W×3 or depth T×H×W)."""
        return np.stack([frames[0], *(self._degrade(f) for f in frames[1:])])

    def __getattr__(self, name: str):  # the wrapped planner's extras (e.g. the oracle's timing stats)
        if name == "planner":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.planner, name)
