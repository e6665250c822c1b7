"""Frame conversions plansight (z up, FLU body) <-> AirSim (NED world, FRD body)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from plansight.sim.airsim import convert as cv
from plansight.sim.drone.drone_sim import DroneSim


def _random_quat(rng: np.random.Generator) -> np.ndarray:
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    return q if q[0] >= 0 else -q


def test_vectors_and_rotations_map_consistently():
    rng = np.random.default_rng(0)
    for _ in range(20):
        q = _random_quat(rng)
        v = rng.normal(size=3)
        # rotating then converting == converting then rotating with the converted quaternion
        lhs = cv.flu_to_ned(cv.quat_to_matrix(q) @ v)
        rhs = cv.quat_to_matrix(cv.quat_flu_to_ned(q)) @ cv.flu_to_ned(v)
        np.testing.assert_allclose(lhs, rhs, atol=1e-12)
        np.testing.assert_allclose(cv.quat_ned_to_flu(cv.quat_flu_to_ned(q)), q)
        np.testing.assert_allclose(cv.matrix_to_quat(cv.quat_to_matrix(q)), q, atol=1e-9)


def test_up_is_negative_z_and_left_is_negative_y():
    np.testing.assert_allclose(cv.flu_to_ned([0.0, 0.0, 1.0]), [0.0, 0.0, -1.0])  # up -> z < 0
    np.testing.assert_allclose(cv.flu_to_ned([0.0, 1.0, 0.0]), [0.0, -1.0, 0.0])  # left -> y < 0
    np.testing.assert_allclose(cv.flu_to_ned([1.0, 0.0, 0.0]), [1.0, 0.0, 0.0])  # forward stays forward


@pytest.mark.parametrize("roll,pitch,yaw", [(0.0, 0.0, 0.5), (0.1, -0.2, 1.0), (-0.3, 0.25, -2.0)])
def test_euler_angles(roll, pitch, yaw):
    q_ned = cv.quat_flu_to_ned(cv.quat_from_rpy(roll, pitch, yaw))
    r, p, y = cv.rpy_from_quat(q_ned)
    # roll about the shared forward axis keeps its sign; pitch and yaw flip (axes y, z are reversed)
    assert r == pytest.approx(roll) and p == pytest.approx(-pitch) and y == pytest.approx(-yaw)
    assert cv.yaw_flu_to_ned(yaw) == pytest.approx(-yaw)


def test_camera_pose_of_the_stereo_rig():
    """Our left camera sits 12 cm ahead, 5 cm left, 2 cm up and looks forward: in AirSim's FRD body frame that
    is (0.12, -0.05, -0.02) with the identity orientation (AirSim cameras look along their x)."""
    cams = DroneSim().cameras
    p, q = cv.airsim_pose_from_T_body_cam(cams["left"].T_body_cam)
    np.testing.assert_allclose(p, [0.12, -0.05, -0.02], atol=1e-12)
    np.testing.assert_allclose(q, [1.0, 0.0, 0.0, 0.0], atol=1e-12)
    p_r, _ = cv.airsim_pose_from_T_body_cam(cams["right"].T_body_cam)
    assert p_r[1] == pytest.approx(0.05)  # right camera: +y in FRD
    np.testing.assert_allclose(cv.T_body_cam_from_airsim(p, q), cams["left"].T_body_cam, atol=1e-12)


def test_camera_pose_round_trip_with_tilt():
    q = cv.quat_from_rpy(0.0, math.radians(20), math.radians(10))
    p = np.array([0.1, 0.2, -0.3])
    T = cv.T_body_cam_from_airsim(p, q)
    p2, q2 = cv.airsim_pose_from_T_body_cam(T)
    np.testing.assert_allclose(p2, p, atol=1e-12)
    np.testing.assert_allclose(q2, q, atol=1e-9)


def test_malformed_struct_maps_raise_type_error():
    with pytest.raises(TypeError, match="Vector3r"):
        cv.vec_to_np({"x_val": 1.0, "y_val": 2.0})
    with pytest.raises(TypeError, match="Quaternionr"):
        cv.quat_to_np({"w_val": "a", "x_val": 0, "y_val": 0, "z_val": 0})
