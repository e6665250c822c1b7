"""Find a flat-coloured goal landmark in an RGB image by its hue (OpenCV HSV threshold + connected components).

The room's landmarks are saturated, untextured colours no other surface has (``sim/drone/landmarks.py``), so a
hue window with high saturation and value isolates them; the largest connected blob above ``min_pixels`` is the
detection. Pixel coordinates: u right, v down, origin at the top-left pixel's centre.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass

import cv2
import numpy as np

from plansight.agent.contracts import CameraModel


@dataclass(frozen=True)
class GoalDetection:
    """The goal in one image.

    Attributes:
        visible: whether a blob of the goal's colour was found.
        u, v: the blob's centroid, pixels (NaN when not visible).
        area_fraction: the blob's share of the image's pixels.
        bbox: (u0, v0, u1, v1) inclusive pixel bounds, or None.
    """

    visible: bool
    u: float = math.nan
    v: float = math.nan
    area_fraction: float = 0.0
    bbox: tuple[int, int, int, int] | None = None

    def bearing_rad(self, camera: CameraModel) -> float:
        """Horizontal angle to the blob from the optical axis, radians, left positive (NaN when not visible)."""
        return math.atan2(-(self.u - camera.cx), camera.fx) if self.visible else math.nan


def hue_window(colour: tuple[float, float, float], tol: int = 8) -> tuple[int, int]:
    """OpenCV hue range (0–179) around an RGB colour in [0, 1]; it may wrap (low > high)."""
    h = colorsys.rgb_to_hsv(*colour)[0] * 180.0
    return int(round(h - tol)) % 180, int(round(h + tol)) % 180


def detect_goal(image: np.ndarray, colour: tuple[float, float, float], min_pixels: int = 12, tol: int = 8,
                min_saturation: int = 150, min_value: int = 100) -> GoalDetection:
    """The largest blob of ``colour`` (RGB in [0, 1]) in ``image`` (H×W×3 uint8 RGB)."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"detect_goal wants an H×W×3 uint8 RGB image, got {image.shape} {image.dtype}")
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    lo, hi = hue_window(colour, tol)
    if lo <= hi:
        mask = cv2.inRange(hsv, (lo, min_saturation, min_value), (hi, 255, 255))
    else:
        mask = cv2.inRange(hsv, (0, min_saturation, min_value), (hi, 255, 255)) | cv2.inRange(
            hsv, (lo, min_saturation, min_value), (179, 255, 255))
    n, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return GoalDetection(False)
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    area = int(stats[k, cv2.CC_STAT_AREA])
    if area < min_pixels:
        return GoalDetection(False)
    x, y, w, h = (int(stats[k, i]) for i in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                              cv2.CC_STAT_HEIGHT))
    return GoalDetection(True, float(centroids[k, 0]), float(centroids[k, 1]), area / mask.size,
                         (x, y, x + w - 1, y + h - 1))
