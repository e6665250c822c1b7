"""Avoidance decisions on synthetic depth images of known geometry."""

import numpy as np
import pytest

from plansight.agent.contracts import CameraModel, DepthEstimate, Observation
from plansight.agent.control.avoidance import AvoidanceConfig, ReactiveAvoidance

CAM = CameraModel.from_fovy("left", 128, 96, 60.0, baseline_m=0.1, stereo_partner="right")


def _obs():
    return Observation(t=0.0, images={}, state=np.zeros(0))


def _depth(fill: float, patches=()):
    d = np.full((96, 128), fill, np.float32)
    for cols, z in patches:
        d[:, cols] = z
    return DepthEstimate("left", d, np.ones_like(d, bool))


@pytest.fixture
def policy():
    return ReactiveAvoidance(AvoidanceConfig(), CAM)


def test_open_space_flies_forward_at_full_speed(policy):
    cmd = policy.act(_obs(), _depth(6.0))
    assert cmd.vx == pytest.approx(AvoidanceConfig().max_speed_mps)
    assert abs(cmd.yaw_rate) < 0.05 and cmd.vy == 0.0


def test_wall_ahead_stops_and_turns(policy):
    cmd = policy.act(_obs(), _depth(0.7))
    assert cmd.vx == 0.0 and abs(cmd.yaw_rate) == pytest.approx(AvoidanceConfig().yaw_rate_radps)


def test_turns_towards_the_open_side(policy):
    # obstacle ahead and on the left half; right half open
    cmd = policy.act(_obs(), _depth(6.0, [(slice(0, 70), 1.0)]))
    assert cmd.yaw_rate < 0  # clockwise = to the right
    policy.reset()
    cmd = policy.act(_obs(), _depth(6.0, [(slice(58, 128), 1.0)]))
    assert cmd.yaw_rate > 0


def test_turn_direction_is_kept_until_clear(policy):
    policy.act(_obs(), _depth(6.0, [(slice(0, 70), 1.0)]))
    # now the right side looks slightly worse, but the way ahead is still blocked: keep turning right
    cmd = policy.act(_obs(), _depth(6.0, [(slice(40, 128), 1.2)]))
    assert cmd.yaw_rate < 0
    cmd = policy.act(_obs(), _depth(6.0))
    assert abs(cmd.yaw_rate) < 0.05


def test_obstacle_off_the_corridor_does_not_slow_down(policy):
    # a pole 3 m ahead, 1.5 m to the right: outside the corridor
    col = int(CAM.cx + CAM.fx * 1.5 / 3.0)
    cmd = policy.act(_obs(), _depth(6.0, [(slice(col, col + 3), 3.0)]))
    assert cmd.vx == pytest.approx(AvoidanceConfig().max_speed_mps)


def test_blind_image_is_treated_as_blocked(policy):
    d = _depth(6.0)
    est = DepthEstimate("left", d.depth, np.zeros_like(d.valid))
    cmd = policy.act(_obs(), est)
    assert cmd.vx == 0.0 and cmd.yaw_rate != 0.0


def test_wrong_depth_size_is_a_clear_error(policy):
    with pytest.raises(ValueError, match="64x48"):
        policy.act(_obs(), DepthEstimate("left", np.ones((48, 64), np.float32), np.ones((48, 64), bool)))


def test_config_rejects_unordered_thresholds():
    with pytest.raises(ValueError, match="stop_distance_m < turn_distance_m"):
        AvoidanceConfig(stop_distance_m=2.0, turn_distance_m=1.0)
