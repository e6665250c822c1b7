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

from plansight.agent.contracts import CameraModel, VideoPlan
from plansight.agent.planning.config_executor import ExecutorConfig, PlanMode
from plansight.agent.planning.flow import flow_fn, lk_points, move_points
from plansight.agent.planning.geometry import apply, lift, project, sample_bilinear
from plansight.agent.planning.icp import depth_cloud, icp
from plansight.agent.planning.rigid import (
    RigidFit,
    fit_rigid_3d,
    fit_rigid_pnp,
    fit_translation,
    fit_translation_3d,
    fit_yaw_3d,
)

log = logging.getLogger(__name__)


MOTION_MODELS: dict[str, Callable[[np.ndarray, np.ndarray, CameraModel, ExecutorConfig], RigidFit]] = {
    "rigid": lambda X, uv, cam, cfg: fit_rigid_pnp(X, uv, cam, ransac_px=cfg.fit.ransac_px,
                                                   iterations=cfg.fit.ransac_iters),
    "translation": lambda X, uv, cam, cfg: fit_translation(X, uv, cam, ransac_px=cfg.fit.ransac_px,
                                                           iterations=cfg.fit.ransac_iters,
                                                           depth_prior=cfg.fit.depth_prior_px_per_m),
}
MOTION_MODELS["yaw"] = MOTION_MODELS["translation"]
"""Frame-to-frame object motion models from pixels: full 6-DoF (PnP) or 3-DoF translation. ``yaw`` is fitted as a
translation here: without depth, a few hundred pixels barely show a turn."""

MOTION_MODELS_3D: dict[str, Callable[[np.ndarray, np.ndarray, ExecutorConfig], RigidFit]] = {
    "rigid": lambda X, Y, cfg: fit_rigid_3d(X, Y, thresh_m=cfg.fit.ransac_m, iterations=cfg.fit.ransac_iters),
    "translation": lambda X, Y, cfg: fit_translation_3d(X, Y, thresh_m=cfg.fit.ransac_m,
                                                        iterations=cfg.fit.ransac_iters),
    "yaw": lambda X, Y, cfg: fit_yaw_3d(X, Y, thresh_m=cfg.fit.ransac_m, iterations=cfg.fit.ransac_iters),
}
"""The same models fitted 3-D to 3-D, for RGB-D plans (tracked pixels lifted with the frame's own depth)."""


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
        contact: (3,) contact point on the object in frame 0 (the fingertips when ``held``).
        held: the object was in the closed gripper at frame 0; the subgoals follow the gripper.
        carried_from: frame from which the object rides in the gripper (``carry_start``), or None.
        timings: seconds spent in ``flow`` and ``fit``.
        points: N×3 world points sampled on the object in frame 0 (``transforms[t]`` moves them to frame t).
    """

    mode: PlanMode
    start: np.ndarray
    subgoals: np.ndarray
    transforms: np.ndarray
    contact: np.ndarray
    held: bool = False
    carried_from: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    points: np.ndarray | None = None


def sample_object_points(mask: np.ndarray, depth: np.ndarray, cam: CameraModel, n: int, jitter_px: float,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` jittered pixels (N×2) of ``mask`` and their world points (N×3) lifted with ``depth`` (bilinear)."""
    v, u = np.nonzero(mask)
    if len(u) < 3:
        raise PlanError(f"object mask has {len(u)} pixels; the object is not visible from {cam.name}")
    pick = rng.choice(len(u), n, replace=len(u) < n)
    uv = np.stack([u[pick], v[pick]], axis=1).astype(np.float64)
    uv += rng.uniform(-jitter_px, jitter_px, uv.shape)
    return uv, lift(cam, uv, depth_at(depth, uv, np.stack([u[pick], v[pick]], axis=1)))


