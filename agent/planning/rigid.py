"""Robust rigid motion of an object from tracked pixels: RANSAC over OpenCV's PnP, then least squares.

AVDC's formulation: 3-D points on the object are known in the first frame (mask pixels lifted with
depth); later frames give only their pixels (flow). The object's motion ``T`` (4×4, world frame) is
the rigid transform whose reprojection ``π(K · T_cam_world · T · X)`` best matches the tracked
pixels. With ``P = T_cam_world · T`` this is exactly a PnP problem, so ``cv2.solvePnPRansac`` (RANSAC
on minimal sets, inlier threshold in pixels) and ``cv2.solvePnPRefineLM`` (Levenberg-Marquardt least
squares on the inliers) solve it. Where both frames have depth (RGB-D plans), the motion is a 3-D to 3-D
fit instead: Kabsch/Umeyama with RANSAC (``fit_rigid_3d``), a translation (``fit_translation_3d``), or a
translation with a turn about the vertical axis (``fit_yaw_3d``: doors, faucets, objects sliding on a table).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from plansight.agent.contracts import CameraModel
from plansight.agent.planning.geometry import apply

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


def kabsch_yaw(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Least-squares motion (4×4) taking points ``a`` (N×3) onto ``b`` (N×3) with a rotation about the world z
    axis only (4 DoF: yaw and translation): 2-D Kabsch on the horizontal coordinates, the mean vertical shift."""
    ca, cb = a.mean(axis=0), b.mean(axis=0)
    A, B = a[:, :2] - ca[:2], b[:, :2] - cb[:2]
    yaw = np.arctan2((A[:, 0] * B[:, 1] - A[:, 1] * B[:, 0]).sum(), (A * B).sum())
    c, s = np.cos(yaw), np.sin(yaw)
    T = np.eye(4)
    T[:2, :2] = [[c, -s], [s, c]]
    T[:3, 3] = cb - T[:3, :3] @ ca
    return T


def fit_yaw_3d(a: np.ndarray, b: np.ndarray, thresh_m: float = 0.01, iterations: int = 100,
               seed: int = 0) -> RigidFit:
    """Translation plus a turn about the world's vertical axis taking points ``a`` (N×3, metres) onto ``b``:
    RANSAC (MSAC score, inlier distance ``thresh_m``) over single-point translations and two-point yaw motions,
    then ``kabsch_yaw`` least squares on the inliers. A door or a faucet handle turns about a vertical hinge,
    which a translation cannot follow; the single-point hypotheses make it never explain fewer points than
    ``fit_translation_3d``."""
    n = len(a)
    if n < MIN_POINTS:
        return RigidFit(np.eye(4), np.zeros(n, bool), float("inf"), False)
    rng = np.random.default_rng(seed)
    hypotheses = []
    for i in rng.choice(n, min(n, iterations), replace=False):
        T = np.eye(4)
        T[:3, 3] = b[i] - a[i]
        hypotheses.append(T)
    for _ in range(iterations):
        s = rng.choice(n, 2, replace=False)
        if np.linalg.norm(a[s[0], :2] - a[s[1], :2]) > 2 * thresh_m:  # a turn is observable over this span
            hypotheses.append(kabsch_yaw(a[s], b[s]))
    best, best_err = np.zeros(n, bool), np.inf
    for T in hypotheses:
        r = np.linalg.norm(apply(T, a) - b, axis=1)
        inl = r <= thresh_m
        err = np.minimum(r, thresh_m).sum()
        if inl.sum() > best.sum() or (inl.sum() == best.sum() and err < best_err):
            best, best_err = inl, err
    if best.sum() < MIN_POINTS:
        return RigidFit(np.eye(4), best, float("inf"), False)
    T = kabsch_yaw(a[best], b[best])
    r = np.linalg.norm(apply(T, a) - b, axis=1)
    best = r <= thresh_m
    if best.sum() < MIN_POINTS:
        return RigidFit(np.eye(4), best, float("inf"), False)
    T = kabsch_yaw(a[best], b[best])
    r = np.linalg.norm(apply(T, a) - b, axis=1)
    return RigidFit(T, r <= thresh_m, float(np.sqrt(np.mean(r[best] ** 2))), True)


