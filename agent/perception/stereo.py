"""Stereo depth: OpenCV semi-global block matching on a rectified pair → metric depth + validity.

Depth ``Z = fx · B / d`` for disparity ``d`` in pixels (rectified pair, left camera reference).
The pair is padded by ``num_disparities`` columns before matching, so the left border of the image
gets disparities too instead of the blind strip SGBM normally leaves there; a disparity is only
trusted where its match lies inside the right image (``d ≤ u``) and below the search limit
(saturated disparities are mismatches, not very near objects). The right edge, where the matching
block overhangs the image, is marked invalid.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from plansight.agent.contracts import CameraModel, DepthEstimate, Observation


class StereoConfig(BaseModel):
    """SGBM parameters (OpenCV ``StereoSGBM_create``) and depth limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["sgbm"] = "sgbm"
    num_disparities: int = Field(32, ge=16, le=256, multiple_of=16)
    block_size: int = Field(5, ge=1, le=15)
    uniqueness_ratio: int = Field(8, ge=0, le=50)
    speckle_window_size: int = Field(40, ge=0, le=500)
    speckle_range: int = Field(2, ge=0, le=32)
    min_disparity_px: float = Field(0.75, gt=0.0, description="smaller disparities are invalid (too far)")
    max_depth_m: float = Field(8.0, gt=0.0)
    camera: str = "left"


class SgbmStereoDepth:
    """``DepthEstimator`` for a rectified stereo pair.

    Args:
        cfg: matcher settings.
        left: the left (reference) camera model; it names its partner and carries the baseline.
    """

    def __init__(self, cfg: StereoConfig, left: CameraModel) -> None:
        if left.baseline_m is None or left.stereo_partner is None:
            raise ValueError(f"camera {left.name!r} is not the left camera of a stereo pair")
        self.cfg = cfg
        self.left = left
        self.camera = left.name
        bs = cfg.block_size
        self._matcher = cv2.StereoSGBM_create(
            minDisparity=0, numDisparities=cfg.num_disparities, blockSize=bs,
            P1=8 * bs * bs, P2=32 * bs * bs, disp12MaxDiff=1, uniquenessRatio=cfg.uniqueness_ratio,
            speckleWindowSize=cfg.speckle_window_size, speckleRange=cfg.speckle_range,
            mode=cv2.STEREO_SGBM_MODE_SGBM_3WAY)
        self._fb = left.fx * left.baseline_m

    def disparity(self, left_rgb: np.ndarray, right_rgb: np.ndarray) -> np.ndarray:
        """H×W float32 disparity in pixels; negative where SGBM found no match."""
        h, w = left_rgb.shape[:2]
        if right_rgb.shape != left_rgb.shape or (w, h) != (self.left.width, self.left.height):
            raise ValueError(f"stereo images must both be {self.left.width}x{self.left.height}, got "
                             f"{left_rgb.shape[1]}x{left_rgb.shape[0]} and {right_rgb.shape[1]}x{right_rgb.shape[0]}")
        pad = self.cfg.num_disparities
        gl = cv2.copyMakeBorder(cv2.cvtColor(left_rgb, cv2.COLOR_RGB2GRAY), 0, 0, pad, 0, cv2.BORDER_REPLICATE)
        gr = cv2.copyMakeBorder(cv2.cvtColor(right_rgb, cv2.COLOR_RGB2GRAY), 0, 0, pad, 0, cv2.BORDER_REPLICATE)
        disp = self._matcher.compute(gl, gr)[:, pad:]
        return disp.astype(np.float32) / 16.0

    def estimate(self, obs: Observation) -> DepthEstimate:
        """Depth for the left camera of ``obs``: H×W float32 metres, validity mask."""
        try:
            left, right = obs.images[self.left.name], obs.images[self.left.stereo_partner]
        except KeyError as e:
            raise ValueError(f"observation has no image from camera {e.args[0]!r}; "
                             f"has {sorted(obs.images)}") from None
        disp = self.disparity(left, right)
        cols = np.arange(disp.shape[1], dtype=np.float32)[None, :]
        # a match must lie inside the right image (u - d >= 0) and inside the search range
        valid = (disp >= self.cfg.min_disparity_px) & (disp <= cols) & (disp < self.cfg.num_disparities - 1)
        edge = self.cfg.block_size // 2 + 1  # blocks that overhang the image edge mismatch
        valid[:, -edge:] = False
        depth = np.zeros_like(disp)
        depth[valid] = self._fb / disp[valid]
        valid &= depth <= self.cfg.max_depth_m
        return DepthEstimate(camera=self.camera, depth=depth, valid=valid, source="stereo_sgbm")
