"""A busy port is one line, and a second emulator cannot share a running one's UDP ports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from plansight.hardware.ardrone.config_ardrone import EmulatorConfig, PortsConfig
from plansight.hardware.ardrone.emulator import ArdroneEmulator


def test_a_second_emulator_on_the_same_ports_is_refused_in_one_line(tmp_path):
    cfg = EmulatorConfig(video=False)
    with ArdroneEmulator(cfg, "127.0.0.1") as first:
        p = first.start(0)
        ports = PortsConfig(at=p.at, navdata=p.navdata, video=p.video, control=p.control)
        second = ArdroneEmulator(cfg, "127.0.0.1", ports)
        with pytest.raises(OSError, match=f"UDP AT port {p.at}: Address already in use"):
            second.start(0)
        second.stop()  # nothing was left bound
        r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "emulate", "ardrone", "--at-port",
                            str(p.at), "--navdata-port", "0", "--video-port", "0", "--control-port", "0"],
                           capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"UDP AT port {p.at}: Address already in use" in r.stderr
