"""Motion estimation from flow: known transforms recovered through noise and outliers."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from plansight.agent.contracts import CameraModel
from plansight.agent.planning.flow import FLOW, step_points
from plansight.agent.planning.geometry import apply, lift, project, sample_bilinear
from plansight.agent.planning.rigid import fit_rigid_3d, fit_rigid_pnp, fit_translation, fit_translation_3d, fit_yaw_3d


def _camera() -> CameraModel:
    """A camera 1.5 m from the origin looking at it obliquely (like Meta-World's corner cameras)."""
    T = np.eye(4)
    R = cv2.Rodrigues(np.array([0.9, 0.2, 0.1]))[0]
    T[:3, :3] = R
    T[:3, 3] = -R @ np.array([0.0, 0.0, 1.5])
    return CameraModel.from_fovy("cam", 320, 240, 45.0, T_body_cam=np.linalg.inv(np.linalg.inv(T)))


def _motion(deg: float, t: tuple[float, float, float], about: np.ndarray) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = cv2.Rodrigues(np.radians(deg) * np.array([0.3, -0.5, 0.81]) / np.linalg.norm([0.3, -0.5, 0.81]))[0]
    T[:3, 3] = about - T[:3, :3] @ about + np.asarray(t)
    return T


def _object(cam: CameraModel, rng: np.random.Generator, n: int = 400, size: float = 0.12) -> np.ndarray:
    centre = apply(cam.T_body_cam, np.array([[0.0, 0.0, 1.5]]))[0]
    return centre + rng.uniform(-size / 2, size / 2, (n, 3))


def _flow_field(cam: CameraModel, X: np.ndarray, T: np.ndarray, noise_px: float, rng) -> np.ndarray:
    """Synthetic dense flow: the object's true motion splatted around its pixels, noise everywhere."""
    uv0, _ = project(cam, X)
    uv1, _ = project(cam, apply(T, X))
    flow = rng.normal(0.0, noise_px, (cam.height, cam.width, 2)).astype(np.float32)
    for (u, v), d in zip(np.round(uv0).astype(int), uv1 - uv0, strict=True):
        flow[max(v - 1, 0):v + 2, max(u - 1, 0):u + 2] = d + rng.normal(0.0, noise_px, 2)
    return flow


def test_rigid_pnp_recovers_known_transform_from_noisy_flow_with_outliers():
    rng = np.random.default_rng(0)
    cam = _camera()
    X = _object(cam, rng)
    T_true = _motion(8.0, (0.03, -0.02, 0.01), X.mean(axis=0))
    flow = _flow_field(cam, X, T_true, noise_px=0.2, rng=rng)
    uv0, _ = project(cam, X)
    uv1 = uv0 + sample_bilinear(flow, uv0)
    outliers = rng.random(len(X)) < 0.3  # 30 % of the tracks follow something else (an occluding gripper)
    uv1[outliers] += rng.uniform(-25, 25, (outliers.sum(), 2))
    fit = fit_rigid_pnp(X, uv1, cam, ransac_px=1.0, iterations=200)
    assert fit.ok
    R_err = np.degrees(np.linalg.norm(cv2.Rodrigues(fit.T[:3, :3] @ T_true[:3, :3].T)[0]))
    moved_err = np.linalg.norm(apply(fit.T, X) - apply(T_true, X), axis=1)
    assert R_err < 2.5, R_err  # rotation of a 12 cm object seen from 1.5 m through 0.2 px noise
    assert np.median(moved_err) < 0.005, np.median(moved_err)
    assert fit.inliers[outliers].mean() < 0.1 and fit.inliers[~outliers].mean() > 0.8
    # and a fit that ignores the outliers would be wrong: the test can fail
    naive = fit_rigid_pnp(X, uv1, cam, ransac_px=100.0, iterations=1)
    assert np.median(np.linalg.norm(apply(naive.T, X) - apply(T_true, X), axis=1)) > np.median(moved_err)


def test_translation_fit_recovers_motion_and_rejects_outliers():
    rng = np.random.default_rng(1)
    cam = _camera()
    X = _object(cam, rng, size=0.05)
    t_true = apply(cam.T_body_cam, np.array([[0.02, -0.015, 0.0]]))[0] - cam.T_body_cam[:3, 3]  # across the view
    uv1, _ = project(cam, X + t_true)
    uv1 += rng.normal(0.0, 0.2, uv1.shape)
    out = rng.random(len(X)) < 0.25
    uv1[out] += rng.uniform(-20, 20, (out.sum(), 2))
    fit = fit_translation(X, uv1, cam, ransac_px=1.0)
    assert fit.ok
    assert np.linalg.norm(fit.T[:3, 3] - t_true) < 0.004
    assert fit.inliers[out].mean() < 0.1


def test_rigid_3d_ransac_kabsch():
    rng = np.random.default_rng(2)
    a = rng.uniform(-0.1, 0.1, (200, 3))
    T = _motion(20.0, (0.1, 0.0, -0.05), np.zeros(3))
    b = apply(T, a) + rng.normal(0, 0.0005, a.shape)
    b[:50] += rng.uniform(-0.2, 0.2, (50, 3))
    fit = fit_rigid_3d(a, b, thresh_m=0.003)
    assert np.allclose(fit.T, T, atol=3e-3)
    assert not fit.inliers[:50].any()


def test_translation_3d_ransac_rejects_outliers():
    rng = np.random.default_rng(4)
    a = rng.uniform(-0.05, 0.05, (300, 3))
    t = np.array([0.03, -0.12, 0.2])
    b = a + t + rng.normal(0, 0.002, a.shape)
    b[:100] = rng.uniform(-0.3, 0.3, (100, 3))  # a third of the points land on something else
    fit = fit_translation_3d(a, b, thresh_m=0.01)
    assert fit.ok and np.allclose(fit.T[:3, 3], t, atol=2e-3) and np.allclose(fit.T[:3, :3], np.eye(3))
    assert not fit.inliers[:100].any() and fit.inliers[100:].mean() > 0.95
    assert not fit_translation_3d(a[:4], b[:4]).ok  # too few points


def _hinge_turn(deg: float, hinge_xy: tuple[float, float]) -> np.ndarray:
    """A turn by ``deg`` about the vertical line through ``hinge_xy`` (a door or a faucet handle)."""
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    T = np.eye(4)
    T[:2, :2] = [[c, -s], [s, c]]
    T[:2, 3] = np.asarray(hinge_xy) - T[:2, :2] @ np.asarray(hinge_xy)
    return T


def test_yaw_3d_follows_a_door_turning_on_its_hinge_where_a_translation_cannot():
    rng = np.random.default_rng(5)
    # a door leaf 30 cm wide, hinged at its x = 0 edge, turning 6° (its free edge moves 3 cm)
    a = np.column_stack([rng.uniform(0.0, 0.3, 400), rng.uniform(0.6, 0.61, 400), rng.uniform(0.0, 0.3, 400)])
    T = _hinge_turn(6.0, (0.0, 0.6))
    b = apply(T, a) + rng.normal(0, 0.001, a.shape)
    b[:80] = rng.uniform(-0.3, 0.3, (80, 3))  # the arm passing in front
    fit = fit_yaw_3d(a, b, thresh_m=0.01)
    assert fit.ok and np.allclose(fit.T, T, atol=2e-3)
    assert not fit.inliers[:80].any() and fit.inliers[80:].mean() > 0.95
    assert fit_translation_3d(a, b, thresh_m=0.01).inliers[80:].mean() < 0.8  # a translation explains less
    # a pure translation is one of its hypotheses: it is not made worse by the extra freedom
    t = np.array([0.02, -0.01, 0.03])
    fit_t = fit_yaw_3d(a[80:], a[80:] + t + rng.normal(0, 0.001, a[80:].shape), thresh_m=0.01)
    assert np.allclose(fit_t.T[:3, 3], t, atol=2e-3) and np.allclose(fit_t.T[:3, :3], np.eye(3), atol=0.01)
    assert not fit_yaw_3d(a[:4], b[:4]).ok  # too few points


@pytest.mark.parametrize("name", sorted(FLOW))
def test_opencv_flow_tracks_a_shifted_texture(name):
    rng = np.random.default_rng(3)
    tex = cv2.GaussianBlur((rng.random((240, 320, 3)) * 255).astype(np.uint8), (5, 5), 1.5)
    shift = np.float32([[1, 0, 3.0], [0, 1, -2.0]])
    moved = cv2.warpAffine(tex, shift, (320, 240), borderMode=cv2.BORDER_REFLECT)
    uv = rng.uniform(60, 180, (100, 2))
    uv1, ok = step_points(tex, moved, uv, FLOW[name], fb_tol_px=1.0)
    assert ok.mean() > 0.9
    assert np.median(np.linalg.norm(uv1[ok] - uv[ok] - [3.0, -2.0], axis=1)) < 0.3


def test_lift_inverts_project():
    cam = _camera()
    X = _object(cam, np.random.default_rng(4))
    uv, z = project(cam, X)
    assert np.allclose(lift(cam, uv, z), X, atol=1e-9)
