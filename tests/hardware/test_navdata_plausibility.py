"""Checksum-valid navdata that cannot be true (the byte sum misses some multi-bit errors) is dropped and
counted, never flown on: out-of-range values, impossible jumps; a real step that persists is accepted."""

from __future__ import annotations

import math
import random

import numpy as np

from plansight.agent.contracts import DroneCommand
from plansight.hardware.ardrone import navdata as nd
from plansight.hardware.ardrone.config_ardrone import BridgeSafetyConfig, FaultConfig, LinkConfig, PortsConfig
from plansight.hardware.ardrone.drone import ArdroneDrone
from plansight.hardware.ardrone.emulator import corrupt_keeping_checksum
from plansight.hardware.ardrone.link import ArdroneLink
from tests.hardware.conftest import drone_config

HOVER = nd.Demo(ctrl_state=nd.CTRL_HOVERING, fly_state=0, battery_pct=80, pitch=0.0, roll=0.0, yaw=0.3,
                altitude_m=1.0, vx=0.2, vy=0.0, vz=0.0, num_frames=0)


def _nav(seq: int, **change) -> nd.Navdata:
    return nd.decode(nd.encode(nd.STATE_FLY, seq, nd.Demo(**{**HOVER.__dict__, **change})))


def test_out_of_range_values_are_refused_whatever_came_before():
    f = nd.PlausibilityFilter()
    for change in ({"vx": 40.0}, {"altitude_m": 250.0}, {"roll": 2.0}, {"battery_pct": 300},
                   {"ctrl_state": 77}, {"altitude_m": -3.0}):
        assert f.check(_nav(1, **change), 0.0) is not None, change
    assert f.check(_nav(2), 0.0) is None and f.dropped == 6


def test_a_single_jump_is_dropped_and_a_persistent_step_is_accepted():
    f = nd.PlausibilityFilter(confirm=3)
    assert f.check(_nav(1), 0.00) is None
    assert "jump in velocity" in f.check(_nav(2, vx=6.0), 0.07)
    assert f.check(_nav(3), 0.13) is None  # the corrupt packet did not move the reference
    assert "altitude" in f.check(_nav(4, altitude_m=3.0), 0.20)
    assert f.check(_nav(5, altitude_m=3.0), 0.27) is not None
    assert f.check(_nav(6, altitude_m=3.02), 0.33) is None  # three agreeing packets: a real step
    assert f.reanchored == 1 and f.check(_nav(7, altitude_m=3.05), 0.40) is None


def test_jumps_are_not_judged_across_a_long_gap_and_yaw_wraps():
    f = nd.PlausibilityFilter()
    assert f.check(_nav(1, yaw=math.pi - 0.01), 0.0) is None
    assert f.check(_nav(2, yaw=-math.pi + 0.01), 0.07) is None  # across ±π, a 0.02 rad turn
    assert f.check(_nav(3, altitude_m=4.0, yaw=0.0), 1.0) is None  # 0.93 s of silence: anything in bounds


def test_bit_flipped_packets_that_pass_the_checksum_never_pass_the_bounds():
    """The corruption the emulator injects: every packet that still decodes is in physical bounds."""
    rng = random.Random(0)
    good = nd.encode(nd.STATE_FLY, 5, HOVER)
    decoded = refused = 0
    for _ in range(3000):
        bad = corrupt_keeping_checksum(good, rng)
        try:
            nav = nd.decode(bad)
        except nd.NavdataError:
            continue
        decoded += 1
        f = nd.PlausibilityFilter()
        f.check(_nav(4), 0.0)
        if f.check(nav, 0.066) is not None:
            refused += 1
        else:
            d = nav.demo
            assert abs(d.vx - HOVER.vx) <= nd.SPEED_STEP_MPS + 2 and abs(d.altitude_m - 1.0) <= 1.5
    assert decoded > 2000 and refused > 300  # most flips land in unused fields or low bits: harmless


def test_the_link_drops_implausible_packets_and_logs_it_once_per_run():
    events = []
    link = ArdroneLink("127.0.0.1", PortsConfig(), LinkConfig(video=False), BridgeSafetyConfig(),
                       on_event=lambda kind, data: events.append(kind))
    raw = [nd.encode(nd.STATE_FLY, k, nd.Demo(**{**HOVER.__dict__, "vx": v})) for k, v in
           ((1, 0.2), (2, 9.5), (3, -9.0), (4, 0.25))]
    accepted = [link.handle_navdata(p, 0.05 * k) for k, p in enumerate(raw)]
    assert accepted == [True, False, False, True]
    assert link.stats["nav_implausible"] == 2 and events.count("navdata_implausible") == 1
    assert link.last_demo.vx == 0.25


def test_a_drone_fed_corrupt_navdata_hovers_safely_and_says_so():
    """20 % of navdata packets bit-flipped with valid checksums: the estimate stays finite and near the
    truth, and every dropped packet is counted."""
    d = ArdroneDrone(drone_config(faults=FaultConfig(navdata_corruption=0.2, seed=3)))
    try:
        d.reset(seed=0)
        assert d.takeoff()
        for _ in range(45):
            d.act(DroneCommand(vx=0.3))
        state = d.observe().state
        truth = d.emulator.truth()[0]
        assert np.all(np.isfinite(state))
        assert np.linalg.norm(state[:2] - truth.position[:2]) < 0.3
        assert d.emulator.stats["nav_corrupted"] > 5 and d.link.stats["nav_implausible"] + d.link.stats["nav_bad"] > 0
        assert d.land()
    finally:
        d.close()


def test_a_non_finite_state_estimate_latches_a_landing():
    import pytest

    from plansight.hardware.ardrone.drone import LinkLostError

    d = ArdroneDrone(drone_config())
    try:
        d.reset(seed=0)
        assert d.takeoff()
        d.act(DroneCommand.hover())
        d._odometry._xy[:] = math.nan  # whatever produced it: the bridge must not fly on it
        with pytest.raises(LinkLostError, match="non-finite state"):
            d.act(DroneCommand(vx=0.5))
        assert d.link.latched_land == "non-finite state estimate"
        assert "safety_land" in [e.kind for e in d.observe().events]
        assert d.land() and d.emulator.truth()[0].position[2] < 0.1
    finally:
        d.close()
