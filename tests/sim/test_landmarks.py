"""Visual goals in rooms: placement rules, distance to a landmark, and what the camera sees of one."""

import math

import numpy as np
import pytest
from pydantic import ValidationError

from plansight.agent.control.map_planner import occupancy_grid
from plansight.agent.perception.goal_detector import detect_goal
from plansight.sim.drone.config_drone import DroneSimConfig, RoomConfig
from plansight.sim.drone.landmarks import LANDMARK_NAMES, landmark_distance
from plansight.sim.drone.room import generate_room, layout_violations, room_config


@pytest.mark.parametrize("level", ["default", "dense", "maze"])
def test_landmarks_leave_the_obstacles_alone_and_can_be_reached(level):
    for seed in range(500, 530):
        plain = generate_room(room_config(level), seed)
        cfg = room_config(level, landmarks=("magenta_panel", "yellow_box"))
        room = generate_room(cfg, seed)
        assert not layout_violations(room, cfg)
        assert [lm.name for lm in room.landmarks] == ["magenta_panel", "yellow_box"]
        if room.obstacles == plain.obstacles:  # the same layout unless the landmarks needed another
            assert room.start_xy == plain.start_xy
        grid = occupancy_grid(room.to_dict(), clearance_m=0.35)
        for lm in room.landmarks:
            assert grid.free[grid.cell(lm.approach_xy)], (seed, lm.name)  # hover-able in front of it
            face = landmark_distance(lm, np.array([*lm.approach_xy, lm.centre[2]]))
            assert 0.4 < face < 0.5  # close enough to count as reached


def test_landmark_colours_must_differ():
    with pytest.raises(ValidationError, match="differ in colour"):
        RoomConfig(landmarks=("magenta_panel", "magenta_box"))
    with pytest.raises(ValidationError):
        RoomConfig(landmarks=("purple_panel",))
    assert set(LANDMARK_NAMES) >= {"magenta_panel", "cyan_box"}


def test_landmark_distance_on_synthetic_boxes():
    lm = {"centre": (1.0, 2.0, 1.0), "half_size": (0.01, 0.25, 0.25), "yaw": math.pi / 2}  # a panel on a +y wall
    assert landmark_distance(lm, np.array([1.0, 2.0, 1.0])) == 0.0
    # its thin axis points along world y after the turn: 0.5 m in front of the panel's face is 0.51 m from centre
    assert landmark_distance(lm, np.array([1.0, 1.49, 1.0])) == pytest.approx(0.5)
    assert landmark_distance(lm, np.array([1.25 + 0.3, 2.0, 1.0])) == pytest.approx(0.3)  # beyond its edge
    assert landmark_distance(lm, np.array([1.0, 2.0, 1.25 + 0.4])) == pytest.approx(0.4)  # above it


def test_detector_finds_a_synthetic_blob_and_ignores_other_colours():
    img = np.full((96, 128, 3), 120, np.uint8)
    img[10:30, 90:110] = (255, 0, 255)  # magenta, right of centre
    img[60:90, 10:20] = (204, 77, 51)  # the poles' red
    det = detect_goal(img, (1.0, 0.0, 1.0))
    assert det.visible and det.bbox == (90, 10, 109, 29)
    assert det.u == pytest.approx(99.5) and det.v == pytest.approx(19.5)
    assert det.area_fraction == pytest.approx(400 / (96 * 128))
    assert not detect_goal(img, (1.0, 0.92, 0.0)).visible  # no yellow
    tiny = np.full((96, 128, 3), 120, np.uint8)
    tiny[5:7, 5:7] = (255, 0, 255)
    assert not detect_goal(tiny, (1.0, 0.0, 1.0)).visible  # below min_pixels
    with pytest.raises(ValueError, match="uint8"):
        detect_goal(img.astype(np.float32), (1.0, 0.0, 1.0))


def test_rendered_panel_is_detected_at_its_bearing():
    from plansight.sim.drone.drone_sim import DroneSim

    sim = DroneSim(DroneSimConfig(room=RoomConfig(landmarks=("magenta_panel",))))
    try:
        obs = sim.reset(500)
        (lm,) = obs.info["room"]["landmarks"]
        ax, ay = lm["approach_xy"]
        cx, cy = lm["centre"][:2]
        yaw = math.atan2(cy - ay, cx - ax) + 0.3  # the panel 0.3 rad right of the optical axis
        back = np.array([ax, ay]) - 1.0 * np.array([math.cos(yaw - 0.3), math.sin(yaw - 0.3)])
        sim.set_pose(np.array([*back, 1.0]), np.array([math.cos(yaw / 2), 0, 0, math.sin(yaw / 2)]))
        o = sim.observe()
        cam = sim.cameras["left"]
        det = detect_goal(o.images["left"], tuple(lm["colour"]))
        assert det.visible
        c, s_ = math.cos(yaw), math.sin(yaw)
        off = cam.T_body_cam[:2, 3]
        cam_xy = back + np.array([c * off[0] - s_ * off[1], s_ * off[0] + c * off[1]])
        expect = (math.atan2(cy - cam_xy[1], cx - cam_xy[0]) - yaw + math.pi) % (2 * math.pi) - math.pi
        assert expect < -0.25  # right of the axis: negative
        assert det.bearing_rad(cam) == pytest.approx(expect, abs=0.04)
        sim.set_pose(np.array([*back, 1.0]), np.array([math.cos((yaw + math.pi) / 2), 0, 0,
                                                        math.sin((yaw + math.pi) / 2)]))
        assert not detect_goal(sim.observe().images["left"], tuple(lm["colour"])).visible  # facing away
    finally:
        sim.close()
