"""An AirSim-compatible msgpack-rpc server over our MuJoCo quadrotor (``plansight serve-airsim``).

Transport (``airsim_api.md`` §2, §8): TCP, one reader thread per connection feeding a streaming
``msgpack.Unpacker``. Each request is dispatched on ``(method, len(params))`` in arrival order:
quick methods are answered inline; manoeuvres (``takeoff``, ``moveBy*``…) are checked and claim the
vehicle inline, then run on a worker pool and are answered when they finish, so a client can poll
state and images while its ``*Async`` future is pending (responses are matched by msgid).

Errors are rpclib's strings: an unknown (method, arity) pair gets "server could not find function",
a handler exception "threw an exception" with its message. A well-formed msgpack object that is not
a valid request is answered with an error when it carries a msgid and logged otherwise; bytes that
are not msgpack at all cannot be re-synchronised in a frameless stream, so that connection (only)
is closed. The server keeps serving in every case.

Run it: ``python -m sim.airsim.server --port 41451 --room 0`` (prints ``listening on HOST:PORT``).
"""

from __future__ import annotations

import argparse
import logging
import socket
import socketserver
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msgpack

from plansight.sim.airsim import rpc
from plansight.sim.airsim.methods import METHODS, Deferred
from plansight.sim.airsim.vehicle import SimVehicle, VehicleError
from plansight.sim.drone.config_drone import DroneSimConfig

log = logging.getLogger(__name__)

_WORKERS = 8  # rpclib's async_run(vehicles + 4); we allow a few more concurrent manoeuvre futures


class AirSimServer:
    """msgpack-rpc server with AirSim's multirotor API over ``SimVehicle``.

    Args:
        vehicle: the simulated vehicle; the server owns and closes it.
        host, port: where to listen; port 0 picks a free port (see ``address``).
    """

    def __init__(self, vehicle: SimVehicle, host: str = "127.0.0.1", port: int = rpc.DEFAULT_PORT) -> None:
        self.vehicle = vehicle
        self._pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="airsim-task")
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        server = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                server._serve_connection(self.request, self.client_address)

        class _TCP(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._tcp = _TCP((host, port), _Handler)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._tcp.server_address[:2]
        return str(host), int(port)

    def start(self) -> AirSimServer:
        """Serve on a background thread; returns self."""
        self._thread = threading.Thread(target=self._tcp.serve_forever, name="airsim-server", daemon=True)
        self._thread.start()
        log.info("AirSim-compatible server listening on %s:%d", *self.address)
        return self

    def serve_forever(self) -> None:
        log.info("AirSim-compatible server listening on %s:%d", *self.address)
        self._tcp.serve_forever()

    def close(self) -> None:
        """Stop accepting, drop every connection, stop running manoeuvres and free the simulator."""
        self._tcp.shutdown() if self._thread is not None else None
        self._tcp.server_close()
        with self._conns_lock:
            for s in list(self._conns):
                _quiet_close(s)
        self.vehicle.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.vehicle.close()

    def __enter__(self) -> AirSimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ per connection
    def _serve_connection(self, sock: socket.socket, peer: Any) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._conns_lock:
            self._conns.add(sock)
        send_lock = threading.Lock()
        unpacker = rpc.unpacker()
        log.debug("client %s connected", peer)
        try:
            while True:
                try:
                    chunk = sock.recv(1 << 16)
                except OSError:
                    break
                if not chunk:
                    break
                try:
                    unpacker.feed(chunk)
                    for msg in unpacker:
                        self._on_message(msg, sock, send_lock)
                except (msgpack.UnpackException, ValueError) as e:  # FormatError, StackError, BufferFull...
                    log.warning("client %s sent bytes that are not msgpack-rpc (%s: %s); closing that connection",
                                peer, type(e).__name__, e)
                    break
        finally:
            with self._conns_lock:
                self._conns.discard(sock)
            _quiet_close(sock)
            log.debug("client %s disconnected", peer)

    def _on_message(self, msg: Any, sock: socket.socket, send_lock: threading.Lock) -> None:
        try:
            kind, msgid, method, params = rpc.parse_request(msg)
        except rpc.ProtocolError as e:
            msgid = getattr(e, "msgid", None)
            log.warning("invalid message: %s", e)
            if msgid is not None:
                _send(sock, send_lock, [rpc.RESPONSE, msgid, f"rpclib: {e}", None])
            return
        error, result = self._call(method, params)
        if isinstance(result, Deferred):
            fut = self._pool.submit(self._run_deferred, method, len(params), result)
            if msgid is not None:
                fut.add_done_callback(lambda f: _send(sock, send_lock, [rpc.RESPONSE, msgid, *f.result()]))
            return
        if msgid is not None:
            _send(sock, send_lock, [rpc.RESPONSE, msgid, error, result])

    def _call(self, method: str, params: list) -> tuple[str | None, Any]:
        if rpc.has_unhashable_map(params):
            log.info("%s refused: a map key is an array or a map", method)
            return rpc.threw(method, len(params), "a map key is an array or a map (unhashable)"), None
        handler = METHODS.get((method, len(params)))
        if handler is None:
            log.info("no method %s with %d argument(s) (not implemented by plansight or wrong arity)",
                     method, len(params))
            return rpc.no_such_function(method, len(params)), None
        try:
            return None, handler(self.vehicle, *params)
        except (VehicleError, TypeError, ValueError, KeyError) as e:
            log.info("%s refused: %s", method, e)
            return rpc.threw(method, len(params), str(e)), None
        except Exception as e:  # a bug here must not take the server down
            log.exception("%s failed", method)
            return rpc.threw(method, len(params), f"{type(e).__name__}: {e}"), None

    def _run_deferred(self, method: str, argc: int, d: Deferred) -> tuple[str | None, Any]:
        try:
            return None, d.fn()
        except Exception as e:
            log.exception("%s failed while running", method)
            return rpc.threw(method, argc, f"{type(e).__name__}: {e}"), None


def _send(sock: socket.socket, lock: threading.Lock, msg: list) -> None:
    data = rpc.packer().pack(msg)
    try:
        with lock:
            sock.sendall(data)
    except OSError as e:  # the client went away; its answer has nowhere to go
        log.debug("could not answer: %s", e)


def _quiet_close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


def main(argv: list[str] | None = None) -> None:
    """``python -m sim.airsim.server``: serve until interrupted (used by ``spawn_server: process``)."""
    ap = argparse.ArgumentParser(description="AirSim-compatible msgpack-rpc server over the MuJoCo quadrotor")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=rpc.DEFAULT_PORT)
    ap.add_argument("--room", type=int, default=0, help="room seed")
    ap.add_argument("--sim-json", default=None, help="DroneSimConfig as JSON (defaults otherwise)")
    ap.add_argument("--clock-speed", type=float, default=None, help="sim seconds per wall second; default: fast")
    ap.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = ap.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    cfg = DroneSimConfig.model_validate_json(args.sim_json) if args.sim_json else DroneSimConfig()
    server = AirSimServer(SimVehicle(cfg, seed=args.room, clock_speed=args.clock_speed), args.host, args.port)
    sys.stdout.write("listening on {}:{}\n".format(*server.address))
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    main()
