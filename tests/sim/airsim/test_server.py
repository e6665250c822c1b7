"""The AirSim-compatible server's multirotor semantics, through our own client over a real socket."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from plansight.sim.airsim import convert as cv
from plansight.sim.airsim.client import image_request, yaw_mode
from plansight.sim.airsim.rpc import RpcError


def _pos(c) -> np.ndarray:
    return cv.vec_to_np(c.get_multirotor_state()["kinematics_estimated"]["position"])


def _yaw_deg(c) -> float:
    q = cv.quat_to_np(c.get_multirotor_state()["kinematics_estimated"]["orientation"])
    return math.degrees(cv.rpy_from_quat(q)[2])


def test_takeoff_changes_landed_state_and_climbs(client):
    s0 = client.get_multirotor_state()
    assert s0["landed_state"] == 0 and abs(s0["kinematics_estimated"]["position"]["z_val"]) < 1e-6
    assert client.takeoff_async().join(10) is True
    s1 = client.get_multirotor_state()
    assert s1["landed_state"] == 1
    assert s1["kinematics_estimated"]["position"]["z_val"] == pytest.approx(-0.95, abs=0.05)  # 1 m hover, z down
    assert s1["timestamp"] > s0["timestamp"]
    assert s1["gps_location"]["altitude"] == pytest.approx(s0["gps_location"]["altitude"] + 0.95, abs=0.05)


def test_body_frame_velocity_signs_and_heading(flying):
    c = flying
    p0 = _pos(c)
    assert c.move_by_velocity_body_frame_async(1.0, 0.0, 0.0, 1.5).join(10) is True  # vx > 0: forward = north
    p1 = _pos(c)
    assert p1[0] - p0[0] > 0.6 and abs(p1[1] - p0[1]) < 0.05
    assert c.move_by_velocity_body_frame_async(0.0, 0.0, -0.5, 1.0).join(10) is True  # vz < 0 in NED: up
    p2 = _pos(c)
    assert p2[2] - p1[2] < -0.3
    assert c.move_by_velocity_body_frame_async(0.0, 0.8, 0.0, 1.5).join(10) is True  # vy > 0: right = east
    p3 = _pos(c)
    assert p3[1] - p2[1] > 0.5
    # AirSim yaw is clockwise seen from above: +90 deg faces east
    assert c.rpc.call_async("rotateToYaw", 90.0, 20.0, 2.0, "").join(10) is True
    assert _yaw_deg(c) == pytest.approx(90.0, abs=3.0)
    p4 = _pos(c)
    assert c.move_by_velocity_body_frame_async(1.0, 0.0, 0.0, 1.5).join(10) is True  # forward is now east
    p5 = _pos(c)
    assert p5[1] - p4[1] > 0.6 and abs(p5[0] - p4[0]) < 0.1
    assert c.move_by_velocity_async(1.0, 0.0, 0.0, 1.5).join(10) is True  # world frame: north whatever the yaw
    p6 = _pos(c)
    assert p6[0] - p5[0] > 0.6 and abs(p6[1] - p5[1]) < 0.5 * (p6[0] - p5[0])  # (eastward momentum decays)


def test_yaw_rate_sign(flying):
    y0 = _yaw_deg(flying)
    assert flying.move_by_velocity_body_frame_async(0, 0, 0, 1.0, 0, yaw_mode(True, 30.0)).join(10) is True
    assert (_yaw_deg(flying) - y0) == pytest.approx(30.0, abs=6.0)  # +30 deg/s clockwise for 1 s


def test_move_to_position_and_pose_round_trip(flying):
    c = flying
    assert c.rpc.call_async("moveToPosition", 2.0, -1.0, -1.5, 1.0, 30.0, 0, yaw_mode(), -1.0, 1.0, "").join(20)
    np.testing.assert_allclose(_pos(c), [2.0, -1.0, -1.5], atol=0.12)
    pose = {"position": cv.vec(1.0, 2.0, -1.2), "orientation": cv.quat(*cv.quat_from_rpy(0, 0, math.radians(45)))}
    c.rpc.call("simSetVehiclePose", pose, True, "")
    got = c.get_vehicle_pose()
    np.testing.assert_allclose(cv.vec_to_np(got["position"]), [1.0, 2.0, -1.2], atol=1e-5)
    assert math.degrees(cv.rpy_from_quat(cv.quat_to_np(got["orientation"]))[2]) == pytest.approx(45.0, abs=1e-3)
    nan_pos = {"position": cv.vec(math.nan, math.nan, -1.0), "orientation": cv.quat(math.nan, 0, 0, 0)}
    c.rpc.call("simSetVehiclePose", nan_pos, True, "")  # NaN keeps the current value
    got = c.get_vehicle_pose()
    np.testing.assert_allclose(cv.vec_to_np(got["position"]), [1.0, 2.0, -1.0], atol=1e-5)


def test_newer_command_preempts_and_cancel(flying):
    c = flying
    first = c.move_by_velocity_body_frame_async(0.5, 0.0, 0.0, 30.0)
    second = c.move_by_velocity_body_frame_async(0.0, 0.0, 0.0, 0.1)
    assert second.join(10) is True
    assert first.join(10) is False  # pre-empted, as with AirSim's cancel token
    c.rpc.call("simPause", True)  # paused: the next manoeuvre waits
    third = c.move_by_velocity_body_frame_async(0.5, 0.0, 0.0, 5.0)
    assert c.rpc.call("simIsPaused") is True
    c.cancel_last_task()
    c.rpc.call("simPause", False)
    assert third.join(10) is False


def test_refusals_are_clear_errors(rpc_client, client):
    with pytest.raises(RpcError, match="not flying"):
        client.move_by_velocity_body_frame_async(1, 0, 0, 1).join(5)
    client.enable_api_control(False)
    with pytest.raises(RpcError, match="enableApiControl"):
        client.takeoff_async().join(5)
    with pytest.raises(RpcError, match="Vehicle API for 'Drone7'"):
        rpc_client.call("getMultirotorState", "Drone7")
    client.reset()
    assert rpc_client.call("isApiControlEnabled", "") is False  # reset drops API control, as AirSim does


def test_images_sizes_dtypes_and_depth(flying):
    r = flying.get_images([image_request("front_left", 0, False, False), image_request("front_left", 0),
                           image_request("front_left", 1, True), image_request("front_left", 2, True),
                           image_request("front_right", 0, False, False)])
    raw, png, planar, persp, right = r
    assert (raw["width"], raw["height"]) == (128, 96) and len(raw["image_data_uint8"]) == 96 * 128 * 3
    bgr = np.frombuffer(raw["image_data_uint8"], np.uint8).reshape(96, 128, 3)
    decoded = cv2.imdecode(np.frombuffer(png["image_data_uint8"], np.uint8), cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(decoded, bgr)  # PNG is lossless and in the same channel order
    assert not np.array_equal(bgr, np.frombuffer(right["image_data_uint8"], np.uint8).reshape(96, 128, 3))
    d = np.asarray(planar["image_data_float"], np.float32).reshape(96, 128)
    dp = np.asarray(persp["image_data_float"], np.float32).reshape(96, 128)
    assert planar["pixels_as_float"] and len(planar["image_data_uint8"]) == 0
    assert 0.05 < float(d.min()) and float(d.max()) < 30.0  # metres, inside a 20 x 20 m room
    ratio = dp / d
    assert ratio[48, 64] == pytest.approx(1.0, abs=1e-3) and ratio[0, 0] > 1.2  # rays get longer off-axis
    assert raw["camera_position"]["y_val"] < right["camera_position"]["y_val"]  # left is west of right
    assert raw["time_stamp"] == flying.get_multirotor_state()["timestamp"]


def test_unknown_camera_and_image_type(flying):
    with pytest.raises(RpcError, match="Camera with name 'bottom_center'"):
        flying.get_images([image_request("bottom_center", 0)])
    with pytest.raises(RpcError, match="image type 5 is not supported"):
        flying.get_images([image_request("front_left", 5)])


def test_collision_with_a_wall(flying):
    """Fly north into the wall of the 20 x 20 m room: AirSim's CollisionInfo reports it."""
    assert flying.get_collision_info()["has_collided"] is False
    flying.move_by_velocity_async(2.0, 0.0, 0.0, 12.0).join(20)
    col = flying.get_collision_info()
    assert col["has_collided"] is True and col["object_name"].startswith("wall")
    assert col["time_stamp"] > 0
    assert _pos(flying)[0] > 8.0  # it got there: the wall is 10 m from the centre
    assert flying.get_multirotor_state()["collision"]["time_stamp"] == col["time_stamp"]


