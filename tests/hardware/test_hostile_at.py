"""Hostile AT traffic: an out-of-range integer is a malformed line (it killed the emulator's AT thread), and a
numeric CONFIG value must be finite (nan and inf reset the physics)."""

from __future__ import annotations

import socket
import time

from plansight.hardware.ardrone.at import parse_datagram
from plansight.hardware.ardrone.config_ardrone import EmulatorConfig
from plansight.hardware.ardrone.emulator import ArdroneEmulator


def test_out_of_range_integers_are_malformed_lines():
    assert parse_datagram(b"AT*PCMD=1,1,2147483648,0,0,0\r") == []
    assert parse_datagram(b"AT*PCMD=1,1,-2147483649,0,0,0\r") == []
    assert parse_datagram(b"AT*PCMD=99999999999,1,0,0,0,0\r") == []
    (ok,) = parse_datagram(b"AT*PCMD=1,1,2147483647,-2147483648,0,0\r")
    assert ok.args[1:3] == (2147483647, -2147483648)


def test_the_emulator_obeys_after_hostile_datagrams():
    with ArdroneEmulator(EmulatorConfig(video=False), "127.0.0.1") as emu:
        p = emu.start(0)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            hostile = [b"AT*PCMD=1,1,2147483648,0,0,0\r", b'AT*CONFIG=2,"control:euler_angle_max","nan"\r',
                       b'AT*CONFIG=3,"control:control_vz_max","inf"\r', b"\xff" * 300, b"AT*REF=4,\r"]
            for d in hostile:
                s.sendto(d, ("127.0.0.1", p.at))
            time.sleep(0.3)
            fw = emu.firmware
            assert fw.config["control:euler_angle_max"] == "0.209440"  # nan refused
            assert fw.config["control:control_vz_max"] == "700"  # inf refused
            s.sendto(b'AT*CONFIG=5,"control:control_vz_max","500"\r', ("127.0.0.1", p.at))
            deadline = time.monotonic() + 3.0
            while fw.config["control:control_vz_max"] != "500" and time.monotonic() < deadline:
                time.sleep(0.02)
            assert fw.config["control:control_vz_max"] == "500"  # the AT thread is alive and obeys
            assert emu.stats.get("at_errors", 0) == 0
        finally:
            s.close()


def test_checksum_valid_nan_navdata_is_refused():
    import math

    import pytest

    from plansight.hardware.ardrone import navdata as nd

    good = nd.Demo(ctrl_state=nd.CTRL_HOVERING, fly_state=0, battery_pct=80, pitch=0.0, roll=0.0, yaw=0.1,
                   altitude_m=1.0, vx=0.2, vy=0.0, vz=0.0, num_frames=0)
    assert nd.decode(nd.encode(0, 1, good)).demo.vx == pytest.approx(0.2)
    for field in ("vx", "vy", "pitch", "yaw"):
        bad = nd.Demo(**{**good.__dict__, field: math.nan})
        with pytest.raises(nd.NavdataError, match="non-finite"):
            nd.decode(nd.encode(0, 1, bad))


def test_navdata_from_anyone_but_the_drone_is_dropped():
    from plansight.hardware.ardrone import navdata as nd
    from plansight.hardware.ardrone.config_ardrone import BridgeSafetyConfig, LinkConfig, PortsConfig
    from plansight.hardware.ardrone.link import ArdroneLink

    with ArdroneEmulator(EmulatorConfig(video=False), "127.0.0.1") as emu:
        p = emu.start(0)
        ports = PortsConfig(at=p.at, navdata=p.navdata, video=p.video, control=p.control)
        link = ArdroneLink("127.0.0.1", ports, LinkConfig(video=False), BridgeSafetyConfig())
        try:
            link.connect()
            spoof = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            fake = nd.Demo(ctrl_state=nd.CTRL_FLYING, fly_state=0, battery_pct=5, pitch=0.0, roll=0.0, yaw=0.0,
                           altitude_m=9.0, vx=3.0, vy=0.0, vz=0.0, num_frames=0)
            for k in range(5):
                spoof.sendto(nd.encode(0, 10_000 + k, fake), link._nav_sock.getsockname())
            spoof.close()
            deadline = time.monotonic() + 2.0
            while link.stats.get("nav_foreign", 0) < 5 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert link.stats.get("nav_foreign", 0) == 5
            assert link.last_demo is None or link.last_demo.altitude_m < 9.0  # the spoofed state never landed
        finally:
            link.close()


def test_a_nan_velocity_estimate_never_gives_full_tilt():
    import math

    from plansight.agent.contracts import DroneCommand
    from plansight.hardware.ardrone.config_ardrone import FirmwareLimits, VelocityLoopConfig
    from plansight.hardware.ardrone.velocity import VelocityToPcmd, _clip

    assert _clip(math.nan, 1.0) == 0.0 and _clip(5.0, 1.0) == 1.0 and _clip(-5.0, 1.0) == -1.0
    loop = VelocityToPcmd(VelocityLoopConfig(), FirmwareLimits())
    fed_forward = VelocityToPcmd(VelocityLoopConfig(), FirmwareLimits())(DroneCommand(0.1, 0, 0, 0), None, 0.03)
    out = loop(DroneCommand(0.1, 0, 0, 0), (math.nan, 0.0), 0.03)
    assert out == fed_forward and abs(out.roll) < 0.5 and abs(out.pitch) < 0.5
