import math

import numpy as np

from plansight.agent.contracts import DroneCommand, DroneState
from plansight.agent.control.safety import SafeFlyer, SafetyConfig, SafetyEnvelope


def _state(x=0.0, y=0.0, z=1.0, yaw=0.0):
    return DroneState(np.array([x, y, z]), np.zeros(3), np.array([0, 0, yaw]), np.zeros(3), 1.0)


def test_nonfinite_becomes_hover():
    env = SafetyEnvelope(SafetyConfig())
    for bad in (DroneCommand(math.nan, 0, 0, 0), DroneCommand(0, math.inf, 0, 0), DroneCommand(0, 0, 0, -math.inf)):
        cmd, reasons = env.filter(bad, _state())
        assert cmd == DroneCommand.hover() and reasons == ["nonfinite"]


def test_speed_limits_keep_direction():
    env = SafetyEnvelope(SafetyConfig(max_speed_xy_mps=1.0, max_speed_z_mps=0.5, max_yaw_rate_radps=1.0))
    cmd, reasons = env.filter(DroneCommand(3.0, 4.0, -2.0, 5.0), _state())
    assert math.isclose(math.hypot(cmd.vx, cmd.vy), 1.0) and math.isclose(cmd.vy / cmd.vx, 4.0 / 3.0)
    assert cmd.vz == -0.5 and cmd.yaw_rate == 1.0
    assert set(reasons) == {"speed_xy", "speed_z", "yaw_rate"}


def test_geofence_removes_outward_velocity_in_the_body_frame():
    cfg = SafetyConfig(geofence_min_m=(-2, -2, 0), geofence_max_m=(2, 2, 2), margin_m=0.3)
    env = SafetyEnvelope(cfg)
    # near the +x face, heading +y (yaw 90 deg): body "right" (-vy) points to world +x
    cmd, reasons = env.filter(DroneCommand(0.5, -0.5, 0, 0), _state(x=1.9, yaw=math.pi / 2))
    assert reasons == ["geofence"]
    assert math.isclose(cmd.vx, 0.5, abs_tol=1e-9)
    assert math.isclose(cmd.vy, 0.0, abs_tol=1e-9)
    # inward motion near the face is untouched
    cmd, reasons = env.filter(DroneCommand(0, 0.5, 0, 0), _state(x=1.9, yaw=math.pi / 2))
    assert reasons == [] and math.isclose(cmd.vy, 0.5)


def test_geofence_flies_back_in_from_outside():
    cfg = SafetyConfig(geofence_min_m=(-2, -2, 0), geofence_max_m=(2, 2, 2), return_speed_mps=0.3)
    cmd, _ = SafetyEnvelope(cfg).filter(DroneCommand(), _state(z=2.5))
    assert cmd.vz == -0.3


def test_nan_never_reaches_the_motors(flying_sim):
    safe = SafeFlyer(flying_sim, SafetyConfig())
    safe.observe()
    z0 = flying_sim.data.qpos[2]
    for _ in range(50):
        applied = safe.act(DroneCommand(math.nan, 0.0, math.inf, 0.0))
        assert applied == DroneCommand.hover()
        assert np.all(np.isfinite(flying_sim.data.ctrl))
    assert abs(flying_sim.data.qpos[2] - z0) < 0.03
    assert safe.interventions == {"nonfinite": 50}
    kinds = [e.kind for e in safe.observe().events]
    assert kinds.count("safety") == 50


def test_sim_itself_rejects_nonfinite(flying_sim):
    applied = flying_sim.act(DroneCommand(math.nan, 0, 0, 0))
    assert applied == DroneCommand.hover()
    assert "nonfinite_command" in [e.kind for e in flying_sim.observe().events]
