"""Robust rigid motion of an object from tracked pixels: RANSAC over OpenCV's PnP, then least squares.

AVDC's formulation: 3-D points on the object are known in the first frame (mask pixels lifted with
depth); later frames give only their pixels (flow). The object's motion ``T`` (4×4, world frame) is
the rigid transform whose reprojection ``π(K · T_cam_world · T · X)`` best matches the tracked
pixels. With ``P = T_cam_world · T`` this is exactly a PnP problem, so ``cv2.solvePnPRansac`` (RANSAC
on minimal sets, inlier threshold in pixels) and ``cv2.solvePnPRefineLM`` (Levenberg-Marquardt least
squares on the inliers) solve it. A Kabsch/Umeyama fit with RANSAC (``fit_rigid_3d``) covers the case
where both frames have depth.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from agent.contracts import CameraModel

MIN_POINTS = 6


@dataclass(frozen=True)
class RigidFit:
    """A fitted motion.

    Attributes:
        T: 4×4 float64 world-frame rigid transform (X_after = T · X_before).
        inliers: (N,) bool.
        rmse: RMS residual over the inliers (pixels for PnP fits, metres for 3-D fits).
        ok: False when there were too few points or inliers; ``T`` is then the guess.
    """

    T: np.ndarray
    inliers: np.ndarray
    rmse: float
    ok: bool


def _to_rt(T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rvec, _ = cv2.Rodrigues(T[:3, :3])
    return rvec.reshape(3, 1), T[:3, 3].reshape(3, 1).astype(np.float64)


def _from_rt(rvec: np.ndarray, tvec: np.ndarray) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = cv2.Rodrigues(rvec)[0]
    T[:3, 3] = tvec.ravel()
    return T


def fit_rigid_pnp(points_world: np.ndarray, pixels: np.ndarray, cam: CameraModel, guess: np.ndarray | None = None,
                  ransac_px: float = 1.0, iterations: int = 100, confidence: float = 0.999) -> RigidFit:
    """Rigid world motion ``T`` of N points (N×3, metres) that now appear at ``pixels`` (N×2).

    ``guess`` (4×4, default identity) seeds the iterative solver; RANSAC keeps points whose reprojection
    error is ≤ ``ransac_px`` pixels, and LM least squares refines on them.
    """
    n = len(points_world)
    guess = np.eye(4) if guess is None else guess
    if n < MIN_POINTS:
        return RigidFit(guess, np.zeros(n, bool), float("inf"), False)
    T_wc = cam.T_body_cam
    T_cw = np.linalg.inv(T_wc)
    X = np.ascontiguousarray(points_world, dtype=np.float64).reshape(-1, 1, 3)
    x = np.ascontiguousarray(pixels, dtype=np.float64).reshape(-1, 1, 2)
    K = cam.K
    rvec, tvec = _to_rt(T_cw @ guess)
    ok, rvec, tvec, idx = cv2.solvePnPRansac(X, x, K, None, rvec, tvec, useExtrinsicGuess=True,
                                             iterationsCount=iterations, reprojectionError=ransac_px,
                                             confidence=confidence, flags=cv2.SOLVEPNP_ITERATIVE)
    inliers = np.zeros(n, bool)
    if not ok or idx is None or len(idx) < MIN_POINTS:
        return RigidFit(guess, inliers, float("inf"), False)
    inliers[idx.ravel()] = True
    rvec, tvec = cv2.solvePnPRefineLM(X[inliers], x[inliers], K, None, rvec, tvec)
    proj, _ = cv2.projectPoints(X[inliers], rvec, tvec, K, None)
    rmse = float(np.sqrt(np.mean(np.sum((proj - x[inliers]) ** 2, axis=-1))))
    return RigidFit(T_wc @ _from_rt(rvec, tvec), inliers, rmse, True)


def kabsch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Least-squares rigid transform (4×4) taking points ``a`` (N×3) onto ``b`` (N×3) (Kabsch/Umeyama, no scale)."""
    ca, cb = a.mean(axis=0), b.mean(axis=0)
    H = (a - ca).T @ (b - cb)
    U, _, Vt = np.linalg.svd(H)
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(Vt.T @ U.T))])
    R = Vt.T @ D @ U.T
    T = np.eye(4)
    T[:3, :3] = R
    T[:3, 3] = cb - R @ ca
    return T


def fit_rigid_3d(a: np.ndarray, b: np.ndarray, thresh_m: float = 0.005, iterations: int = 200,
                 seed: int = 0) -> RigidFit:
    """RANSAC (3-point Kabsch hypotheses, inlier distance ``thresh_m``) + Kabsch least squares on the inliers."""
    n = len(a)
    if n < 3:
        return RigidFit(np.eye(4), np.zeros(n, bool), float("inf"), False)
    rng = np.random.default_rng(seed)
    best = np.zeros(n, bool)
    for _ in range(iterations):
        s = rng.choice(n, 3, replace=False)
        T = kabsch(a[s], b[s])
        inl = np.linalg.norm(a @ T[:3, :3].T + T[:3, 3] - b, axis=1) <= thresh_m
        if inl.sum() > best.sum():
            best = inl
    if best.sum() < 3:
        return RigidFit(np.eye(4), best, float("inf"), False)
    T = kabsch(a[best], b[best])
    res = np.linalg.norm(a[best] @ T[:3, :3].T + T[:3, 3] - b[best], axis=1)
    return RigidFit(T, best, float(np.sqrt(np.mean(res ** 2))), True)
