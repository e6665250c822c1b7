"""A msgpack-rpc client for AirSim 1.8.1 servers (and forks, and ``plansight serve-airsim``), on ``msgpack``.

``RpcClient`` is the transport: one TCP connection, a reader thread that matches responses to
requests by msgid (so calls may be pipelined, as the official client does), per-call timeouts, and
reconnection on the next call after the connection drops. ``AirSimClient`` names AirSim's multirotor
methods and sends every optional argument, because rpclib dispatches on the argument count
(``airsim_api.md`` §2.2, §4).

Failures are typed: ``AirSimConnectionError`` (no server, or it went away: the message says where),
``AirSimTimeoutError`` (no answer in time), ``rpc.RpcError`` (the server refused the call).
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import msgpack

from plansight.sim.airsim import rpc

log = logging.getLogger(__name__)


class AirSimConnectionError(ConnectionError):
    """The AirSim server cannot be reached, or the connection to it was lost."""


class AirSimTimeoutError(TimeoutError):
    """The AirSim server did not answer in time."""


class AsyncResult(Future):
    """The future of an ``*Async`` call; ``join()`` waits like the official client's ``Future.join``."""

    def join(self, timeout: float | None = None) -> Any:
        return self.result(timeout)


class RpcClient:
    """msgpack-rpc over TCP with msgid matching, timeouts and reconnects.

    Args:
        host, port: the server.
        timeout_s: default per-call timeout, seconds.
        connect_timeout_s: per connection attempt, seconds.
        reconnect_attempts: connection attempts per call when not connected (≥ 1).
        reconnect_delay_s: pause between attempts, seconds.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = rpc.DEFAULT_PORT, timeout_s: float = 10.0,
                 connect_timeout_s: float = 2.0, reconnect_attempts: int = 3, reconnect_delay_s: float = 0.2) -> None:
        self.host, self.port = host, port
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.reconnect_attempts = max(1, reconnect_attempts)
        self.reconnect_delay_s = reconnect_delay_s
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()  # guards _sock and _pending
        self._send_lock = threading.Lock()  # one request on the wire at a time
        self._pending: dict[int, tuple[str, Future]] = {}
        self._ids = itertools.count()
        self._closed = False
        self.connects = 0
        self.failures = 0  # calls that timed out or lost the connection (a caller may shorten later waits)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def connect(self) -> None:
        """Connect now if not connected; raises ``AirSimConnectionError`` after the configured attempts."""
        with self._lock:
            self._ensure_connected()

    def call(self, method: str, *params: Any, timeout: float | None = None) -> Any:
        """Call ``method`` and wait for its result."""
        fut = self.call_async(method, *params)
        return self.wait(fut, method, timeout)

    def call_async(self, method: str, *params: Any) -> AsyncResult:
        """Send a request now; the returned future resolves when the server answers."""
        fut = AsyncResult()
        msgid = next(self._ids) % (1 << 30)
        data = rpc.packer().pack([rpc.REQUEST, msgid, method, list(params)])
        with self._send_lock:  # sending never holds _lock, so the reader can always deliver responses
            with self._lock:
                if self._closed:
                    raise AirSimConnectionError("client is closed")
                self._ensure_connected()
                self._pending[msgid] = (method, fut)
                sock = self._sock
            try:
                sock.sendall(data)  # type: ignore[union-attr]
            except OSError as e:
                with self._lock:
                    self._pending.pop(msgid, None)
                    if self._sock is sock:
                        self._drop(f"sending {method} failed: {e}")
                raise AirSimConnectionError(f"lost the connection to the AirSim server at {self.where} "
                                            f"while sending {method}: {e}") from None
        return fut

    def wait(self, fut: Future, method: str, timeout: float | None = None) -> Any:
        t = self.timeout_s if timeout is None else timeout
        try:
            return fut.result(timeout=t)
        except AirSimConnectionError:
            self.failures += 1
            raise
        except FutureTimeout:
            self.failures += 1
            with self._lock:
                for k, (_, f) in list(self._pending.items()):
                    if f is fut:
                        del self._pending[k]
            raise AirSimTimeoutError(
                f"{method}: no answer from the AirSim server at {self.where} within {t:g} s") from None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop("client closed")

    # ------------------------------------------------------------------ internals (call with _lock held)
    def _ensure_connected(self) -> None:
        if self._sock is not None:
            return
        last: Exception | None = None
        for attempt in range(self.reconnect_attempts):
            if attempt:
                time.sleep(self.reconnect_delay_s)
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
            except OSError as e:
                last = e
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            self.connects += 1
            if self.connects > 1:
                log.warning("reconnected to the AirSim server at %s", self.where)
            threading.Thread(target=self._read, args=(sock,), name="airsim-client-reader", daemon=True).start()
            return
        self.failures += 1
        raise AirSimConnectionError(f"cannot reach an AirSim server at {self.where} after {self.reconnect_attempts} "
                                    f"attempt(s): {last}. Is AirSim (or `plansight serve-airsim`) running there?")

    def _drop(self, why: str) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        pending, self._pending = self._pending, {}
        for method, fut in pending.values():
            if not fut.done():
                fut.set_exception(AirSimConnectionError(
                    f"lost the connection to the AirSim server at {self.where} during {method} ({why})"))

    def _read(self, sock: socket.socket) -> None:
        unpacker = rpc.unpacker()
        why = "server closed the connection"
        try:
            while True:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
                unpacker.feed(chunk)
                for msg in unpacker:
                    self._on_response(msg)
        except (OSError, msgpack.UnpackException, ValueError) as e:
            why = f"{type(e).__name__}: {e}"
        with self._lock:
            if self._sock is sock:
                log.warning("connection to the AirSim server at %s lost: %s", self.where, why)
                self._drop(why)

    def _on_response(self, msg: Any) -> None:
        if not (isinstance(msg, list) and len(msg) == 4 and msg[0] == rpc.RESPONSE):
            log.warning("ignoring a message that is not a msgpack-rpc response: %.120r", msg)
            return
        _, msgid, error, result = msg
        with self._lock:
            entry = self._pending.pop(msgid, None)
        if entry is None:
            log.debug("response to unknown or abandoned msgid %r", msgid)
            return
        method, fut = entry
        if error is not None:
            fut.set_exception(rpc.RpcError(method, error))
        else:
            fut.set_result(result)


def yaw_mode(is_rate: bool = True, yaw_or_rate: float = 0.0) -> dict[str, Any]:
    """AirSim ``YawMode`` map (degrees or degrees per second, clockwise seen from above)."""
    return {"is_rate": bool(is_rate), "yaw_or_rate": float(yaw_or_rate)}


def image_request(camera: str, image_type: int, pixels_as_float: bool = False, compress: bool = True) -> dict:
    """AirSim ``ImageRequest`` map."""
    return {"camera_name": str(camera), "image_type": int(image_type), "pixels_as_float": bool(pixels_as_float),
            "compress": bool(compress)}


class AirSimClient:
    """AirSim's multirotor API (the subset plansight uses), wire-compatible with the official 1.8.1 client.

    Results are the decoded maps (``dict`` with AirSim's keys); ``*_async`` methods return ``AsyncResult``.
    """

    def __init__(self, rpc_client: RpcClient, vehicle_name: str = "") -> None:
        self.rpc = rpc_client
        self.vehicle = vehicle_name

    def ping(self) -> bool:
        return bool(self.rpc.call("ping"))

    def server_version(self) -> int:
        return int(self.rpc.call("getServerVersion"))

    def min_required_client_version(self) -> int:
        return int(self.rpc.call("getMinRequiredClientVersion"))

    def reset(self) -> None:
        self.rpc.call("reset")

    def enable_api_control(self, enabled: bool) -> None:
        self.rpc.call("enableApiControl", bool(enabled), self.vehicle)

    def arm_disarm(self, arm: bool) -> bool:
        return bool(self.rpc.call("armDisarm", bool(arm), self.vehicle))

    def cancel_last_task(self) -> None:
        self.rpc.call("cancelLastTask", self.vehicle)

    def takeoff_async(self, timeout_s: float = 20.0) -> AsyncResult:
        return self.rpc.call_async("takeoff", float(timeout_s), self.vehicle)

    def land_async(self, timeout_s: float = 60.0) -> AsyncResult:
        return self.rpc.call_async("land", float(timeout_s), self.vehicle)

    def hover_async(self) -> AsyncResult:
        return self.rpc.call_async("hover", self.vehicle)

    def move_by_velocity_body_frame_async(self, vx: float, vy: float, vz: float, duration: float,
                                          drivetrain: int = 0, yaw: dict | None = None) -> AsyncResult:
        """FRD body-frame velocity (m/s) for ``duration`` seconds."""
        return self.rpc.call_async("moveByVelocityBodyFrame", float(vx), float(vy), float(vz), float(duration),
                                   int(drivetrain), yaw or yaw_mode(), self.vehicle)

    def move_by_velocity_async(self, vx: float, vy: float, vz: float, duration: float, drivetrain: int = 0,
                               yaw: dict | None = None) -> AsyncResult:
        """NED world-frame velocity (m/s) for ``duration`` seconds."""
        return self.rpc.call_async("moveByVelocity", float(vx), float(vy), float(vz), float(duration),
                                   int(drivetrain), yaw or yaw_mode(), self.vehicle)

    def move_to_z_async(self, z: float, velocity: float, timeout_s: float = 3e38) -> AsyncResult:
        return self.rpc.call_async("moveToZ", float(z), float(velocity), float(timeout_s), yaw_mode(), -1.0, 1.0,
                                   self.vehicle)

    def get_multirotor_state(self) -> dict:
        return self.rpc.call("getMultirotorState", self.vehicle)

    def get_collision_info(self) -> dict:
        return self.rpc.call("simGetCollisionInfo", self.vehicle)

    def get_vehicle_pose(self) -> dict:
        return self.rpc.call("simGetVehiclePose", self.vehicle)

    def get_camera_info(self, camera: str) -> dict:
        return self.rpc.call("simGetCameraInfo", str(camera), self.vehicle, False)

    def get_images(self, requests: list[dict]) -> list[dict]:
        return self.rpc.call("simGetImages", requests, self.vehicle, False)

