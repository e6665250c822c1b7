"""Flight dynamics of the MuJoCo quadrotor, physics only (no GL)."""

import math

import mujoco
import numpy as np
import pytest

from plansight.agent.contracts import DroneCommand
from plansight.sim.drone.config_drone import DroneSimConfig
from plansight.sim.drone.drone_sim import DroneSim, FlightMode


def test_airframe_is_ar_drone_class():
    sim = DroneSim(DroneSimConfig(render=False))
    sim.reset(0)
    m = sim.model
    body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, "quad")
    assert 0.4 <= m.body_mass[body] <= 0.5
    assert m.opt.timestep <= 1 / 200
    assert 30 <= 1 / sim.dt <= 50
    assert m.nu == 4 and all(m.actuator_dyntype == mujoco.mjtDyn.mjDYN_FILTER)
    # drag is on: the free joint's translational DOFs are damped
    assert np.all(m.dof_damping[:3] > 0)


def test_hover_holds_altitude_for_10_seconds(flying_sim, measured):
    z, xy = [], []
    for _ in range(round(10 / flying_sim.dt)):
        flying_sim.act(DroneCommand.hover())
        z.append(flying_sim.data.qpos[2])
        xy.append(flying_sim.data.qpos[:2].copy())
    err = np.abs(np.array(z) - flying_sim.cfg.hover_altitude_m)
    drift = np.linalg.norm(np.array(xy) - xy[0], axis=1).max()
    measured["hover: max altitude error over 10 s"] = f"{err.max() * 100:.2f} cm, xy drift {drift * 100:.2f} cm"
    assert err.max() < 0.04
    assert drift < 0.05


def test_forward_velocity_step_response(flying_sim, measured):
    z0 = flying_sim.data.qpos[2]
    vx, z = [], []
    for _ in range(round(4 / flying_sim.dt)):
        flying_sim.act(DroneCommand(vx=1.0))
        vx.append(flying_sim.state().velocity[0])  # yaw 0: body x = world x
        z.append(flying_sim.data.qpos[2])
    vx = np.array(vx)
    t90 = (np.argmax(vx >= 0.9) + 1) * flying_sim.dt
    measured["velocity step 0->1 m/s: rise to 90%"] = f"{t90:.2f} s, overshoot {max(vx.max() - 1, 0) * 100:.1f} %"
    assert 0.2 < t90 < 1.5
    assert vx.max() < 1.15
    assert abs(vx[-25:].mean() - 1.0) < 0.05
    assert np.abs(np.array(z) - z0).max() < 0.05
    assert abs(flying_sim.state().rpy[2]) < 0.02  # no yaw coupling


def test_body_frame_commands_follow_the_heading(flying_sim):
    while flying_sim.state().rpy[2] < math.pi / 2 - 0.12:  # yaw-rate loop lag ≈ 0.12 rad at 1 rad/s
        flying_sim.act(DroneCommand(yaw_rate=1.0))
    for _ in range(100):
        flying_sim.act(DroneCommand(vx=0.5))
    s = flying_sim.state()
    assert s.rpy[2] == pytest.approx(math.pi / 2, abs=0.05)
    assert s.velocity[1] == pytest.approx(0.5, abs=0.06) and abs(s.velocity[0]) < 0.06  # forward is world +y


def test_climb_and_yaw_rate_tracking(flying_sim):
    for _ in range(100):
        flying_sim.act(DroneCommand(vz=0.4, yaw_rate=-0.8))
    s = flying_sim.state()
    assert s.velocity[2] == pytest.approx(0.4, abs=0.05)
    assert s.body_rates[2] == pytest.approx(-0.8, abs=0.05)


def test_takeoff_and_landing_events():
    sim = DroneSim(DroneSimConfig(render=False))
    sim.reset(1)
    assert sim.mode is FlightMode.LANDED and not sim.airborne
    sim.act(DroneCommand(vx=1.0))  # ignored on the ground
    assert sim.data.qpos[2] < 0.1
    assert sim.takeoff()
    assert abs(sim.data.qpos[2] - sim.cfg.hover_altitude_m) < 0.05
    assert sim.land()
    assert sim.mode is FlightMode.LANDED and sim.data.qpos[2] < 0.06
    kinds = [e.kind for e in sim.observe().events]
    assert kinds == ["takeoff_started", "takeoff", "landing_started", "landed"]


def test_emergency_cuts_the_motors(flying_sim):
    flying_sim.emergency()
    for _ in range(50):
        flying_sim.act(DroneCommand(vz=1.0))
        assert np.all(flying_sim.data.ctrl == 0)
    assert flying_sim.data.qpos[2] < 0.2


def test_same_seed_same_flight():
    def run():
        sim = DroneSim(DroneSimConfig(render=False))
        sim.reset(4)
        sim.takeoff()
        for i in range(100):
            sim.act(DroneCommand(vx=0.5, yaw_rate=0.3 * math.sin(i / 10)))
        return sim.state().to_vector()

    np.testing.assert_array_equal(run(), run())
