"""The camera's motion between two rendered frames with known poses (flow + depth + PnP), and its command."""

import math

import numpy as np
import pytest

from plansight.agent.contracts import CameraModel
from plansight.agent.planning.ego_motion import ego_motion, motion_to_command, shift_candidates
from plansight.launch.drone_oracle import OracleDronePlanConfig, OracleDronePlanner
from plansight.sim.drone.room import generate_room, room_config

# the goal missions' left camera: 128×96, 60° vertical field of view, 12 cm ahead of the body centre
CAM = CameraModel.from_fovy("left", 128, 96, 60.0, T_body_cam=CameraModel.forward_pose(0.12, 0.05, 0.02),
                            baseline_m=0.1, stereo_partner="right")


def _room(seed):
    layout = generate_room(room_config(size_m=(5.0, 5.0), n_poles=4, n_boxes=1, landmarks=("magenta_panel",)), seed)
    r = OracleDronePlanner(OracleDronePlanConfig(), CAM)
    r.set_room(layout)
    return r, np.array([*layout.start_xy, 1.0]), float(layout.start_yaw)


@pytest.fixture(scope="module")
def room():
    """A tuning room of the goal missions (500): the renderer and the start pose, 1 m up."""
    r = _room(500)
    yield r
    r[0].close()


def _moved(p, yaw, forward, left, turn):
    c, s = math.cos(yaw), math.sin(yaw)
    return p + np.array([c * forward - s * left, s * forward + c * left, 0.0]), yaw + turn


# (forward m, left m, turn rad): what 0.2 s of the expert's flight holds (0.7 m/s, up to 1.2 rad/s)
CASES = [(0.14, 0.0, 0.0), (0.10, 0.0, math.radians(8)), (0.0, 0.0, math.radians(14)), (0.03, 0.06, 0.0),
         (0.12, -0.02, math.radians(-5))]


def test_ego_motion_is_recovered_from_two_rendered_frames():
    """Five expert-like steps from the start pose of three tuning rooms: 15 pairs of rendered frames."""
    err_t, err_yaw = [], []
    for seed in (500, 501, 502):
        r, p, yaw = _room(seed)
        rgb_a, z_a = r.render(p, yaw)
        for forward, left, turn in CASES:
            p_b, yaw_b = _moved(p, yaw, forward, left, turn)
            rgb_b, z_b = r.render(p_b, yaw_b)
            m = ego_motion(rgb_a, z_a, rgb_b, CAM, depth_b=z_b)
            assert m.ok and m.inliers >= 100, (seed, forward, left, turn)
            assert abs(m.translation_m[2]) < 0.05  # measured up to 3.4 cm: height is the weakest axis
            err_t.append(float(np.linalg.norm(m.translation_m[:2] - [forward, left])))
            err_yaw.append(abs(math.degrees(m.yaw_rad - turn)))
        r.close()
    # measured: median 1.4 cm, worst 2.7 cm; yaw median 0.26°, worst 0.53°
    assert np.median(err_t) < 0.02 and max(err_t) < 0.04
    assert np.median(err_yaw) < 0.5 and max(err_yaw) < 1.0


def test_a_turn_too_fast_for_flow_alone_is_found_through_the_image_shift(room):
    r, p, yaw = room
    rgb_a, z_a = r.render(p, yaw)
    rgb_b, z_b = r.render(p, yaw + math.radians(14))
    shift = shift_candidates(rgb_a, rgb_b)[0]
    assert 18 < shift[0] < 26 and abs(shift[1]) <= 2  # a left turn slides the scene right: f·tan 14° = 21 px
    plain = ego_motion(rgb_a, z_a, rgb_b, CAM, depth_b=z_b, prealign=False)
    aligned = ego_motion(rgb_a, z_a, rgb_b, CAM, depth_b=z_b)
    assert aligned.inliers > plain.inliers
    assert abs(aligned.yaw_rad - math.radians(14)) < math.radians(1.0)


def test_motion_becomes_a_clipped_body_velocity_command():
    T = np.eye(4)
    T[:3, 3] = (0.14, 0.02, 0.0)
    a = math.radians(6)
    T[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
    cmd = motion_to_command(T, 0.2)
    assert cmd.vx == pytest.approx(0.7) and cmd.vy == pytest.approx(0.1) and cmd.yaw_rate == pytest.approx(a / 0.2)
    fast = motion_to_command(T, 0.05, max_speed_mps=1.0, max_yaw_rate_radps=1.2)
    assert math.hypot(fast.vx, fast.vy) == pytest.approx(1.0) and fast.yaw_rate == 1.2
    assert fast.vx / fast.vy == pytest.approx(7.0)  # the direction is kept when the speed is clipped


def test_textureless_or_depthless_frames_say_the_fit_failed():
    flat = np.full((96, 128, 3), 128, np.uint8)
    m = ego_motion(flat, np.full((96, 128), 2.0, np.float32), flat, CAM)
    assert not m.ok and np.array_equal(m.T_a_b, np.eye(4))
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
    assert not ego_motion(img, np.full((96, 128), np.nan, np.float32), img, CAM).ok
