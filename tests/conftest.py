"""Shared fixtures, and a summary of the figures tests measured (printed at the end of the run)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MUJOCO_GL", "egl")

MEASURED: dict[str, str] = {}


@pytest.fixture
def measured():
    """Record a figure a test measured: ``measured["stereo median AbsRel"] = "0.045"``."""
    return MEASURED


def pytest_terminal_summary(terminalreporter):
    if MEASURED:
        terminalreporter.section("figures measured by tests")
        for k, v in sorted(MEASURED.items()):
            terminalreporter.write_line(f"{k}: {v}")


@pytest.fixture
def flying_sim():
    """A physics-only DroneSim in an empty 20 × 20 m room, hovering at 1 m."""
    from plansight.sim.drone.config_drone import DroneSimConfig, RoomConfig
    from plansight.sim.drone.drone_sim import DroneSim

    sim = DroneSim(DroneSimConfig(render=False, room=RoomConfig(size_m=(20.0, 20.0), n_poles=0, n_boxes=0)))
    sim.reset(0)
    assert sim.takeoff()
    yield sim
    sim.close()


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """Tests use small models: one intra-op thread is nearly as fast, and it does not collapse when the
    machine is busy (two OpenMP threads sharing one free core wait on each other at every barrier)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