def fit_translation_3d(a: np.ndarray, b: np.ndarray, thresh_m: float = 0.01, iterations: int = 100,
                       seed: int = 0) -> RigidFit:
    """Pure translation taking points ``a`` (N×3, metres) onto ``b`` (N×3): RANSAC on single-point hypotheses
    (inlier distance ``thresh_m``, MSAC score), then the mean displacement of the inliers."""
    n = len(a)
    if n < MIN_POINTS:
        return RigidFit(np.eye(4), np.zeros(n, bool), float("inf"), False)
    d = b - a
    rng = np.random.default_rng(seed)
    best, best_err = np.zeros(n, bool), np.inf
    for i in rng.choice(n, min(n, iterations), replace=False):
        r = np.linalg.norm(d - d[i], axis=1)
        inl = r <= thresh_m
        err = np.minimum(r, thresh_m).sum()
        if inl.sum() > best.sum() or (inl.sum() == best.sum() and err < best_err):
            best, best_err = inl, err
    t = d[best].mean(axis=0)
    best = np.linalg.norm(d - t, axis=1) <= thresh_m
    if best.sum() < MIN_POINTS:
        return RigidFit(np.eye(4), best, float("inf"), False)
    t = d[best].mean(axis=0)
    T = np.eye(4)
    T[:3, 3] = t
    return RigidFit(T, best, float(np.sqrt(np.mean(np.sum((d[best] - t) ** 2, axis=1)))), True)


def _translation_ls(Xc: np.ndarray, uv: np.ndarray, K: np.ndarray, depth_prior: float = 0.0) -> np.ndarray:
    """Camera-frame translation t (3,) minimising the linearised reprojection error of ``Xc + t`` (N×3), plus
    ``N · (depth_prior · t_z)²``: motion along the optical axis, barely observable for small objects, costs
    as much as one pixel of error at every point per ``1/depth_prior`` metres."""
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    du, dv = uv[:, 0] - cx, uv[:, 1] - cy
    w = 1.0 / Xc[:, 2]  # ≈ 1/depth: turns the algebraic error into pixels
    A = np.zeros((2 * len(Xc), 3))
    b = np.zeros(2 * len(Xc))
    A[0::2, 0], A[0::2, 2], b[0::2] = fx * w, -du * w, (du * Xc[:, 2] - fx * Xc[:, 0]) * w
    A[1::2, 1], A[1::2, 2], b[1::2] = fy * w, -dv * w, (dv * Xc[:, 2] - fy * Xc[:, 1]) * w
    if depth_prior > 0:
        A = np.vstack([A, [0.0, 0.0, np.sqrt(len(Xc)) * depth_prior]])
        b = np.append(b, 0.0)
    return np.linalg.lstsq(A, b, rcond=None)[0]


def fit_translation(points_world: np.ndarray, pixels: np.ndarray, cam: CameraModel, ransac_px: float = 1.0,
                    iterations: int = 100, seed: int = 0, depth_prior: float = 20.0,
                    hypothesis_prior: float = 200.0) -> RigidFit:
    """Pure-translation world motion of N points (N×3) seen at ``pixels`` (N×2): RANSAC on 2-point minimal sets
    (3 unknowns, 2 equations per point, linear), then least squares on the inliers.

    Three degrees of freedom instead of six: much better conditioned for small objects, whose rotation and
    depth are barely observable from a few hundred pixels. ``depth_prior`` (pixels per metre, see
    ``_translation_ls``) keeps unobservable motion along the optical axis near zero in the final least
    squares; the RANSAC hypotheses use the stronger ``hypothesis_prior`` (two points say little about depth).
    """
    n = len(points_world)
    if n < MIN_POINTS:
        return RigidFit(np.eye(4), np.zeros(n, bool), float("inf"), False)
    T_wc = cam.T_body_cam
    T_cw = np.linalg.inv(T_wc)
    Xc = points_world @ T_cw[:3, :3].T + T_cw[:3, 3]
    K = cam.K
    rng = np.random.default_rng(seed)

    def residual(t: np.ndarray) -> np.ndarray:
        p = Xc + t
        proj = np.stack([K[0, 0] * p[:, 0] / p[:, 2] + K[0, 2], K[1, 1] * p[:, 1] / p[:, 2] + K[1, 2]], axis=1)
        return np.linalg.norm(proj - pixels, axis=1)

    best = np.zeros(n, bool)
    best_err = np.inf
    for _ in range(iterations):
        s = rng.choice(n, 2, replace=False)
        r = residual(_translation_ls(Xc[s], pixels[s], K, hypothesis_prior))
        inl = r <= ransac_px
        err = np.minimum(r, ransac_px).sum()  # MSAC score: ties broken by residuals
        if inl.sum() > best.sum() or (inl.sum() == best.sum() and err < best_err):
            best, best_err = inl, err
    if best.sum() < MIN_POINTS:
        return RigidFit(np.eye(4), best, float("inf"), False)
    t = _translation_ls(Xc[best], pixels[best], K, depth_prior)
    for _ in range(2):  # re-linearise around the solution
        t = t + _translation_ls(Xc[best] + t, pixels[best], K, depth_prior)
    best = residual(t) <= ransac_px
    if best.sum() < MIN_POINTS:
        return RigidFit(np.eye(4), best, float("inf"), False)
    T = np.eye(4)
    T[:3, 3] = T_wc[:3, :3] @ t
    return RigidFit(T, best, float(np.sqrt(np.mean(residual(t)[best] ** 2))), True)