def test_clock_speed_paces_manoeuvres_to_wall_time():
    """Lock-stepped by default (fast); with clock_speed = 1 a 0.4 s manoeuvre takes 0.4 s of wall time."""
    import time

    from plansight.sim.airsim.vehicle import SimVehicle

    from .conftest import EMPTY_ROOM

    for speed, lo, hi in ((None, 0.0, 0.3), (1.0, 0.38, 1.5)):
        v = SimVehicle(EMPTY_ROOM, clock_speed=speed)
        try:
            v.enable_api_control(True)
            v.arm_disarm(True)
            assert v.takeoff(v.begin("takeoff", need_flying=False), 10.0)
            t0_sim, t = float(v.sim.data.time), time.perf_counter()
            assert v.run(v.begin("move"), v.hold, duration_s=0.4)
            wall = time.perf_counter() - t
            assert float(v.sim.data.time) - t0_sim == pytest.approx(0.4, abs=1e-6)
            assert lo <= wall <= hi, (speed, wall)
        finally:
            v.close()


def test_state_and_images_are_served_while_a_manoeuvre_runs():
    """On one connection, as the official client pipelines them: a 0.6 s move (paced to wall time) is
    pending while state and image calls are answered, and they see the vehicle moving."""
    from plansight.sim.airsim.client import AirSimClient, RpcClient
    from plansight.sim.airsim.server import AirSimServer
    from plansight.sim.airsim.vehicle import SimVehicle

    from .conftest import EMPTY_ROOM

    srv = AirSimServer(SimVehicle(EMPTY_ROOM, clock_speed=1.0), "127.0.0.1", 0).start()
    rpc = RpcClient(*srv.address)
    try:
        c = AirSimClient(rpc)
        c.enable_api_control(True)
        c.arm_disarm(True)
        assert c.takeoff_async().join(30)
        move = c.move_by_velocity_body_frame_async(1.0, 0.0, 0.0, 0.6)
        xs = []
        while not move.done():
            xs.append(_pos(c)[0])
            assert len(c.get_images([image_request("front_left", 0, False, False)])[0]["image_data_uint8"]) > 0
        assert move.join(5) is True
        assert len(xs) >= 5 and xs[-1] > xs[0] and all(b >= a for a, b in zip(xs, xs[1:], strict=False))
    finally:
        rpc.close()
        srv.close()
