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


def test_the_envelope_holds_on_its_own_for_huge_and_non_finite_inputs():
    """Huge commands do not overflow the speed limit, and a state that cannot be trusted (NaN yaw or position)
    gives hover, not NaN velocities."""
    import math

    import numpy as np
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from plansight.agent.contracts import DroneCommand, DroneState
    from plansight.agent.control.safety import SafetyConfig, SafetyEnvelope

    cfg = SafetyConfig(geofence_min_m=(-2.0, -2.0, 0.0), geofence_max_m=(2.0, 2.0, 2.5))
    env = SafetyEnvelope(cfg)
    out, why = env.filter(DroneCommand(1.79e308, 0, 0, 0), None)
    assert out.is_finite() and math.isclose(out.vx, cfg.max_speed_xy_mps) and why == ["speed_xy"]
    state = DroneState(np.zeros(3), np.zeros(3), np.array([0.0, 0.0, math.nan]), np.zeros(3), 1.0)
    out, why = env.filter(DroneCommand(0.5, 0.2, 0, 0), state)
    assert out == DroneCommand.hover() and why == ["nonfinite_state"]

    floats = st.floats(allow_nan=True, allow_infinity=True, width=64)

    @settings(max_examples=300, deadline=None)
    @given(cmd=st.tuples(floats, floats, floats, floats), pos=st.tuples(floats, floats, floats), yaw=floats)
    def check(cmd, pos, yaw):
        s = DroneState(np.array(pos), np.zeros(3), np.array([0.0, 0.0, yaw]), np.zeros(3), 1.0)
        out, _ = env.filter(DroneCommand(*cmd), s)
        assert out.is_finite()
        assert math.hypot(out.vx, out.vy) <= cfg.max_speed_xy_mps + 1e-9 and abs(out.vz) <= cfg.max_speed_z_mps
        assert abs(out.yaw_rate) <= cfg.max_yaw_rate_radps

    check()
