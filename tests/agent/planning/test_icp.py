"""ICP onto the depth cloud: a known motion recovered from a perturbed start, and an RGB-D plan whose frames show
no motion (flow sees nothing) while its depth shows the object moving."""

from __future__ import annotations

import dataclasses

import numpy as np

from plansight.agent.planning.config_executor import ExecutorConfig
from plansight.agent.planning.geometry import apply, lift
from plansight.agent.planning.icp import depth_cloud, icp
from plansight.agent.planning.rigid import kabsch
from plansight.agent.planning.subgoals import extract_subgoals
from tests.agent.planning.test_subgoals import HEIGHT_M, PLANE_Z, _camera, _plan


def _ball(rng: np.random.Generator, n: int, r: float = 0.03) -> np.ndarray:
    d = rng.normal(size=(n, 3))
    return r * d / np.linalg.norm(d, axis=1, keepdims=True)


def test_icp_recovers_a_translation_and_a_small_rotation():
    rng = np.random.default_rng(0)
    model = _ball(rng, 400) * [1.0, 2.0, 0.7]  # an ellipsoid: rotation is observable
    T = np.eye(4)
    T[:3, 3] = (0.012, -0.008, 0.01)
    cloud = apply(T, model) + rng.normal(0, 0.0005, model.shape)
    T_fit, n = icp(model, cloud, np.eye(4), radius_m=0.03, iterations=30)
    assert n > 350 and np.allclose(T_fit[:3, 3], T[:3, 3], atol=2e-3)
    c, s = np.cos(0.1), np.sin(0.1)
    R = np.eye(4)
    R[:2, :2] = [[c, -s], [s, c]]
    T_fit, _ = icp(model, apply(R, model), np.eye(4), radius_m=0.03, iterations=50, model_name="rigid")
    assert np.allclose(T_fit[:3, :3], R[:3, :3], atol=0.02)
    T_yaw, _ = icp(model, apply(R, model), np.eye(4), radius_m=0.03, iterations=50, model_name="yaw")
    assert np.allclose(T_yaw, R, atol=0.01)  # the same turn about the vertical axis, with the 4-DoF step
    far, n = icp(model, cloud + 1.0, np.eye(4), radius_m=0.03)  # nothing near: the start is kept
    assert n == 0 and np.allclose(far, np.eye(4))
    assert np.allclose(kabsch(model, model), np.eye(4))


def test_depth_cloud_is_the_box_around_the_object():
    cam = _camera()
    depth = np.full((cam.height, cam.width), HEIGHT_M - PLANE_Z, np.float32)
    around = lift(cam, np.array([[60.0, 50.0], [70.0, 55.0]]), np.array([0.8, 0.8]))
    cloud = depth_cloud(depth, cam, around, margin_px=2)
    assert len(cloud) == 15 * 10 and np.allclose(cloud[:, 2], PLANE_Z)
    assert len(depth_cloud(depth, cam, around + [10.0, 0.0, 0.0])) == 0  # outside the image


def _bump_depth(centre_u: float, n_px: int = 20) -> np.ndarray:
    """Planar depth (H×W) of the table with a hemisphere of radius ``n_px`` pixels (5 cm tall) at (centre_u, 60)."""
    cam = _camera()
    v, u = np.mgrid[0:cam.height, 0:cam.width]
    r2 = ((u - centre_u) ** 2 + (v - 60.0) ** 2) / n_px ** 2
    return (HEIGHT_M - PLANE_Z - 0.05 * np.sqrt(np.clip(1 - r2, 0, None))).astype(np.float32)


def test_an_rgbd_plan_tracks_the_object_in_depth_where_flow_sees_nothing():
    cam = _camera()
    plan, _, _ = _plan((0.0, 0.0))  # the frames never change
    n = len(plan.frames)
    depths = np.stack([_bump_depth(60.0 + 2.0 * k) for k in range(n)])  # the bump moves 2 px per frame
    mask = depths[0] < HEIGHT_M - PLANE_Z - 0.01
    rgbd = dataclasses.replace(plan, depth=depths)
    cfg = ExecutorConfig(icp_radius_m=0.02)
    moved = extract_subgoals(rgbd, mask, depths[0], cam, cfg, seed=0).transforms[-1][:3, 3]
    top = lift(cam, np.array([[60.0, 60.0], [60.0 + 2.0 * (n - 1), 60.0]]), np.full(2, HEIGHT_M - PLANE_Z - 0.05))
    expected = top[1] - top[0]
    assert expected[0] > 0.04 and np.allclose(moved, expected, atol=0.01), (moved, expected)
    still = extract_subgoals(rgbd, mask, depths[0], cam, cfg.replace(icp_radius_m=None, verify_m=None),
                             seed=0)
    assert np.allclose(still.transforms[-1], np.eye(4))  # without ICP or depth verification the still frames win
