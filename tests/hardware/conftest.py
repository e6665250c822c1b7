"""Shared AR.Drone fixtures: a fast-taking-off emulator on 127.0.0.1 with ephemeral ports."""

import socket
import time

import pytest

from plansight.hardware.ardrone import navdata as nd
from plansight.hardware.ardrone.at import ATEncoder
from plansight.hardware.ardrone.config_ardrone import ArdroneConfig, EmulatorConfig, LinkConfig
from plansight.hardware.ardrone.emulator import ArdroneEmulator
from plansight.sim.drone.config_drone import DroneSimConfig

FAST_SIM = DroneSimConfig(render=False, ground_truth_depth=False, hover_altitude_m=0.6, takeoff_speed_mps=1.0,
                          landing_speed_mps=0.8)


def eventually(predicate, timeout_s: float = 3.0, every_s: float = 0.01) -> bool:
    """Poll ``predicate`` until it holds or ``timeout_s`` passes (the emulator handles UDP on its own thread;
    the protocol has no acknowledgement for FTRIM, CONFIG without ACK and the like, so a test waits)."""
    end = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > end:
            return False
        time.sleep(every_s)
    return True


def emulator_config(**kw) -> EmulatorConfig:
    return EmulatorConfig(sim=FAST_SIM, video_width=128, video_height=96, **kw)


def drone_config(**emu_kw) -> ArdroneConfig:
    return ArdroneConfig(emulator=emulator_config(**emu_kw), link=LinkConfig(connect_timeout_s=5.0))


class RawClient:
    """A bare-sockets client: our encoder and decoder, no bridge logic (to test the drone side)."""

    def __init__(self, ports) -> None:
        self.ports = ports
        self.enc = ATEncoder()
        self.at = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.nav = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.nav.settimeout(1.0)
        self.nav.sendto(b"\x01\x00\x00\x00", ("127.0.0.1", ports.navdata))

    def send(self, *lines: bytes) -> None:
        self.at.sendto(b"".join(lines), ("127.0.0.1", self.ports.at))

    def latest(self, wait_s: float = 0.15) -> nd.Navdata:
        """Drain the socket for ``wait_s`` and return the newest packet."""
        end, last = time.monotonic() + wait_s, None
        while time.monotonic() < end or last is None:
            last = nd.decode(self.nav.recvfrom(4096)[0])
        return last

    def pump(self, seconds: float, make_lines, every_s: float = 0.02) -> nd.Navdata:
        """Send ``make_lines()`` every ``every_s`` for ``seconds`` while draining navdata; newest packet."""
        end, last = time.monotonic() + seconds, None
        self.nav.settimeout(every_s)
        while time.monotonic() < end or last is None:
            self.send(*make_lines())
            try:
                while True:
                    last = nd.decode(self.nav.recvfrom(4096)[0])
            except TimeoutError:
                pass
        self.nav.settimeout(1.0)
        return last

    def close(self) -> None:
        self.at.close()
        self.nav.close()


@pytest.fixture
def emulator():
    emu = ArdroneEmulator(emulator_config(video=False))
    emu.start(seed=0)
    yield emu
    emu.stop()


@pytest.fixture
def raw(emulator):
    c = RawClient(emulator.ports_bound)
    yield c
    c.close()
