"""Our msgpack-rpc client: clean errors when the server is missing, silent or gone; reconnects."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from plansight.sim.airsim.client import AirSimConnectionError, AirSimTimeoutError, RpcClient
from plansight.sim.airsim.rpc import RpcError
from plansight.sim.airsim.server import AirSimServer
from plansight.sim.airsim.vehicle import SimVehicle

from .conftest import EMPTY_ROOM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_server_is_a_clear_error_and_quick():
    port = _free_port()
    c = RpcClient("127.0.0.1", port, reconnect_attempts=2, reconnect_delay_s=0.05)
    t = time.perf_counter()
    with pytest.raises(AirSimConnectionError, match=f"cannot reach an AirSim server at 127.0.0.1:{port}"):
        c.call("ping")
    assert time.perf_counter() - t < 2.0


def test_silent_server_times_out():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        c = RpcClient(*listener.getsockname(), timeout_s=0.3)
        with pytest.raises(AirSimTimeoutError, match="ping: no answer .* within 0.3 s"):
            c.call("ping")
        c.close()


def test_server_closing_mid_call_fails_the_pending_call():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def accept_then_close():
            conn, _ = listener.accept()
            conn.recv(100)
            conn.close()

        threading.Thread(target=accept_then_close, daemon=True).start()
        c = RpcClient(*listener.getsockname(), timeout_s=5.0, reconnect_attempts=1)
        with pytest.raises(AirSimConnectionError, match="lost the connection .* during takeoff"):
            c.call("takeoff", 20.0, "")
        assert not c.connected


def test_reconnects_after_a_server_restart():
    srv = AirSimServer(SimVehicle(EMPTY_ROOM), "127.0.0.1", 0).start()
    host, port = srv.address
    c = RpcClient(host, port, timeout_s=5.0, reconnect_attempts=1)
    assert c.call("ping") is True
    srv.close()
    with pytest.raises(AirSimConnectionError):
        for _ in range(50):  # the reader notices the close asynchronously
            c.call("ping")
            time.sleep(0.02)
    srv2 = AirSimServer(SimVehicle(EMPTY_ROOM), host, port).start()
    try:
        assert c.call("ping") is True and c.connects == 2
        with pytest.raises(RpcError, match="could not find function 'nope'"):
            c.call("nope")
    finally:
        c.close()
        srv2.close()
