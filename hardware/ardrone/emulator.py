"""Loopback AR.Drone 2.0: the real wire protocol on real sockets, the physics of our MuJoCo quadrotor.

Sockets (host and every port configurable; port 0 picks a free one):
- UDP ``at`` (5556): AT commands → ``Firmware.handle``;
- UDP ``navdata`` (5554): any datagram is a trigger; navdata goes to its source address at
  ``navdata_hz`` (bootstrap packets until ``general:navdata_demo`` is configured);
- TCP ``video`` (5555): PaVE-framed H.264 of the rendered front camera (the simulator's left camera);
- TCP ``control`` (5559): the configuration dump after ``AT*CTRL=seq,4,0``.

Threads: AT receiver, navdata sender, physics (one control period per ``sim.dt`` of wall clock),
video (render + encode at ``video_fps``), and two TCP acceptors. One lock guards the firmware.

Fault injection for tests: ``packet_loss`` and ``latency_s`` on UDP in both directions,
``navdata_corruption`` (checksum-valid bit flips in the demo option), and ``cut_link`` (nothing in or
out, video included) — see ``set_faults``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass

from plansight.agent.contracts import DroneState, Event
from plansight.hardware.ardrone import navdata as nd
from plansight.hardware.ardrone.at import parse_datagram
from plansight.hardware.ardrone.config_ardrone import EmulatorConfig, FaultConfig, PortsConfig
from plansight.hardware.ardrone.firmware import Firmware
from plansight.hardware.ardrone.pave import FRAME_IDR, FRAME_P, build_frame

log = logging.getLogger(__name__)

_POLL_S = 0.05


@dataclass(frozen=True)
class EmulatorPorts:
    """The ports actually bound (useful when the config asked for 0)."""

    at: int
    navdata: int
    video: int
    control: int


class ArdroneEmulator:
    """A faithful loopback drone. ``start(seed)`` binds and runs; ``stop()`` closes everything.

    Args:
        cfg: emulator settings (its ``sim`` is the simulator configuration).
        host: address to bind, normally 127.0.0.1.
        ports: ports to bind; 0 = any free port (see ``ports_bound``).
    """

    def __init__(self, cfg: EmulatorConfig | None = None, host: str = "127.0.0.1",
                 ports: PortsConfig | None = None) -> None:
        self.cfg = cfg or EmulatorConfig()
        self.host = host
        self._ports_cfg = ports or PortsConfig(at=0, navdata=0, video=0, control=0)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._faults = self.cfg.faults
        self._rng = random.Random(self._faults.seed)
        self._cut_up = False  # client → drone (AT, navdata triggers)
        self._cut_down = False  # drone → client (navdata, video)
        self._nav_client: tuple[str, int] | None = None
        self._delayed_at: list[tuple[float, int, bytes]] = []
        self._delayed_nav: list[tuple[float, int, bytes]] = []
        self._seq = itertools.count()
        self._at_sock: socket.socket | None = None
        self._nav_sock: socket.socket | None = None
        self._video_sock: socket.socket | None = None
        self._control_sock: socket.socket | None = None
        self._video_clients: list[socket.socket] = []
        self._control_clients: list[socket.socket] = []
        self.firmware: Firmware | None = None
        self.ports_bound: EmulatorPorts | None = None
        self.stats = {"at_datagrams": 0, "at_dropped": 0, "nav_sent": 0, "nav_dropped": 0, "video_frames": 0}

    # ------------------------------------------------------------------ lifecycle
    def start(self, seed: int = 0) -> EmulatorPorts:
        from plansight.sim.drone.drone_sim import DroneSim  # MuJoCo only when an emulator actually runs

        sim = DroneSim(self.cfg.sim)
        self._room = sim.reset(seed).info.get("room")
        self.firmware = Firmware(self.cfg, sim)
        p = self._ports_cfg
        try:
            self._at_sock = _udp(self.host, p.at, "AT")
            self._nav_sock = _udp(self.host, p.navdata, "navdata")
            self._video_sock = _tcp_listener(self.host, p.video, "video")
            self._control_sock = _tcp_listener(self.host, p.control, "control")
        except OSError:
            self.stop()  # close what was bound; the caller reports the one line
            raise
        self.ports_bound = EmulatorPorts(self._at_sock.getsockname()[1], self._nav_sock.getsockname()[1],
                                         self._video_sock.getsockname()[1], self._control_sock.getsockname()[1])
        loops = [self._at_loop, self._nav_loop, self._physics_loop, self._control_loop,
                 lambda: self._accept_loop(self._video_sock, self._video_clients)]
        if self.cfg.video:
            loops.append(self._video_loop)
        for fn in loops:
            t = threading.Thread(target=fn, name=f"ardrone-emu-{getattr(fn, '__name__', 'video-accept')}",
                                 daemon=True)
            t.start()
            self._threads.append(t)
        log.info("AR.Drone emulator on %s: %s (room seed %d)", self.host, self.ports_bound, seed)
        return self.ports_bound

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2.0)
        self._threads = []
        for s in [self._at_sock, self._nav_sock, self._video_sock, self._control_sock,
                  *self._video_clients, *self._control_clients]:
            if s is None:
                continue
            try:
                s.close()
            except OSError:
                pass
        self._video_clients.clear()
        self._control_clients.clear()
        if self.firmware is not None:
            self.firmware.sim.close()

    def __enter__(self) -> ArdroneEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ faults and truth
    def set_faults(self, faults: FaultConfig) -> None:
        """Change packet loss and latency while running."""
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)

    def cut_link(self, cut: bool = True, direction: str = "both") -> None:
        """Cut (or restore) the radio link in ``direction`` ("both", "up" = client → drone, "down" =
        drone → client): every datagram and video byte that way is lost while cut."""
        if direction not in ("both", "up", "down"):
            raise ValueError(f"direction must be both, up or down, got {direction!r}")
        with self._lock:
            if direction in ("both", "up"):
                self._cut_up = cut
            if direction in ("both", "down"):
                self._cut_down = cut
        log.warning("link %s (%s)", "CUT" if cut else "restored", direction)

    def truth(self) -> tuple[DroneState, list[Event]]:
        """The simulator's true state and its events since the last call (collisions, take-off…)."""
        with self._lock:
            obs = self.firmware.sim.observe()  # no renderer on the emulator's simulator: state and events only
            return DroneState.from_vector(obs.state), list(obs.events)

    @property
    def room(self) -> dict | None:
        return self._room

    # ------------------------------------------------------------------ loops
    def _drop(self, up: bool) -> bool:
        """Whether this datagram is lost: link cut that way, or random loss."""
        if self._cut_up if up else self._cut_down:
            return True
        return self._faults.packet_loss > 0 and self._rng.random() < self._faults.packet_loss

    def _at_loop(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self._at_sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.stats["at_datagrams"] += 1
                if self._drop(up=True):
                    self.stats["at_dropped"] += 1
                    continue
                if self._faults.latency_s > 0:
                    heapq.heappush(self._delayed_at, (time.monotonic() + self._faults.latency_s, next(self._seq), data))
                    continue
                try:
                    self._apply_at(data, time.monotonic())
                except Exception as e:  # a datagram must never stop the AT thread: count it and go on
                    self.stats["at_errors"] = self.stats.get("at_errors", 0) + 1
                    log.warning("AT datagram dropped (%s: %s)", type(e).__name__, e)

    def _apply_at(self, data: bytes, now: float) -> None:
        fw = self.firmware
        for cmd in parse_datagram(data):
            fw.handle(cmd, now)
        if fw.config_dump_requested:
            fw.config_dump_requested = False
            dump = fw.config_dump()
            for c in list(self._control_clients):
                _send_or_forget(c, dump, self._control_clients)

    def _nav_loop(self) -> None:
        period = 1.0 / self.cfg.navdata_hz
        next_t = time.monotonic()
        self._nav_sock.settimeout(0.005)
        while not self._stop.is_set():
            try:
                _, addr = self._nav_sock.recvfrom(64)  # trigger: remember who wants navdata
                with self._lock:
                    if not self._drop(up=True):
                        self._nav_client = addr
            except TimeoutError:
                pass
            except OSError:
                return
            now = time.monotonic()
            with self._lock:
                while self._delayed_nav and self._delayed_nav[0][0] <= now:
                    self._sendto_nav(heapq.heappop(self._delayed_nav)[2])
                if now < next_t or self._nav_client is None:
                    continue
                next_t = max(next_t + period, now - period)
                packet = self.firmware.navdata()
                if self._faults.navdata_corruption > 0 and self._rng.random() < self._faults.navdata_corruption:
                    packet = corrupt_keeping_checksum(packet, self._rng)
                    self.stats["nav_corrupted"] = self.stats.get("nav_corrupted", 0) + 1
                if self._drop(up=False):
                    self.stats["nav_dropped"] += 1
                elif self._faults.latency_s > 0:
                    heapq.heappush(self._delayed_nav, (now + self._faults.latency_s, next(self._seq), packet))
                else:
                    self._sendto_nav(packet)

    def _sendto_nav(self, packet: bytes) -> None:
        try:
            self._nav_sock.sendto(packet, self._nav_client)
            self.stats["nav_sent"] += 1
        except OSError as e:
            log.debug("navdata send failed: %s", e)

    def _physics_loop(self) -> None:
        dt = self.firmware.sim.dt
        next_t = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now < next_t:
                time.sleep(min(next_t - now, _POLL_S))
                continue
            next_t = max(next_t + dt, now - 5 * dt)  # catch up a little, never spiral
            with self._lock:
                while self._delayed_at and self._delayed_at[0][0] <= now:
                    self._apply_at(heapq.heappop(self._delayed_at)[2], now)
                self.firmware.tick(now)

    def _video_loop(self) -> None:
        from plansight.hardware.ardrone.h264 import H264Encoder
        from plansight.sim.drone.model import LEFT_CAMERA
        from plansight.sim.drone.render import CameraRenderer

        c = self.cfg
        with self._lock:
            model = self.firmware.sim.model
        renderer = CameraRenderer(model, c.video_width, c.video_height, depth=False)  # GL context of this thread
        encoder = H264Encoder(c.video_width, c.video_height, c.video_fps, c.video_gop)
        period = 1.0 / c.video_fps
        next_t = time.monotonic()
        t0 = next_t
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if now < next_t:
                    time.sleep(min(next_t - now, _POLL_S))
                    continue
                next_t = max(next_t + period, now - period)
                with self._lock:
                    rgb = renderer.rgb(self.firmware.sim.data, LEFT_CAMERA)
                    number = self.firmware.frames_sent
                    self.firmware.frames_sent += 1
                    cut = self._cut_down
                for au in encoder.encode(rgb):
                    frame = build_frame(au.data, number, int((now - t0) * 1000), c.video_width, c.video_height,
                                        FRAME_IDR if au.keyframe else FRAME_P, header_size=c.pave_header_size)
                    self.stats["video_frames"] += 1
                    if not cut:
                        for client in list(self._video_clients):
                            _send_or_forget(client, frame, self._video_clients)
        finally:
            renderer.close()

    def _control_loop(self) -> None:
        self._accept_loop(self._control_sock, self._control_clients)

    def _accept_loop(self, listener: socket.socket, clients: list[socket.socket]) -> None:
        while not self._stop.is_set():
            try:
                conn, addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(0.5)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            clients.append(conn)
            log.info("TCP client %s on port %d", addr, listener.getsockname()[1])


def _bind(s: socket.socket, host: str, port: int, what: str) -> None:
    try:
        s.bind((host, port))
    except OSError as e:
        s.close()
        raise OSError(e.errno, f"{what} port {port}: {e.strerror}") from None


def _udp(host: str, port: int, what: str = "UDP") -> socket.socket:
    """A UDP socket bound to ``port`` (no SO_REUSEADDR: on Linux it would let a second emulator bind the same
    port and steal half the datagrams)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    _bind(s, host, port, f"UDP {what}")
    s.settimeout(_POLL_S)
    return s


def _tcp_listener(host: str, port: int, what: str = "TCP") -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TCP: only lets a new listener reuse TIME_WAIT
    _bind(s, host, port, f"TCP {what}")
    s.listen(4)
    s.settimeout(_POLL_S)
    return s


def corrupt_keeping_checksum(packet: bytes, rng: random.Random, max_bits: int = 8) -> bytes:
    """``packet`` with 1..``max_bits`` random bits of its demo option flipped and the checksum recomputed, as the
    rare multi-bit errors that the byte-sum checksum cannot see (ardrone2_protocol.md §4)."""
    body = bytearray(packet[:-8])
    if len(body) < 16 + nd.DEMO_SIZE or struct.unpack_from("<H", body, 16)[0] != nd.TAG_DEMO:
        return packet  # no demo option (bootstrap)
    lo, hi = 16 + 4, 16 + nd.DEMO_SIZE  # ctrl_state .. the demo's last field
    for _ in range(rng.randint(1, max_bits)):
        i = rng.randrange(lo, hi)
        body[i] ^= 1 << rng.randrange(8)
    return bytes(body) + struct.pack("<HHI", nd.TAG_CHECKSUM, 8, nd.checksum(body))


def _send_or_forget(client: socket.socket, data: bytes, clients: list[socket.socket]) -> None:
    try:
        client.sendall(data)
    except OSError:
        if client in clients:
            clients.remove(client)
        try:
            client.close()
        except OSError:
            pass
