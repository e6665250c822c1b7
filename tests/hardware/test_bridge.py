"""The bridge (ArdroneLink + ArdroneDrone) against the emulator, on real sockets on 127.0.0.1."""

import math
import time

import numpy as np
import pytest

from plansight.agent.contracts import DroneCommand, DroneState
from plansight.hardware.ardrone import navdata as nd
from plansight.hardware.ardrone.config_ardrone import ArdroneConfig, FaultConfig, LinkConfig, PortsConfig
from plansight.hardware.ardrone.drone import ArdroneDrone, LinkLostError
from plansight.hardware.ardrone.link import LinkError
from tests.hardware.conftest import drone_config, eventually


def _kinds(drone: ArdroneDrone) -> list[str]:
    return [e.kind for e in drone.observe().events]


@pytest.fixture
def drone():
    d = ArdroneDrone(drone_config())
    yield d
    d.close()


def test_takeoff_hover_velocity_and_land_with_navdata_and_video(drone, measured):
    obs = drone.reset(seed=0)
    link, emu = drone.link, drone.emulator
    assert obs.images["front"].shape == (96, 128, 3) and obs.images["front"].std() > 5  # a decoded render
    assert link.navdata is not None and not link.navdata.bootstrap
    assert emu.firmware.config["control:euler_angle_max"] == "0.210000"  # limits written with the handshake
    assert eventually(lambda: emu.firmware.counters.get("FTRIM") == 1)  # UDP, no ack: processed a little later
    assert drone.takeoff()
    start = emu.truth()[0].position.copy()
    for _ in range(30):  # 1 s hover
        drone.act(DroneCommand.hover())
    hover = emu.truth()[0].position
    assert np.linalg.norm(hover[:2] - start[:2]) < 0.1 and abs(hover[2] - 0.6) < 0.1
    for _ in range(60):  # 2 s forward at 0.5 m/s (body x = world x at yaw 0)
        drone.act(DroneCommand(vx=0.5))
    truth = emu.truth()[0]
    moved = truth.position[0] - hover[0]
    est = DroneState.from_vector(drone.observe().state)
    assert 0.5 < moved < 1.5, moved
    assert abs(truth.velocity[0] - 0.5) < 0.2, truth.velocity
    assert np.linalg.norm(est.position[:2] - truth.position[:2]) < 0.2  # dead reckoning on navdata
    y0, yaw0 = truth.position[1], truth.rpy[2]
    for _ in range(30):  # 1 s left (FLU +y) while turning counter-clockwise: PCMD roll and yaw signs
        drone.act(DroneCommand(vy=0.4, yaw_rate=0.5))
    truth = emu.truth()[0]
    assert truth.position[1] - y0 > 0.1 and 0.25 < truth.rpy[2] - yaw0 < 0.75, (truth.position, truth.rpy)
    est = DroneState.from_vector(drone.observe().state)
    assert abs(est.rpy[2] - truth.rpy[2]) < 0.05  # heading from navdata psi (FRD) back in FLU
    assert drone.land()
    assert emu.firmware.sim.mode.value == "landed" and emu.truth()[0].position[2] < 0.1
    frames, navs = link.stats["video_frames"], link.stats["nav_ok"]
    assert frames > 20 and navs > 40
    measured["ardrone flight (2 s at 0.5 m/s)"] = f"moved {moved:.2f} m; {navs} navdata, {frames} video frames decoded"


def test_link_cut_hovers_then_lands(drone, measured):
    drone.reset(seed=0)
    emu = drone.emulator
    assert drone.takeoff()
    for _ in range(45):  # 1.5 s at 0.5 m/s
        drone.act(DroneCommand(vx=0.5))
    emu.cut_link(True)
    t_cut = time.monotonic()
    hover_t = None
    while time.monotonic() - t_cut < 4.0:
        if hover_t is None and emu.firmware.watchdog:
            hover_t = time.monotonic() - t_cut  # the drone's own 50 ms watchdog: PCMD ignored, hover
        if emu.firmware.sim.mode.value == "landed":
            break
        time.sleep(0.005)
    land_t = time.monotonic() - t_cut
    assert hover_t is not None and hover_t <= 0.1
    assert emu.firmware.sim.mode.value == "landed" and 2.0 <= land_t < 4.0
    with pytest.raises(LinkLostError, match="no navdata"):
        drone.act(DroneCommand(vx=0.5))
    kinds = _kinds(drone)
    assert "safety_hover" in kinds and "safety_land" in kinds
    measured["ardrone link cut"] = f"hover after {hover_t * 1000:.0f} ms, landed {land_t:.1f} s after the cut"


