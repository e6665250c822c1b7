"""Plan → subgoals on synthetic plans: a textured object sliding over a textured table seen from above, so the
true world motion is known; the gripper track, the held object and the carry rule."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from plansight.agent.contracts import CameraModel, VideoPlan
from plansight.agent.planning.config_executor import ExecutorConfig
from plansight.agent.planning.flow import lk_points
from plansight.agent.planning.geometry import lift
from plansight.agent.planning.subgoals import (
    PlanError,
    carry_start,
    contact_point,
    depth_support,
    extract_subgoals,
    grasp_xy,
    hand_points,
)

W, H, HEIGHT_M, PLANE_Z = 160, 120, 1.0, 0.2  # camera 1 m up looking straight down at a plane 0.2 m high


def _camera() -> CameraModel:
    T = np.eye(4)
    T[:3, :3] = np.diag([1.0, -1.0, -1.0])  # optical axis down (world -z), image v along world -y
    T[:3, 3] = (0.0, 0.0, HEIGHT_M)
    return CameraModel.from_fovy("top", W, H, 45.0, T_body_cam=T)


def _texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    return cv2.GaussianBlur((rng.random((h, w, 3)) * 255).astype(np.uint8), (5, 5), 1.2)


def _plan(step_px: tuple[float, float], n: int = 7, size: int = 40) -> tuple[VideoPlan, np.ndarray, np.ndarray]:
    """Frames of a ``size``-pixel textured square moving ``step_px`` (du, dv) per frame over a static table;
    first-frame object mask and planar depth (H×W metres)."""
    rng = np.random.default_rng(0)
    table, patch = _texture(rng, H, W), _texture(rng, size, size)
    u0, v0 = 40, 40
    frames = []
    for k in range(n):
        f = table.copy()
        M = np.float32([[1, 0, u0 + k * step_px[0]], [0, 1, v0 + k * step_px[1]]])
        warped = cv2.warpAffine(patch, M, (W, H))
        inside = cv2.warpAffine(np.ones((size, size), np.uint8), M, (W, H)) > 0
        f[inside] = warped[inside]
        frames.append(f)
    mask = np.zeros((H, W), bool)
    mask[v0:v0 + size, u0:u0 + size] = True
    depth = np.full((H, W), HEIGHT_M - PLANE_Z, np.float32)
    return VideoPlan(frames=np.stack(frames), camera="top", task="synthetic"), mask, depth


def _metres(cam: CameraModel, du: float, dv: float) -> np.ndarray:
    z = HEIGHT_M - PLANE_Z
    return np.array([du * z / cam.fx, -dv * z / cam.fy, 0.0])


def test_a_sliding_object_gives_its_world_motion_and_a_push():
    cam = _camera()
    plan, mask, depth = _plan((3.0, 2.0))
    sp = extract_subgoals(plan, mask, depth, cam, ExecutorConfig(), seed=0)
    moved = sp.transforms[-1][:3, 3]
    assert np.linalg.norm(moved - _metres(cam, 18.0, 12.0)) < 0.01, moved
    assert sp.mode == "push" and not sp.held and sp.carried_from is None


def test_a_held_object_follows_the_gripper_from_the_fingertips():
    cam = _camera()
    plan, mask, depth = _plan((3.0, 0.0))
    tool = np.array([*_metres(cam, 60.0 - cam.cx, 60.0 - cam.cy)[:2], PLANE_Z])  # the square's centre pixel (60, 60)
    cfg = ExecutorConfig(gripper_tracker="lk")
    sp = extract_subgoals(plan, mask, depth, cam, cfg, seed=0, tool=tool, gripper_closed=True)
    assert sp.held and sp.mode == "grasp"
    assert np.allclose(sp.start, tool)
    assert np.linalg.norm(sp.subgoals[-1] - (tool + _metres(cam, 18.0, 0.0))) < 0.01, sp.subgoals[-1]
    open_hand = extract_subgoals(plan, mask, depth, cam, cfg, seed=0, tool=tool, gripper_closed=False)
    assert not open_hand.held


def test_a_held_object_without_a_gripper_tracker_follows_the_fingers_around_it():
    """``held_with_hand``: the plan of a held object follows the fingertip region (here the moving square) even
    with no gripper tracker; off, it follows the object's own points (a static strip beside it, as when the
    fingers hide the object and flow sees only what stays)."""
    cam = _camera()
    plan, _, depth = _plan((3.0, 0.0))
    strip = np.zeros((H, W), bool)
    strip[55:66, 30:38] = True  # static table texture left of the square, which moves right
    tool = np.array([*_metres(cam, 60.0 - cam.cx, 60.0 - cam.cy)[:2], PLANE_Z])  # the square's centre
    base = {"holding_dist_m": 0.2}  # the strip's centre is 14.6 cm from the fingertips
    on = extract_subgoals(plan, strip, depth, cam, ExecutorConfig(**base, held_with_hand=True), seed=0, tool=tool,
                          gripper_closed=True)
    off = extract_subgoals(plan, strip, depth, cam, ExecutorConfig(**base, held_with_hand=False), seed=0, tool=tool,
                           gripper_closed=True)
    assert on.held and off.held
    assert np.linalg.norm(on.subgoals[-1] - (tool + _metres(cam, 18.0, 0.0))) < 0.01, on.subgoals[-1]
    assert np.linalg.norm(off.transforms[-1][:3, 3]) < 0.005  # the strip did not move


def _rising(plan: VideoPlan, mask: np.ndarray, depth: np.ndarray, dz: float) -> VideoPlan:
    """``plan`` with per-frame depth in which the object (``mask``) comes ``dz`` metres up, straight toward the
    camera over the plan, and the table stays: motion along the camera ray, invisible in the frames."""
    n = len(plan.frames)
    depths = np.repeat(depth[None], n, axis=0)
    for k in range(n):
        depths[k][mask] -= dz * k / (n - 1)
    return dataclasses.replace(plan, depth=depths)


def test_an_rgbd_plan_shows_motion_along_the_camera_ray():
    cam = _camera()
    plan, mask, depth = _plan((0.0, 0.0))
    rgbd = _rising(plan, mask, depth, 0.15)
    sp = extract_subgoals(rgbd, mask, depth, cam, ExecutorConfig(), seed=0)
    centre, z0 = np.array([[59.5, 59.5]]), HEIGHT_M - PLANE_Z  # the square's centre pixel moves along its ray
    along_ray = (lift(cam, centre, np.array([z0 - 0.15])) - lift(cam, centre, np.array([z0])))[0]
    assert along_ray[2] == pytest.approx(0.15) and abs(along_ray[0]) > 0.01
    assert np.allclose(sp.transforms[-1][:3, 3], along_ray, atol=0.005), sp.transforms[-1][:3, 3]
    assert sp.mode == "grasp"  # lifted 15 cm > grasp_dz_m
    rgb = extract_subgoals(rgbd, mask, depth, cam, ExecutorConfig(plan_depth=False), seed=0)
    assert np.allclose(rgb.transforms[-1], np.eye(4)) and rgb.mode == "push"  # AVDC's input cannot see it
    with pytest.raises(PlanError, match="plan depth"):
        extract_subgoals(dataclasses.replace(rgbd, depth=rgbd.depth[:, :10]), mask, depth, cam, ExecutorConfig())


def test_the_surface_gate_keeps_objects_out_of_the_table():
    cam = _camera()
    plan, mask, depth = _plan((0.0, 0.0))
    sinking = _rising(plan, mask, depth, -0.1)  # the depth says the object goes 10 cm down, into the table
    table = ExecutorConfig(surface_z_m=PLANE_Z - 0.02, surface_gate=True)
    dz = extract_subgoals(sinking, mask, depth, cam, table).transforms[-1][2, 3]
    assert -0.03 <= dz <= 0.0  # down to the surface (2 cm below the object) less its 1 cm clearance, no further
    no_gate = table.replace(surface_gate=False)
    assert extract_subgoals(sinking, mask, depth, cam, no_gate).transforms[-1][2, 3] < -0.09


@pytest.mark.parametrize("guard", [{"max_step_m": 0.15}, {"occlusion_m": 0.05}, {"verify_m": 0.01}])
def test_an_occluder_passing_in_front_is_not_the_object(guard):
    """Unguarded, the points lifted onto an occluder carry the object with it; a step limit (the default), an
    occlusion test or depth verification (the object no more seen where it was than where it is) each keep it."""
    cam = _camera()
    plan, mask, depth = _plan((0.0, 0.0))
    occluded = _rising(plan, mask, depth, 0.0)
    occluded.depth[4:][:, mask] -= 0.3  # from frame 4 something 30 cm nearer covers the object's pixels
    unguarded = ExecutorConfig(max_step_m=None)
    free = extract_subgoals(occluded, mask, depth, cam, unguarded, seed=0).transforms[-1][2, 3]
    assert free > 0.25  # the object seems to jump towards the camera
    limited = extract_subgoals(occluded, mask, depth, cam, unguarded.replace(**guard), seed=0)
    assert np.linalg.norm(limited.transforms[-1][:3, 3]) < 0.02  # it stays (ICP slides it on the flat table a little)


def test_true_object_motion_replaces_tracking_when_the_plan_carries_it():
    cam = _camera()
    plan, mask, depth = _plan((0.0, 0.0))  # the frames show no motion at all...
    poses = np.repeat(np.eye(4)[None], len(plan.frames), axis=0)
    poses[:, 2, 3] = np.linspace(0.0, 0.3, len(plan.frames))  # ...but the object rises 30 cm
    truth = ExecutorConfig(object_tracker="truth")
    sp = extract_subgoals(dataclasses.replace(plan, object_poses=poses), mask, depth, cam, truth)
    assert np.isclose(sp.transforms[-1][2, 3], 0.3) and sp.mode == "grasp"
    with pytest.raises(PlanError, match="object_poses"):
        extract_subgoals(plan, mask, depth, cam, truth)


def test_gripper_pixels_come_from_geometry_near_the_fingertips():
    cam = _camera()
    _, mask, depth = _plan((0.0, 0.0))
    tool = np.array([0.0, 0.0, PLANE_Z])
    cfg = ExecutorConfig()
    uv, X = hand_points(depth, cam, tool, cfg, np.zeros_like(mask), np.random.default_rng(0))
    assert np.all(np.linalg.norm(X - tool, axis=1) <= cfg.tracking.hand_radius_m + 1e-9) and len(uv) > 50
    assert np.allclose(uv.mean(axis=0), (cam.cx, cam.cy), atol=2.0)
    # the work surface is not the gripper, and neither is the object
    low = ExecutorConfig(surface_z_m=PLANE_Z - 0.005)
    assert hand_points(depth, cam, tool, low, np.zeros_like(mask), np.random.default_rng(0)) is None
    assert hand_points(depth, cam, tool, cfg, np.ones_like(mask), np.random.default_rng(0)) is None


def _lifted(zs: list[float], xy: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    Ts = np.repeat(np.eye(4)[None], len(zs), axis=0)
    Ts[:, 2, 3] = zs
    Ts[:, 0, 3], Ts[:, 1, 3] = xy
    return Ts


def test_an_object_rides_in_the_hand_once_lifted_next_to_it():
    cfg = ExecutorConfig()
    contact, tool = np.zeros(3), np.array([0.0, 0.0, 0.02])
    obj = _lifted([0.0, 0.0, 0.01, 0.05, 0.09])
    hand = _lifted([0.0, -0.01, 0.0, 0.04, 0.08])
    assert carry_start(obj, hand, contact, tool, cfg) == 3  # first frame lifted ≥ 4 cm, fingertips near
    far_hand = _lifted([0.0, 0.0, 0.0, 0.0, 0.0], xy=(0.3, 0.0))
    assert carry_start(obj, far_hand, contact, tool, cfg) is None  # lifted by something else: not carried
    assert carry_start(_lifted([0.0] * 5), hand, contact, tool, cfg) is None  # never lifted


def test_lucas_kanade_follows_a_large_shift():
    rng = np.random.default_rng(3)
    tex = _texture(rng, 240, 320)
    moved = cv2.warpAffine(tex, np.float32([[1, 0, 14.0], [0, 1, -9.0]]), (320, 240), borderMode=cv2.BORDER_REFLECT)
    uv = rng.uniform(60, 180, (100, 2))
    uv1, ok = lk_points(tex, moved, uv)
    assert ok.mean() > 0.9
    assert np.median(np.linalg.norm(uv1[ok] - uv[ok] - [14.0, -9.0], axis=1)) < 0.3


@pytest.mark.parametrize("bad", [{"object_tracker": "sift"}, {"gripper_tracker": "dense2"}])
def test_unknown_trackers_are_refused(bad):
    with pytest.raises(ValueError, match="tracker"):
        ExecutorConfig(**bad)


@pytest.mark.parametrize("field", ["ransac_m", "icp_radius_m", "max_step_m", "occlusion_m", "verify_m",
                                   "grasp_top_radius_m", "grasp_top_band_m"])
def test_distances_must_be_positive(field):
    with pytest.raises(ValueError, match=f"{field} must be > 0"):
        ExecutorConfig(**{field: 0.0})
    with pytest.raises(ValueError, match=field):
        ExecutorConfig.from_overrides({field: -0.01})


def test_the_grasp_goes_over_the_top_of_a_ball_not_its_camera_side():
    """The visible half of a 3 cm ball seen from the side and above: its medoid leans toward the camera; the
    highest points near it lie over the centre."""
    rng = np.random.default_rng(0)
    centre, r = np.array([0.1, 0.6, 0.03]), 0.03
    d = rng.normal(size=(4000, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    to_cam = np.array([-1.0, -1.0, 1.0]) / np.sqrt(3.0)  # camera up and to the -x, -y side
    pts = centre + r * d[d @ to_cam > 0]
    contact = contact_point(pts)
    off_medoid = np.linalg.norm(contact[:2] - centre[:2])
    off_top = np.linalg.norm(grasp_xy(pts, contact, 0.03, 0.005) - centre[:2])
    assert off_medoid > 0.01 and off_top < 0.006 and off_top < off_medoid / 2, (off_medoid, off_top)


def test_depth_support_confirms_where_the_object_is_and_ignores_an_occluder():
    """A 10 cm square 5 cm above the table, seen from above: the depth confirms it where it is, refutes it where
    the table shows through, and a nearer occluder neither confirms nor refutes."""
    cam = _camera()
    depth = np.full((H, W), HEIGHT_M - PLANE_Z, np.float32)
    v, u = np.mgrid[50:70, 70:90]  # the object's pixels, 5 cm above the table
    depth[v, u] = HEIGHT_M - PLANE_Z - 0.05
    X0 = lift(cam, np.stack([u.ravel(), v.ravel()], axis=1).astype(float), depth[v, u].ravel())
    here, moved = np.eye(4), np.eye(4)
    moved[:3, 3] = _metres(cam, 40.0, 0.0)  # 40 px to the side: over bare table
    assert depth_support(here, X0, depth, cam, 0.01) == len(X0)
    assert depth_support(moved, X0, depth, cam, 0.01) == -len(X0)  # the table is seen past it
    covered = depth.copy()
    covered[v, u] = 0.3  # an arm in front of all of it
    assert depth_support(here, X0, covered, cam, 0.01) == 0
