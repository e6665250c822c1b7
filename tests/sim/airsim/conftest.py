"""Fixtures: a loopback AirSim-compatible server (thread, free port) and an in-house client for it."""

from __future__ import annotations

import pytest

from plansight.sim.airsim.client import AirSimClient, RpcClient
from plansight.sim.airsim.server import AirSimServer
from plansight.sim.airsim.vehicle import SimVehicle
from plansight.sim.drone.config_drone import DroneSimConfig, RoomConfig

EMPTY_ROOM = DroneSimConfig(room=RoomConfig(size_m=(20.0, 20.0), n_poles=0, n_boxes=0))


@pytest.fixture(scope="module")
def server():
    """One server per test module, in an empty 20 × 20 m room; reset before each test by ``client``."""
    srv = AirSimServer(SimVehicle(EMPTY_ROOM, seed=0), "127.0.0.1", 0).start()
    yield srv
    srv.close()


@pytest.fixture
def rpc_client(server):
    c = RpcClient(*server.address, timeout_s=10.0, reconnect_attempts=1)
    c.call("reset")
    yield c
    c.close()


@pytest.fixture
def client(rpc_client):
    """An AirSimClient with API control and arming done."""
    c = AirSimClient(rpc_client)
    c.enable_api_control(True)
    assert c.arm_disarm(True)
    return c


@pytest.fixture
def flying(client):
    assert client.takeoff_async().join(10) is True
    return client