def test_navdata_loss_makes_the_bridge_send_hover_within_100ms(drone):
    drone.reset(seed=0)
    emu = drone.emulator
    assert drone.takeoff()
    for _ in range(15):
        drone.act(DroneCommand(vx=0.4))
    assert emu.firmware.pcmd[0] & 1  # progressive
    emu.cut_link(True, direction="down")  # navdata (and video) stop; AT still arrives
    last_nav = drone.link.navdata_time
    t0 = time.monotonic()
    while emu.firmware.pcmd[0] & 1 and time.monotonic() - t0 < 1.0:
        drone.link.set_pcmd(drone.link._pcmd)  # the agent keeps asking for speed
        time.sleep(0.002)
    assert not emu.firmware.pcmd[0] & 1
    assert time.monotonic() - last_nav < 0.1 + 1 / 30 + 0.03  # hover_after_s + one AT tick + scheduling
    emu.cut_link(False, direction="down")


def test_low_battery_lands(measured):
    d = ArdroneDrone(drone_config(battery_start_pct=25.0, battery_drain_pct_per_min=60.0))
    try:
        d.reset(seed=0)
        assert d.takeoff()
        with pytest.raises(LinkLostError, match="battery low"):
            for _ in range(200):
                d.act(DroneCommand(vx=0.2))
        assert d.land()
        assert "safety_land" in _kinds(d)
        measured["ardrone low battery"] = f"landed with {d.emulator.firmware.battery:.1f} % left"
    finally:
        d.close()


def test_nonfinite_commands_never_reach_the_wire(drone):
    drone.reset(seed=0)
    assert drone.takeoff()
    applied = drone.act(DroneCommand(vx=math.nan, yaw_rate=math.inf))
    assert applied == DroneCommand.hover()
    assert drone.emulator.firmware.pcmd[0] == 0  # canonical hover PCMD
    with pytest.raises(ValueError, match="non-finite"):
        from plansight.hardware.ardrone.link import Pcmd
        drone.link.set_pcmd(Pcmd(True, math.nan, 0.0, 0.0, 0.0))
    assert "nonfinite_command" in _kinds(drone)


def test_emergency_cuts_the_motors(drone):
    drone.reset(seed=0)
    assert drone.takeoff()
    drone.emergency()
    assert eventually(lambda: drone.link.navdata.has(nd.STATE_EMERGENCY))
    assert drone.emulator.firmware.sim.mode.value == "emergency"


def test_dead_drone_gives_a_clear_error_quickly():
    cfg = ArdroneConfig(host="127.0.0.1", ports=PortsConfig(at=9, navdata=9, video=9, control=9),
                        link=LinkConfig(connect_timeout_s=0.5))
    d = ArdroneDrone(cfg)
    t0 = time.monotonic()
    with pytest.raises(LinkError, match="no navdata from 127.0.0.1:9 within 0.5 s"):
        d.reset()
    assert time.monotonic() - t0 < 2.0
    d.close()


def test_thirty_percent_loss_degrades_but_stays_safe(measured):
    d = ArdroneDrone(drone_config(faults=FaultConfig(packet_loss=0.3, seed=3)))
    try:
        d.reset(seed=0)
        assert d.takeoff()
        faults = 0
        for _ in range(90):  # 3 s at 0.5 m/s
            try:
                d.act(DroneCommand(vx=0.5))
            except LinkLostError:
                faults += 1
                break
        kinds = _kinds(d)
        assert "safety_hover" in kinds  # degraded: the bridge hovered through navdata gaps
        d.land()
        emu = d.emulator
        truth = emu.truth()[0]
        assert emu.firmware.sim.mode.value == "landed" and truth.position[2] < 0.1
        assert emu.firmware.sim.collisions == 0
        assert emu.stats["at_dropped"] > 0 and emu.stats["nav_dropped"] > 0
        assert d.link.stats["watchdog_resets"] > 0 and emu.firmware.counters["COMWDG"] > 1  # seq restarts at 1
        nav_total = emu.stats["nav_sent"] + emu.stats["nav_dropped"]
        measured["ardrone 30% loss"] = (f"{emu.stats['at_dropped']}/{emu.stats['at_datagrams']} AT and "
                                        f"{emu.stats['nav_dropped']}/{nav_total} "
                                        f"navdata dropped, {d.link.stats['watchdog_resets']} watchdog resets, "
                                        f"{faults} fault stops, landed safely")
    finally:
        d.close()