def depth_at(depth: np.ndarray, uv: np.ndarray, near: np.ndarray | None = None) -> np.ndarray:
    """Depth (N,) at sub-pixel points ``uv`` (N×2): bilinear, except where that differs by more than 1 cm from the
    depth at the integer pixels ``near`` (N×2; default the nearest ones), as it does across a silhouette, where
    bilinear depth mixes in the background."""
    H, W = depth.shape
    near = np.clip(np.rint(uv), 0, [W - 1, H - 1]).astype(int) if near is None else near
    z, z_near = sample_bilinear(depth, uv), depth[near[:, 1], near[:, 0]]
    return np.where(np.abs(z - z_near) > 0.01, z_near, z)


def contact_point(points: np.ndarray) -> np.ndarray:
    """The sample minimising the summed distance to all others (AVDC's grasp point; a medoid), (3,)."""
    sub = points[:: max(1, len(points) // 250)]
    d = np.linalg.norm(sub[:, None, :] - sub[None, :, :], axis=-1).sum(axis=1)
    return sub[int(np.argmin(d))].copy()


def grasp_xy(points: np.ndarray, contact: np.ndarray, radius_m: float, band_m: float) -> np.ndarray:
    """Horizontal grasp position (2,): the mean xy of the highest points (within ``band_m`` of the top) among
    ``points`` (N×3 world) within ``radius_m`` horizontally of ``contact`` (3,). The fingers close from above; the
    top of a ball, a block or a handle lies over its middle, where the visible-surface ``contact`` leans toward
    the camera."""
    near = points[np.linalg.norm(points[:, :2] - contact[:2], axis=1) <= radius_m]
    if len(near) == 0:
        return contact[:2].copy()
    return near[near[:, 2] >= near[:, 2].max() - band_m, :2].mean(axis=0)


def hand_points(depth: np.ndarray, cam: CameraModel, hand: np.ndarray, cfg: ExecutorConfig, exclude: np.ndarray,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    """Pixels (N×2) and world points (N×3) of the gripper in the first frame, found by geometry, not by
    segmentation: pixels whose depth-lifted point lies within ``tracking.hand_radius_m`` of ``hand`` (the controlled
    fingertip point, world metres) and above the work surface (``tracking.surface_z_m + surface_clear_m``), less
    ``exclude`` (H×W bool, the object). ``None`` when fewer than 10 such pixels are visible."""
    H, W = depth.shape
    v, u = np.mgrid[0:H, 0:W]
    uv = np.stack([u.ravel(), v.ravel()], axis=1).astype(np.float64)
    X = lift(cam, uv, depth.ravel())
    tr = cfg.tracking
    near = ((np.linalg.norm(X - hand, axis=1) <= tr.hand_radius_m) & (X[:, 2] >= tr.surface_z_m + tr.surface_clear_m)
            & ~exclude.ravel())
    idx = np.nonzero(near)[0]
    if len(idx) < 10:
        return None
    pick = rng.choice(idx, min(cfg.tracking.n_points, len(idx)), replace=False)
    return uv[pick], X[pick]


def depth_support(T: np.ndarray, X0: np.ndarray, depth: np.ndarray, cam: CameraModel, tol_m: float) -> int:
    """How well the depth map (H×W metres) of a plan frame confirms that the object points ``X0`` (N×3 world)
    moved by ``T`` (4×4): points whose predicted depth the map shows within ``tol_m``, less points where the map
    shows something farther (the camera sees past where the object should be). A nearer reading is an occluder:
    it neither confirms nor refutes. Points outside the image count as neither."""
    H, W = depth.shape
    uv, z = project(cam, apply(T, X0))
    px = np.rint(uv).astype(int)
    inside = (px[:, 0] >= 0) & (px[:, 0] < W) & (px[:, 1] >= 0) & (px[:, 1] < H) & (z > 0)
    dz = depth[px[inside, 1], px[inside, 0]] - z[inside]
    return int((np.abs(dz) <= tol_m).sum() - (dz > tol_m).sum())


PointMover = Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``mover(k, uv)``: points (N×2) in frame k-1 → their pixels in frame k and a (N,) bool of reliable tracks."""


@dataclass
class _MotionChain:
    """The per-frame steps of ``track_points`` for one set of points ``X0`` (N×3, world, frame 0)."""

    X0: np.ndarray
    cam: CameraModel
    cfg: ExecutorConfig
    depths: np.ndarray | None  # T×H×W metres (RGB-D plan) or None (RGB: reprojection fits)
    what: str

    @property
    def verify(self) -> bool:
        return self.depths is not None and self.cfg.fit.verify_m is not None

    def implausible(self, T: np.ndarray, T_prev: np.ndarray) -> bool:
        """RGB-D fits: the motion sinks the points into the work surface, or jumps farther than any arm moves an
        object between two plan frames (an occluder passing in front gives its own depth to the points)."""
        if self.depths is None:
            return False
        cfg = self.cfg
        X = apply(T, self.X0)
        floor = cfg.tracking.surface_z_m - cfg.tracking.surface_clear_m
        sinks = cfg.fit.surface_gate and float(np.percentile(X[:, 2], 10)) < floor
        step = float(np.linalg.norm(X - apply(T_prev, self.X0), axis=1).max())
        jumps = cfg.fit.max_step_m is not None and step > cfg.fit.max_step_m
        return sinks or jumps

    def support(self, k: int, T: np.ndarray) -> int:
        return depth_support(T, self.X0, self.depths[k], self.cam, self.cfg.fit.verify_m)

    def fit_step(self, k: int, uv_k: np.ndarray, uv_next: np.ndarray, ok: np.ndarray, T_prev: np.ndarray
                 ) -> np.ndarray:
        """Frame k's cumulative transform from the points tracked from frame k-1 (``ok``): the fitted motion when
        it is plausible and explains clearly more points than "it stayed put" (and, with ``verify_m``, the
        frame's depth agrees), else ``T_prev``."""
        cfg, X0 = self.cfg, self.X0
        if ok.sum() < max(6, cfg.fit.min_track_frac * len(uv_k)):
            log.debug("%s frame %d: %d of %d points tracked: lost", self.what, k, ok.sum(), len(uv_k))
            return T_prev
        X_prev = apply(T_prev, X0[ok])
        if self.depths is None:
            n_static = int((np.linalg.norm(uv_next[ok] - uv_k[ok], axis=1) <= cfg.fit.ransac_px).sum())
            fit = MOTION_MODELS[cfg.fit.motion](X_prev, uv_next[ok], self.cam, cfg)
        else:
            z = depth_at(self.depths[k], uv_next[ok])
            seen = (np.ones(len(z), bool) if cfg.fit.occlusion_m is None  # else: something nearer covers the point
                    else z >= project(self.cam, X_prev)[1] - cfg.fit.occlusion_m)
            X_prev, Y = X_prev[seen], lift(self.cam, uv_next[ok][seen], z[seen])
            n_static = int((np.linalg.norm(Y - X_prev, axis=1) <= cfg.fit.ransac_m).sum())
            fit = MOTION_MODELS_3D[cfg.fit.motion](X_prev, Y, cfg)
        T_move = fit.T @ T_prev
        plausible = fit.ok and not self.implausible(T_move, T_prev)
        # the points stay put unless a motion explains clearly more of them (occluders passing in
        # front of a still object drag part of its points along)
        accepted = plausible and fit.inliers.sum() > cfg.fit.static_margin * n_static
        if plausible and self.verify:
            # the frame's depth checks both hypotheses without the flow: the object still seen where it
            # was keeps it there; seen where the motion puts it, and not where it was, moves it
            s_move, s_stay = self.support(k, T_move), self.support(k, T_prev)
            accepted = (s_move >= s_stay if accepted
                        else s_move > s_stay + cfg.fit.verify_margin * len(X0))
        log.debug("%s frame %d: %d tracked, %d static, %d inliers, motion %s", self.what, k, ok.sum(), n_static,
                  fit.inliers.sum() if fit.ok else 0, "accepted" if accepted else "rejected")
        return T_move if accepted else T_prev

    def icp_step(self, k: int, T: np.ndarray, T_prev: np.ndarray) -> np.ndarray:
        """RGB-D plans: ``T`` pulled onto frame k's depth around the object by ICP, when enough points pair and
        the result is plausible (and, with ``verify_m``, supported by the depth at least as well)."""
        cfg = self.cfg
        cloud = depth_cloud(self.depths[k], self.cam, apply(T, self.X0))
        T_icp, n = icp(self.X0, cloud, T, cfg.fit.icp_radius_m, model_name=cfg.fit.motion)
        used = (n >= cfg.fit.min_track_frac * len(self.X0) and not self.implausible(T_icp, T_prev)
                and (not self.verify or self.support(k, T_icp) >= self.support(k, T)))
        log.debug("%s frame %d: ICP %d pairs of %d, moved %.3f m, %s", self.what, k, n, len(cloud),
                  float(np.linalg.norm(T_icp[:3, 3] - T[:3, 3])), "used" if used else "rejected")
        return T_icp if used else T

    def reseed(self, uv_next: np.ndarray, ok: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Points that agree with the motion follow the flow (no bias from the model, e.g. the depth prior); the
        rest (occluded, lost) are re-seeded where the model puts them, so they can come back."""
        predicted = project(self.cam, apply(T, self.X0))[0]
        agree = ok & (np.linalg.norm(uv_next - predicted, axis=1) <= self.cfg.fit.reseed_px)
        return np.where(agree[:, None], uv_next, predicted)


def track_points(frames: np.ndarray, uv0: np.ndarray, X0: np.ndarray, cam: CameraModel, cfg: ExecutorConfig,
                 mover: PointMover, what: str = "object", depths: np.ndarray | None = None) -> np.ndarray:
    """Chain the motion of the points ``X0`` (N×3 world, seen at pixels ``uv0`` in frame 0) through the plan.

    ``mover`` moves points from frame k-1 to frame k (dense flow or Lucas-Kanade). Each frame's motion is fitted
    to the tracked pixels by reprojection, or, with ``depths`` (T×H×W metres, an RGB-D plan), to the tracked
    pixels lifted with their frame's depth (3-D to 3-D), then refined by ICP. Returns T×4×4 cumulative transforms
    from frame 0 (identity first); where the points are lost the motion is held (an occluded object is assumed
    to stay where it was).
    """
    chain = _MotionChain(X0, cam, cfg, depths, what)
    icp_on = depths is not None and cfg.fit.icp_radius_m is not None
    transforms = [np.eye(4)]
    uv_k = uv0  # where the points are in frame k under the current estimate
    for k in range(1, len(frames)):
        uv_next, ok = mover(k, uv_k)
        transforms.append(chain.fit_step(k, uv_k, uv_next, ok, transforms[-1]))
        if icp_on:  # onto the frame's geometry around the object
            transforms[-1] = chain.icp_step(k, transforms[-1], transforms[-2])
        uv_k = chain.reseed(uv_next, ok, transforms[-1])
    return np.stack(transforms)


def truth_transforms(plan: VideoPlan) -> np.ndarray:
    """T×4×4 cumulative object motion from the plan's privileged object poses (``VideoPlan.object_poses``, set by
    simulator oracles): the tracking an ideal flow would give, for ablations."""
    if plan.object_poses is None or len(plan.object_poses) != len(plan.frames):
        raise PlanError("object_tracker 'truth' needs a plan with object_poses (a simulator oracle's plan)")
    P0_inv = np.linalg.inv(plan.object_poses[0])
    return np.stack([P @ P0_inv for P in plan.object_poses])


def carry_start(obj: np.ndarray, hand: np.ndarray, contact: np.ndarray, tool: np.ndarray, cfg: ExecutorConfig
                ) -> int | None:
    """First frame at which the object rides in the hand: it has been lifted ``cfg.tracking.carry_lift_m`` off its
    first-frame height and its contact point is within ``cfg.tracking.carry_dist_m`` of the fingertips (both T×4×4
    cumulative transforms; ``contact`` and ``tool`` are their frame-0 points). ``None`` if never."""
    for k in range(1, len(obj)):
        c, t = apply(obj[k], contact[None])[0], apply(hand[k], tool[None])[0]
        if c[2] - contact[2] >= cfg.tracking.carry_lift_m and np.linalg.norm(c - t) <= cfg.tracking.carry_dist_m:
            return k
    return None


def extract_subgoals(plan: VideoPlan, mask: np.ndarray, depth: np.ndarray, cam: CameraModel, cfg: ExecutorConfig,
                     seed: int = 0, tool: np.ndarray | None = None, gripper_closed: bool = False) -> SubgoalPlan:
    """Turn ``plan`` (frame 0 observed with ``depth`` and object ``mask``, both H×W) into subgoals.

    With ``tool`` (the controlled fingertip point in frame 0, world metres) the gripper is tracked as well, and
    a lifted object follows the gripper's motion from the frame it is picked up (``carry_start``): a carried
    object is mostly hidden by the fingers and moves fast, where flow loses it. If ``gripper_closed`` and the
    object is at the fingertips, the object is held: the plan follows the gripper from frame 0.
    """
    frames = plan.frames
    if frames.ndim != 4 or frames.shape[0] < 2 or frames.shape[1:3] != depth.shape or depth.shape != mask.shape:
        raise PlanError(f"plan frames {frames.shape}, depth {depth.shape} and mask {mask.shape} do not match")
    rng = np.random.default_rng(seed)
    uv0, X0 = sample_object_points(mask, depth, cam, cfg.tracking.n_points, cfg.tracking.jitter_px, rng)
    contact = contact_point(X0)
    held = bool(tool is not None and gripper_closed and np.linalg.norm(tool - contact) < cfg.grasp.holding_dist_m)

    timings = {"flow": 0.0, "fit": 0.0}
    flow = flow_fn(cfg.tracking.flow)
    fields: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}

    def flow_pair(k: int) -> tuple[np.ndarray, np.ndarray | None]:
        if k not in fields:
            t = time.perf_counter()
            a, b = frames[k - 1], frames[k]
            fields[k] = (flow(a, b), flow(b, a) if cfg.tracking.fb_tol_px is not None else None)
            timings["flow"] += time.perf_counter() - t
        return fields[k]

    def dense(k: int, uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return move_points(*flow_pair(k), uv, cfg.tracking.fb_tol_px)

    def sparse(k: int, uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = time.perf_counter()
        tr = cfg.tracking
        out = lk_points(frames[k - 1], frames[k], uv, tr.fb_tol_px, tr.lk_win_px, tr.lk_levels)
        timings["flow"] += time.perf_counter() - t
        return out

    movers: dict[str, PointMover] = {"dense": dense, "lk": sparse}

    depths = plan.depth if cfg.fit.plan_depth else None
    if depths is not None and depths.shape != frames.shape[:3]:
        raise PlanError(f"plan depth {depths.shape} does not match its frames {frames.shape}")

    def timed_track(uv: np.ndarray, X: np.ndarray, what: str, tracker: str) -> np.ndarray:
        t, flow_before = time.perf_counter(), timings["flow"]
        Ts = track_points(frames, uv, X, cam, cfg, movers[tracker], what, depths)
        timings["fit"] += time.perf_counter() - t - (timings["flow"] - flow_before)
        return Ts

    # the gripper is tracked when configured; a held object is always tracked together with the fingers
    # around it (``held_with_hand``): under the fingers too few of its own pixels stay visible to track
    # (``truth`` is no point mover: a held object then keeps its true poses)
    tr = cfg.tracking
    hand_tracker = tr.gripper_tracker or (tr.object_tracker if held and tr.held_with_hand else None)
    gripper = None
    if tool is not None and hand_tracker in movers:
        gripper = hand_points(depth, cam, tool, cfg, np.zeros_like(mask) if held else mask, rng)
    hand_Ts = None if gripper is None else timed_track(*gripper, "gripper", hand_tracker)
    if held and hand_Ts is not None:
        transforms, contact, carried = hand_Ts, np.asarray(tool, dtype=np.float64).copy(), 0
    else:
        transforms = (truth_transforms(plan) if cfg.tracking.object_tracker == "truth"
                      else timed_track(uv0, X0, "object", cfg.tracking.object_tracker))
        carried = None if hand_Ts is None else carry_start(transforms, hand_Ts, contact, tool, cfg)
        if carried is not None:  # from then on the object moves as the hand does
            for j in range(carried + 1, len(transforms)):
                transforms[j] = hand_Ts[j] @ np.linalg.inv(hand_Ts[carried]) @ transforms[carried]
    log.debug("plan %s: gripper %s, held %s, carried from frame %s", plan.task,
              "tracked" if hand_Ts is not None else "not visible", held, carried)
    mode, start, subgoals = place_subgoals(transforms, contact, X0, cam, cfg, held, hand_Ts is not None)
    log.debug("plan %s: mode %s, contact %s", plan.task, mode, np.round(contact, 3))
    return SubgoalPlan(mode=mode, start=start, subgoals=subgoals, transforms=transforms, contact=contact, held=held,
                       carried_from=carried, timings=timings, points=X0)


def place_subgoals(Ts: np.ndarray, contact: np.ndarray, X0: np.ndarray, cam: CameraModel, cfg: ExecutorConfig,
                   held: bool, hand_tracked: bool) -> tuple[PlanMode, np.ndarray, np.ndarray]:
    """Grasp or push, the start point and the K×3 subgoals (world metres) from the object's motion ``Ts`` (T×4×4,
    cumulative from frame 0) carried onto the ``contact`` point. A grasp aims at the object's middle (below the
    visible contact, over its top: ``grasp_xy``); a push starts behind the object along its direction of travel
    and moves lowered subgoals."""
    subgoals = np.stack([apply(T, contact[None])[0] for T in Ts[1:]])
    path = np.vstack([contact[None], subgoals])
    dz = float(path[:, 2].max() - path[:, 2].min())
    g = cfg.grasp
    ray = contact - cam.T_body_cam[:3, 3]
    grasp_offset = g.grasp_behind_m * ray / np.linalg.norm(ray) - np.array([0.0, 0.0, g.grasp_lower_m])
    if g.grasp_top_radius_m is not None:  # horizontally: over the top of the object around the contact
        grasp_offset[:2] = grasp_xy(X0, contact, g.grasp_top_radius_m, g.grasp_top_band_m) - contact[:2]
    if held:  # in the hand already: keep holding and follow from where the fingertips are
        if not hand_tracked and dz > g.grasp_dz_m:  # the object's own track: the path of its grasp point
            subgoals = subgoals + grasp_offset
        return "grasp", contact, subgoals
    if dz > g.grasp_dz_m:  # carry the grasp point along the object's motion
        return "grasp", contact + grasp_offset, subgoals + grasp_offset
    dist = np.linalg.norm(subgoals - contact, axis=1)
    far = np.nonzero(dist > g.push_dir_min_m)[0]
    target = subgoals[far[0]] if len(far) else subgoals[-1]
    d = target - contact
    norm = np.linalg.norm(d)
    start = contact - g.push_behind_m * d / norm if norm > 1e-6 else contact
    return "push", start, subgoals - np.array([0.0, 0.0, g.push_lower_m])
