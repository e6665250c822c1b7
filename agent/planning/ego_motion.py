"""The camera's own motion between two frames from flow and depth: how a drone reads a video plan.

On an arm the executor recovers an *object's* motion (``agent/planning/rigid.py``); on a drone the scene is
still and the camera moves, so the same PnP fit, run on all of the scene's tracked points, gives the inverse of
the vehicle's motion. Steps:

1. a grid of pixels (every ``stride_px``) of frame ``a`` where its depth is valid and its image has texture
   (Sobel gradient magnitude ≥ ``min_gradient``);
2. moved into frame ``b`` by dense optical flow (OpenCV DIS by default, ``flow.FLOW``) with a forward-backward
   check of 1 pixel. A turn shifts the whole image sideways by more than flow's pyramid follows (a 14° turn
   is 30 pixels at 128 px and 60°), so with ``prealign`` frame ``a`` is first shifted by a global translation
   and flow only measures what is left. No shift, the two best image-correlation shifts (``shift_candidates``)
   and any ``shift_hints`` (the previous pair's image motion) are each tried; the fit with most inliers wins;
3. lifted to 3-D in ``a``'s body frame with ``a``'s depth (``geometry.lift``);
4. ``fit_rigid_pnp``: the rigid ``T`` with ``π(T · X_a) ≈ uv_b`` (RANSAC, then Levenberg-Marquardt) is the
   scene's motion in the body frame, ``T_b_a``; the vehicle's motion is its inverse, ``T_a_b``.

Frames: body FLU (x forward, y left, z up), metres and radians; ``T_a_b`` is body frame ``b``'s pose in body
frame ``a`` (a point in ``b``'s coordinates maps to ``a``'s as ``T_a_b · X_b``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from plansight.agent.contracts import CameraModel, DroneCommand
from plansight.agent.planning.flow import flow_fn, move_points
from plansight.agent.planning.geometry import in_image, lift, sample_bilinear
from plansight.agent.planning.rigid import MIN_POINTS, fit_rigid_3d, fit_rigid_pnp


@dataclass(frozen=True)
class EgoMotion:
    """One fitted camera motion.

    Attributes:
        T_a_b: 4×4 float64, the body's pose at frame ``b`` in its frame at ``a`` (identity when not ``ok``).
        tracked: points tracked from ``a`` to ``b`` with valid depth in ``a``.
        inliers: RANSAC inliers of the fit.
        rmse_px: reprojection RMS over the inliers, pixels.
        ok: whether enough points were tracked and fitted.
        shift_px: (2,) median image motion of the inliers, pixels (u right, v down): a hint for the next pair
            of a smooth flight (``shift_hints``).
    """

    T_a_b: np.ndarray
    tracked: int
    inliers: int
    rmse_px: float
    ok: bool
    shift_px: np.ndarray = field(default_factory=lambda: np.zeros(2))

    @property
    def translation_m(self) -> np.ndarray:
        """(3,) body-frame displacement from ``a`` to ``b``, metres."""
        return self.T_a_b[:3, 3].copy()

    @property
    def yaw_rad(self) -> float:
        """The turn about body z from ``a`` to ``b``, radians (left positive)."""
        return math.atan2(self.T_a_b[1, 0], self.T_a_b[0, 0])


def ego_motion(rgb_a: np.ndarray, depth_a: np.ndarray, rgb_b: np.ndarray, cam: CameraModel,
               valid_a: np.ndarray | None = None, depth_b: np.ndarray | None = None, flow: str = "dis",
               stride_px: int = 3, min_gradient: float = 20.0, prealign: bool = True,
               shift_hints: Sequence[np.ndarray] = (), ransac_px: float = 1.0, ransac_m: float = 0.03,
               min_depth_m: float = 0.1, max_depth_m: float = 8.0) -> EgoMotion:
    """The vehicle's motion from frame ``a`` (H×W×3 uint8 RGB, H×W planar depth in metres, optional validity
    mask) to frame ``b`` (H×W×3 uint8 RGB), seen by ``cam``. See the module docstring."""
    H, W = depth_a.shape
    ok_depth = np.isfinite(depth_a) & (depth_a > min_depth_m) & (depth_a < max_depth_m)
    if valid_a is not None:
        ok_depth &= valid_a
    if min_gradient > 0:  # flat patches give flow nothing to hold on to
        g = cv2.cvtColor(rgb_a, cv2.COLOR_RGB2GRAY).astype(np.float32)
        ok_depth &= np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)) >= min_gradient
    vv, uu = np.mgrid[stride_px // 2:H:stride_px, stride_px // 2:W:stride_px]
    keep = ok_depth[vv, uu]
    if keep.sum() < MIN_POINTS:
        return EgoMotion(np.eye(4), int(keep.sum()), 0, math.nan, False)
    uv_a = np.stack([uu[keep], vv[keep]], axis=1).astype(np.float64)
    z_a = depth_a[vv[keep], uu[keep]]
    fn = flow_fn(flow)
    shifts = [np.zeros(2)]
    if prealign:
        shifts += [*shift_candidates(rgb_a, rgb_b, k=1), *(np.asarray(h, float) for h in shift_hints)]
    best: EgoMotion | None = None
    for k, shift in enumerate(shifts):
        if k and min(np.hypot(*(shift - s)) for s in shifts[:k]) < 2.0:
            continue  # the same hypothesis again
        m = _fit_shifted(rgb_a, rgb_b, uv_a, z_a, cam, fn, shift, depth_b, ransac_px, ransac_m, min_depth_m,
                         max_depth_m)
        if best is None or (m.ok, m.inliers) > (best.ok, best.inliers):
            best = m
    assert best is not None
    return best


def _fit_shifted(rgb_a: np.ndarray, rgb_b: np.ndarray, uv_a: np.ndarray, z_a: np.ndarray, cam: CameraModel,
                 fn, shift: np.ndarray, depth_b: np.ndarray | None, ransac_px: float, ransac_m: float,
                 min_depth_m: float, max_depth_m: float) -> EgoMotion:
    """One hypothesis: flow from ``rgb_a`` shifted by ``shift`` (pixels) to ``rgb_b``, then the rigid fit."""
    H, W = rgb_a.shape[:2]
    src, uv_src = rgb_a, uv_a
    if np.any(shift):
        src = cv2.warpAffine(rgb_a, np.array([[1, 0, shift[0]], [0, 1, shift[1]]]), (W, H),
                             borderMode=cv2.BORDER_REPLICATE)
        uv_src = uv_a + shift
    uv_b, ok = move_points(fn(src, rgb_b), fn(rgb_b, src), uv_src, fb_tol_px=1.0)
    ok &= in_image(uv_src, W, H)
    if ok.sum() < MIN_POINTS:
        return EgoMotion(np.eye(4), int(ok.sum()), 0, math.nan, False)
    X_a = lift(cam, uv_a[ok], z_a[ok])
    guess = None
    if depth_b is not None:  # both frames have depth: a 3-D to 3-D fit seeds the PnP (no yaw/sideways mix-up)
        z_b = sample_bilinear(depth_b, uv_b[ok])
        good = np.isfinite(z_b) & (z_b > min_depth_m) & (z_b < max_depth_m)
        if good.sum() >= MIN_POINTS:
            fit3 = fit_rigid_3d(X_a[good], lift(cam, uv_b[ok][good], z_b[good]), thresh_m=ransac_m)
            guess = fit3.T if fit3.ok else None
    fit = fit_rigid_pnp(X_a, uv_b[ok], cam, guess=guess, ransac_px=ransac_px)
    shift_px = np.median(uv_b[ok][fit.inliers] - uv_a[ok][fit.inliers], axis=0) if fit.inliers.any() else shift
    if not fit.ok:
        return EgoMotion(np.eye(4), int(ok.sum()), int(fit.inliers.sum()), fit.rmse, False, shift_px)
    return EgoMotion(np.linalg.inv(fit.T), int(ok.sum()), int(fit.inliers.sum()), fit.rmse, True, shift_px)


def shift_candidates(rgb_a: np.ndarray, rgb_b: np.ndarray, k: int = 2, max_shift_px: int = 32,
                     max_rise_px: int = 6) -> list[np.ndarray]:
    """Up to ``k`` image translations (each (2,), pixels, u right and v down) that carry ``rgb_a`` onto ``rgb_b``,
    best first: the peaks of OpenCV's normalised cross-correlation (``matchTemplate``, ``TM_CCOEFF_NORMED``) of
    ``a``'s centre (less ``max_shift_px`` each side, ``max_rise_px`` top and bottom) over ``b``, at least 6 pixels
    apart sideways. (Phase correlation, tried first, locked onto the striped walls' period.)"""
    ga = cv2.cvtColor(rgb_a, cv2.COLOR_RGB2GRAY)
    gb = cv2.cvtColor(rgb_b, cv2.COLOR_RGB2GRAY)
    H, W = ga.shape
    m, v = min(max_shift_px, W // 4), min(max_rise_px, H // 4)
    score = cv2.matchTemplate(gb, ga[v:H - v, m:W - m], cv2.TM_CCOEFF_NORMED)
    if not np.isfinite(score).any():  # a flat template
        return []
    score = np.nan_to_num(score, nan=-2.0)
    out: list[np.ndarray] = []
    for _ in range(k):
        y, x = np.unravel_index(int(np.argmax(score)), score.shape)
        if score[y, x] <= -1.0:
            break
        out.append(np.array([x - m, y - v], float))
        score[:, max(0, x - 5):x + 6] = -2.0
    return out


def motion_to_command(motion: np.ndarray, dt_s: float, max_speed_mps: float = 1.0,
                      max_yaw_rate_radps: float = 1.2) -> DroneCommand:
    """The body-frame velocity command (m/s, rad/s) that carries out ``motion`` (4×4 ``T_a_b``) in ``dt_s``
    seconds, each component clipped to its limit (horizontal speed scaled as a vector)."""
    t = motion[:3, 3] / dt_s
    v_xy = float(np.hypot(t[0], t[1]))
    scale = min(1.0, max_speed_mps / v_xy) if v_xy > 0 else 1.0
    yaw_rate = math.atan2(motion[1, 0], motion[0, 0]) / dt_s
    return DroneCommand(vx=float(t[0] * scale), vy=float(t[1] * scale), vz=float(np.clip(t[2], -0.5, 0.5)),
                        yaw_rate=float(np.clip(yaw_rate, -max_yaw_rate_radps, max_yaw_rate_radps)))
