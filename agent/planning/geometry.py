"""Pinhole geometry for video→action: lifting pixels with depth and projecting world points.

Pixels are (u, v) = (column, row) in pixel-index coordinates (centre of the top-left pixel = (0, 0)).
Camera frame: OpenCV (x right, y down, z forward); ``CameraModel.T_body_cam`` takes it to the world
(body) frame. Depth is planar (along the optical axis), metres.
"""

from __future__ import annotations

import cv2
import numpy as np

from plansight.agent.contracts import CameraModel


def sample_bilinear(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Values of an H×W (or H×W×C) float image at sub-pixel points ``uv`` (N×2); (N,) or (N×C) float32."""
    img = np.ascontiguousarray(image, dtype=np.float32)
    maps = np.ascontiguousarray(uv, dtype=np.float32).reshape(-1, 1, 2)
    out = cv2.remap(img, maps[..., 0], maps[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(len(uv), *img.shape[2:])


def lift(cam: CameraModel, uv: np.ndarray, depth_m: np.ndarray) -> np.ndarray:
    """Pixels (N×2) with planar depths (N,) in metres → world points (N×3, metres)."""
    z = np.asarray(depth_m, dtype=np.float64)
    x = (uv[:, 0] - cam.cx) / cam.fx * z
    y = (uv[:, 1] - cam.cy) / cam.fy * z
    p_cam = np.stack([x, y, z], axis=1)
    T = cam.T_body_cam
    return p_cam @ T[:3, :3].T + T[:3, 3]


def project(cam: CameraModel, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World points (N×3, metres) → pixels (N×2) and planar depths (N,) in metres."""
    T_cw = np.linalg.inv(cam.T_body_cam)
    p = points @ T_cw[:3, :3].T + T_cw[:3, 3]
    z = p[:, 2]
    uv = np.stack([cam.fx * p[:, 0] / z + cam.cx, cam.fy * p[:, 1] / z + cam.cy], axis=1)
    return uv, z


def apply(T: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 4×4 transform to N×3 points."""
    return points @ T[:3, :3].T + T[:3, 3]


def in_image(uv: np.ndarray, width: int, height: int, margin: float = 0.0) -> np.ndarray:
    """(N,) bool: points inside the image, ``margin`` pixels away from the border."""
    return ((uv[:, 0] >= margin) & (uv[:, 0] <= width - 1 - margin)
            & (uv[:, 1] >= margin) & (uv[:, 1] <= height - 1 - margin))
