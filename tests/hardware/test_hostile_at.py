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
