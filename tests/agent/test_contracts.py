import math

import numpy as np
import pytest

from plansight.agent.contracts import CameraModel, DroneCommand, DroneState, Embodiment, Flyer


def test_drone_state_round_trip():
    s = DroneState(np.array([1.0, 2, 3]), np.array([0.1, 0.2, 0.3]), np.array([0.01, -0.02, 1.5]),
                   np.array([0.0, 0.1, -0.1]), 1.0)
    v = s.to_vector()
    assert v.shape == (DroneState.SIZE,)
    back = DroneState.from_vector(v)
    np.testing.assert_array_equal(back.to_vector(), v)
    assert back.yaw == 1.5


def test_drone_state_rejects_wrong_size():
    with pytest.raises(ValueError, match="shape"):
        DroneState.from_vector(np.zeros(5))


def test_drone_command_finiteness():
    assert DroneCommand(1, 0, 0, 0).is_finite()
    assert not DroneCommand(math.nan, 0, 0, 0).is_finite()
    assert not DroneCommand(0, 0, 0, math.inf).is_finite()
    assert DroneCommand.hover().as_array().tolist() == [0, 0, 0, 0]


def test_camera_from_fovy_matches_pinhole_geometry():
    cam = CameraModel.from_fovy("left", 128, 96, 60.0)
    assert cam.fy == pytest.approx(48 / math.tan(math.radians(30)))
    assert cam.K[0, 2] == pytest.approx(63.5)
    # a point on the top image edge is 30 degrees above the axis
    assert math.degrees(math.atan((0 - cam.cy - 0.5) / cam.fy)) == pytest.approx(-30, abs=0.01)


def test_sim_satisfies_flyer_protocol():
    from plansight.sim.drone.drone_sim import DroneSim

    sim = DroneSim()
    assert isinstance(sim, Embodiment) and isinstance(sim, Flyer)
