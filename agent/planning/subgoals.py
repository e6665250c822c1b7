"""From a video plan to end-effector subgoals: sample object points, track them with flow, fit the
object's rigid motion frame by frame, carry the contact point along, and decide grasp or push.

Frames: all 3-D quantities are in the world (arm base) frame, metres.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from agent.contracts import CameraModel, VideoPlan
from agent.planning.config_executor import ExecutorConfig
from agent.planning.flow import flow_fn, step_points
from agent.planning.geometry import apply, lift, project, sample_bilinear
from agent.planning.rigid import RigidFit, fit_rigid_pnp, fit_translation

log = logging.getLogger(__name__)


MOTION_MODELS: dict[str, Callable[[np.ndarray, np.ndarray, CameraModel, ExecutorConfig], RigidFit]] = {
    "rigid": lambda X, uv, cam, cfg: fit_rigid_pnp(X, uv, cam, ransac_px=cfg.ransac_px, iterations=cfg.ransac_iters),
    "translation": lambda X, uv, cam, cfg: fit_translation(X, uv, cam, ransac_px=cfg.ransac_px,
                                                           iterations=cfg.ransac_iters,
                                                           depth_prior=cfg.depth_prior_px_per_m),
}
"""Frame-to-frame object motion models: full 6-DoF (PnP) or 3-DoF translation."""


class PlanError(ValueError):
    """The plan cannot be turned into subgoals (no object pixels, bad depth, wrong shapes)."""


@dataclass
class SubgoalPlan:
    """End-effector targets extracted from one video plan.

    Attributes:
        mode: ``grasp`` or ``push``.
        start: (3,) where the hand goes first (the contact point, or behind it when pushing).
        subgoals: K×3 targets, in order.
        transforms: T×4×4 cumulative object motion from frame 0 (identity first).
        contact: (3,) contact point on the object in frame 0.
        timings: seconds spent in ``flow`` and ``fit``.
    """

    mode: str
    start: np.ndarray
    subgoals: np.ndarray
    transforms: np.ndarray
    contact: np.ndarray
    lowered: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def sample_object_points(mask: np.ndarray, depth: np.ndarray, cam: CameraModel, n: int, jitter_px: float,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` jittered pixels (N×2) of ``mask`` and their world points (N×3) lifted with ``depth`` (bilinear)."""
    v, u = np.nonzero(mask)
    if len(u) < 3:
        raise PlanError(f"object mask has {len(u)} pixels; the object is not visible from {cam.name}")
    pick = rng.choice(len(u), n, replace=len(u) < n)
    uv = np.stack([u[pick], v[pick]], axis=1).astype(np.float64)
    uv += rng.uniform(-jitter_px, jitter_px, uv.shape)
    z = sample_bilinear(depth, uv)
    # bilinear depth across the object's silhouette mixes in the background: use the nearest mask pixel's
    z_near = depth[v[pick], u[pick]]
    z = np.where(np.abs(z - z_near) > 0.01, z_near, z)
    return uv, lift(cam, uv, z)


def contact_point(points: np.ndarray) -> np.ndarray:
    """The sample minimising the summed distance to all others (AVDC's grasp point; a medoid), (3,)."""
    sub = points[:: max(1, len(points) // 250)]
    d = np.linalg.norm(sub[:, None, :] - sub[None, :, :], axis=-1).sum(axis=1)
    return sub[int(np.argmin(d))].copy()


def extract_subgoals(plan: VideoPlan, mask: np.ndarray, depth: np.ndarray, cam: CameraModel, cfg: ExecutorConfig,
                     seed: int = 0) -> SubgoalPlan:
    """Turn ``plan`` (frame 0 observed with ``depth`` and object ``mask``, both H×W) into subgoals."""
    frames = plan.frames
    if frames.ndim != 4 or frames.shape[0] < 2 or frames.shape[1:3] != depth.shape or depth.shape != mask.shape:
        raise PlanError(f"plan frames {frames.shape}, depth {depth.shape} and mask {mask.shape} do not match")
    rng = np.random.default_rng(seed)
    uv0, X0 = sample_object_points(mask, depth, cam, cfg.n_points, cfg.jitter_px, rng)
    contact = contact_point(X0)

    t_flow = t_fit = 0.0
    flow = flow_fn(cfg.flow)
    fit_motion = MOTION_MODELS[cfg.motion]
    transforms = [np.eye(4)]
    uv_k = uv0  # where the object's points are in frame k under the current estimate
    for k in range(1, len(frames)):
        t0 = time.perf_counter()
        uv_next, ok = step_points(frames[k - 1], frames[k], uv_k, flow, cfg.fb_tol_px)
        t1 = time.perf_counter()
        t_flow += t1 - t0
        T_prev = transforms[-1]
        if ok.sum() < max(6, cfg.min_track_frac * len(uv0)):
            transforms.append(T_prev)  # lost the object (occluded): assume it stayed where it was
        else:
            moved = np.linalg.norm(uv_next[ok] - uv_k[ok], axis=1)
            n_static = int((moved <= cfg.ransac_px).sum())
            X_prev = apply(T_prev, X0[ok])
            fit = fit_motion(X_prev, uv_next[ok], cam, cfg)
            # the object stays put unless a motion explains clearly more points (occluders passing in
            # front of a still object drag part of its points along)
            if fit.ok and fit.inliers.sum() > cfg.static_margin * n_static:
                transforms.append(fit.T @ T_prev)
            else:
                transforms.append(T_prev)
        # points that agree with the motion follow the flow (no bias from the model, e.g. the depth prior);
        # the rest (occluded, lost) are re-seeded where the model puts them, so they can come back
        predicted = project(cam, apply(transforms[-1], X0))[0]
        agree = ok & (np.linalg.norm(uv_next - predicted, axis=1) <= cfg.reseed_px)
        uv_k = np.where(agree[:, None], uv_next, predicted)
        t_fit += time.perf_counter() - t1
    Ts = np.stack(transforms)
    subgoals = np.stack([apply(T, contact[None])[0] for T in Ts[1:]])
    path = np.vstack([contact[None], subgoals])
    dz = float(path[:, 2].max() - path[:, 2].min())
    if dz > cfg.grasp_dz_m:
        # the contact point is on the visible surface; grasp lower, around the object's middle, and carry
        # the grasp point along the object's motion
        mode = "grasp"
        ray = contact - cam.T_body_cam[:3, 3]
        offset = cfg.grasp_behind_m * ray / np.linalg.norm(ray) - np.array([0.0, 0.0, cfg.grasp_lower_m])
        start = contact + offset
        subgoals = subgoals + offset
    else:
        mode = "push"
        dist = np.linalg.norm(subgoals - contact, axis=1)
        far = np.nonzero(dist > cfg.push_dir_min_m)[0]
        target = subgoals[far[0]] if len(far) else subgoals[-1]
        d = target - contact
        norm = np.linalg.norm(d)
        start = contact - cfg.push_behind_m * d / norm if norm > 1e-6 else contact
        subgoals = subgoals - np.array([0.0, 0.0, cfg.push_lower_m])
    log.debug("plan %s: mode %s, dz %.3f m, contact %s", plan.task, mode, dz, np.round(contact, 3))
    return SubgoalPlan(mode=mode, start=start, subgoals=subgoals, transforms=Ts, contact=contact,
                       lowered=mode == "push", timings={"flow": t_flow, "fit": t_fit})
