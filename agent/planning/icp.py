"""Depth alignment of a tracked object for RGB-D plans: iterative closest points (ICP) between the object's
points and the frame's depth cloud around them.

Flow finds where the object's pixels went; a small object's pixels are few, and where the fingers close over
it they are hidden, so flow loses it exactly while it is carried. Its *geometry* stays in the depth map: the
object, or the fingers around it, which move with it. ICP pulls the flow estimate onto that geometry each
frame. Nearest neighbours prefer the object's own surface while it is visible, and the fingers' only when
they hide it.

Frames: world (arm base) metres; the cloud is lifted from planar depth with the camera model.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from plansight.agent.contracts import CameraModel
from plansight.agent.planning.geometry import apply, lift, project
from plansight.agent.planning.rigid import kabsch, kabsch_yaw


def _translation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    T = np.eye(4)
    T[:3, 3] = (b - a).mean(axis=0)
    return T


STEPS = {"translation": _translation, "rigid": kabsch, "yaw": kabsch_yaw}
"""ICP's least-squares step per motion model (the names of ``ExecutorConfig.fit.motion``): pairs (N×3, N×3) → 4×4."""


def depth_cloud(depth: np.ndarray, cam: CameraModel, around: np.ndarray, margin_px: int = 8,
                max_points: int = 4000, rng: np.random.Generator | None = None) -> np.ndarray:
    """World points (M×3) of the depth map (H×W metres) inside the pixel box of ``around`` (N×3 world points)
    grown by ``margin_px``; at most ``max_points``, subsampled uniformly. Empty when the box leaves the image."""
    H, W = depth.shape
    uv, z = project(cam, around)
    uv = uv[z > 0]
    if len(uv) == 0:
        return np.zeros((0, 3))
    u0, v0 = np.floor(uv.min(axis=0)).astype(int) - margin_px
    u1, v1 = np.ceil(uv.max(axis=0)).astype(int) + margin_px
    u0, v0, u1, v1 = max(u0, 0), max(v0, 0), min(u1, W - 1), min(v1, H - 1)
    if u1 <= u0 or v1 <= v0:
        return np.zeros((0, 3))
    v, u = np.mgrid[v0:v1 + 1, u0:u1 + 1]
    pix = np.stack([u.ravel(), v.ravel()], axis=1).astype(np.float64)
    if len(pix) > max_points:
        pix = pix[(rng or np.random.default_rng(0)).choice(len(pix), max_points, replace=False)]
    zs = depth[pix[:, 1].astype(int), pix[:, 0].astype(int)]
    ok = np.isfinite(zs) & (zs > 0)
    return lift(cam, pix[ok], zs[ok])


def icp(model: np.ndarray, cloud: np.ndarray, T0: np.ndarray, radius_m: float = 0.02, iterations: int = 10,
        model_name: str = "translation", min_matches: int = 6) -> tuple[np.ndarray, int]:
    """Refine ``T0`` (4×4 world motion of ``model``, N×3) so the moved model lies on ``cloud`` (M×3).

    Each iteration pairs every moved model point with its nearest cloud point within ``radius_m`` and solves
    for the motion of ``model_name`` (``STEPS``: a translation, a Kabsch rotation and translation, or a turn
    about the vertical axis and a translation) on the pairs. Returns the refined
    motion and the number of pairs in the last iteration; ``T0`` unchanged (and 0) when fewer than
    ``min_matches`` points find a partner."""
    if len(cloud) < min_matches:
        return T0, 0
    step = STEPS[model_name]
    tree = cKDTree(cloud)
    T, n = T0.copy(), 0
    for it in range(iterations):
        P = apply(T, model)
        d, j = tree.query(P, distance_upper_bound=radius_m)
        m = np.isfinite(d)
        if m.sum() < min_matches:
            return (T0, 0) if it == 0 else (T, n)
        n = int(m.sum())
        dT = step(P[m], cloud[j[m]])
        T = dT @ T
        if np.linalg.norm(dT[:3, 3]) < 1e-5 and np.abs(dT[:3, :3] - np.eye(3)).max() < 1e-5:
            break
    return T, n
