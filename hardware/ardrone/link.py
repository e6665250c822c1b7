"""Client side of the AR.Drone 2.0 protocol: sockets, the 30 Hz AT loop, navdata, config handshake, video.

Threads:
- **AT sender** (``at_hz``, absolute deadlines): every tick one datagram with REF + PCMD, preceded
  by COMWDG after the drone reported COM_WATCHDOG (and the sequence restarted at 1), and by the
  current step of a CONFIG handshake. It also applies the bridge's own safety rules, so they hold
  even when the agent loop stalls: navdata silent for ``hover_after_s`` → PCMD hover; silent for
  ``land_after_s`` → land (latched); agent silent for ``stale_command_s`` → hover; battery below
  ``low_battery_pct`` or the drone's VBAT_LOW bit → land (latched).
- **Navdata receiver**: triggers the stream (``01 00 00 00``), re-triggers after ``retrigger_s`` of
  silence, verifies checksums, drops out-of-order packets (resetting after COM_WATCHDOG) and hands
  each packet to the listeners.
- **Video receiver**: TCP, PaVE parser, PyAV H.264 decoder; keeps the newest frame.

Config handshake (ardrone2_protocol.md §5.4): send [CONFIG_IDS +] CONFIG → wait for state bit 6 →
send ``AT*CTRL=seq,5,0`` every tick until bit 6 clears; retried on timeout. ``configure`` blocks.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from plansight.agent.shared.polling import wait_until
from plansight.hardware.ardrone import navdata as nd
from plansight.hardware.ardrone.at import CTRL_ACK_CONTROL_MODE, REF_BASE, REF_SELECT, REF_START, ATEncoder
from plansight.hardware.ardrone.config_ardrone import BridgeSafetyConfig, LinkConfig, PortsConfig
from plansight.hardware.ardrone.pave import PaveParser

log = logging.getLogger(__name__)

NAVDATA_TRIGGER = b"\x01\x00\x00\x00"
_SPIN_S = 0.0015  # the AT loop busy-waits this long before each deadline
_EMERGENCY_TICKS = 3  # REF with SELECT is held this many ticks: one rising edge, robust to a lost datagram


class LinkError(RuntimeError):
    """The drone cannot be reached or refused the setup; the message says what to check."""


@dataclass(frozen=True)
class Pcmd:
    """A progressive command: fractions in [−1, 1] of the configured maxima, drone frame (FRD).

    roll + = right, pitch − = nose down (forward), gaz + = up, yaw + = clockwise. ``progressive``
    False is the canonical hover ``AT*PCMD=seq,0,0,0,0,0``.
    """

    progressive: bool = False
    roll: float = 0.0
    pitch: float = 0.0
    gaz: float = 0.0
    yaw: float = 0.0


HOVER = Pcmd()
EventSink = Callable[[str, dict], None]


class ArdroneLink:
    """One connection to one drone (or emulator).

    Args:
        host: the drone's address.
        ports: its ports.
        cfg: protocol timing.
        safety: the bridge's own safety rules (applied in the AT thread).
        on_event: called with (kind, data) for every safety or state transition (any thread).
    """

    def __init__(self, host: str, ports: PortsConfig, cfg: LinkConfig, safety: BridgeSafetyConfig,
                 on_event: EventSink | None = None) -> None:
        self.host, self.ports, self.cfg, self.safety = host, ports, cfg, safety
        self._on_event = on_event or (lambda kind, data: None)
        self._enc = ATEncoder()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._nav_listeners: list[Callable[[nd.Navdata, float], None]] = []
        self._filter = nd.SequenceFilter()
        self._plausible = nd.PlausibilityFilter()
        self._implausible_run = False
        self.navdata: nd.Navdata | None = None
        self.last_demo: nd.Demo | None = None
        self.navdata_time = -math.inf
        self._pcmd, self._pcmd_time = HOVER, -math.inf
        self._want_flying = False
        self._emergency_ticks = 0
        self._ftrim = False
        self._watchdog_seen = False
        self._config_step: list[tuple] = []  # (name, *args) the AT thread encodes and sends on its next tick
        self.latched_land: str | None = None
        self._hovering_for: str | None = None
        self.frame: np.ndarray | None = None
        self.frame_time = -math.inf
        self.send_times: list[float] = []
        self.stats = {"nav_ok": 0, "nav_bad": 0, "nav_stale": 0, "datagrams": 0, "video_units": 0,
                      "video_frames": 0, "video_errors": 0, "watchdog_resets": 0, "nav_foreign": 0,
                      "nav_implausible": 0}
        self._at_sock: socket.socket | None = None
        self._nav_sock: socket.socket | None = None
        self._saved_switch_interval: float | None = None

    # ------------------------------------------------------------------ lifecycle
    def connect(self) -> None:
        """Open sockets, start navdata, leave bootstrap, start the AT loop and video. Raises LinkError."""
        if self.cfg.gil_switch_interval_s is not None:
            self._saved_switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(self.cfg.gil_switch_interval_s)
        self._at_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._nav_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._nav_sock.bind(("", 0))
        self._nav_sock.settimeout(self.cfg.retrigger_s)
        self._start(self._nav_loop, "navdata")
        deadline = time.monotonic() + self.cfg.connect_timeout_s
        while self.navdata is None:
            if time.monotonic() > deadline:
                self.close()
                raise LinkError(f"no navdata from {self.host}:{self.ports.navdata} within "
                                f"{self.cfg.connect_timeout_s:.1f} s: is the drone on and this machine on its Wi-Fi?")
            time.sleep(0.01)
        self._start(self._at_loop, "at")
        try:
            self.configure("general:navdata_demo", "TRUE")
            self.configure("general:navdata_options", str((1 << nd.TAG_DEMO) | (1 << 16)))
            self._wait(lambda: self.navdata is not None and not self.navdata.bootstrap and self.last_demo is not None,
                       self.cfg.connect_timeout_s, "demo navdata after leaving bootstrap")
        except LinkError:
            self.close()
            raise
        if self.cfg.video:
            self._start(self._video_loop, "video")

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout=2.0)
        self._threads = []
        for s in (self._at_sock, self._nav_sock):
            if s is not None:
                s.close()
        if self._saved_switch_interval is not None:
            sys.setswitchinterval(self._saved_switch_interval)
            self._saved_switch_interval = None

    def _start(self, fn: Callable[[], None], name: str) -> None:
        t = threading.Thread(target=fn, name=f"ardrone-{name}", daemon=True)
        t.start()
        self._threads.append(t)

    # ------------------------------------------------------------------ commands
    def add_navdata_listener(self, fn: Callable[[nd.Navdata, float], None]) -> None:
        self._nav_listeners.append(fn)

    def set_pcmd(self, pcmd: Pcmd) -> None:
        """The agent's command; the AT thread sends it every tick until it is replaced or goes stale."""
        if not all(math.isfinite(x) for x in (pcmd.roll, pcmd.pitch, pcmd.gaz, pcmd.yaw)):
            raise ValueError(f"non-finite PCMD {pcmd}")  # never reaches the wire
        with self._lock:
            self._pcmd, self._pcmd_time = pcmd, time.monotonic()

    def set_flying(self, flying: bool) -> None:
        """REF START bit: True takes off (and keeps flying), False lands. Ignored after a latched land."""
        with self._lock:
            self._want_flying = flying and self.latched_land is None

    def emergency(self) -> None:
        """Toggle emergency (REF SELECT rising edge): cuts the motors in flight."""
        with self._lock:
            self._emergency_ticks = _EMERGENCY_TICKS
            self._want_flying = False

    def flat_trim(self, timeout_s: float = 0.5) -> None:
        """AT*FTRIM (on the ground only); returns once the AT thread has sent it."""
        with self._lock:
            self._ftrim = True
        self._wait(lambda: not self._ftrim, timeout_s, "FTRIM to be sent")

    def latch_land(self, reason: str) -> None:
        """Land and refuse to take off again on this link (safety)."""
        with self._lock:
            first = self.latched_land is None
            self.latched_land = self.latched_land or reason
            self._want_flying = False
        if first:
            self._event("safety_land", {"reason": reason})

    def configure(self, key: str, value: str) -> None:
        """AT*CONFIG with the ACK handshake (blocking). Raises LinkError after ``config_retries`` tries."""
        for attempt in range(1, self.cfg.config_retries + 1):
            self._wait(lambda: self.navdata is not None and not self.navdata.has(nd.STATE_COMMAND_ACK),
                       self.cfg.config_ack_timeout_s * 2, "ACK bit to clear before CONFIG", raise_=False)
            with self._lock:
                ids = self.cfg.session_ids
                self._config_step = ([("config_ids", *ids)] if ids else []) + [("config", key, value)]
            if not self._wait(lambda: self.navdata is not None and self.navdata.has(nd.STATE_COMMAND_ACK),
                              self.cfg.config_ack_timeout_s, "ACK", raise_=False):
                log.debug("no ACK for %s (attempt %d)", key, attempt)
                continue
            if self._wait(self._ack_cleared, self.cfg.config_ack_timeout_s, "ACK reset", raise_=False):
                log.debug("configured %s = %s", key, value)
                return
        raise LinkError(f"drone did not acknowledge CONFIG {key}={value} after {self.cfg.config_retries} tries")

    def _ack_cleared(self) -> bool:
        with self._lock:
            if self.navdata is not None and not self.navdata.has(nd.STATE_COMMAND_ACK):
                return True
            self._config_step = [("ctrl", CTRL_ACK_CONTROL_MODE)]
        return False

    def _wait(self, cond: Callable[[], bool], timeout: float, what: str, raise_: bool = True) -> bool:
        ok = wait_until(cond, timeout, 0.005, abort=self._stop.is_set)
        if not ok and raise_:
            raise LinkError(f"timed out after {timeout:.1f} s waiting for {what} from {self.host}")
        return ok

    # ------------------------------------------------------------------ state
    def navdata_age(self) -> float:
        return time.monotonic() - self.navdata_time

    def frame_age(self) -> float:
        return time.monotonic() - self.frame_time

    def _event(self, kind: str, data: dict) -> None:
        log.info("%s %s", kind, data)
        self._on_event(kind, data)

    # ------------------------------------------------------------------ AT thread
    def _raise_priority(self) -> None:
        prio = self.cfg.realtime_priority
        if prio is None or not hasattr(os, "sched_setscheduler"):
            return
        try:
            os.sched_setscheduler(threading.get_native_id(), os.SCHED_FIFO, os.sched_param(prio))
            log.debug("AT thread at SCHED_FIFO %d", prio)
        except (PermissionError, OSError) as e:
            log.info("AT thread stays at normal priority (%s); expect more jitter on a busy machine", e)

    def _at_loop(self) -> None:
        self._raise_priority()
        period = 1.0 / self.cfg.at_hz
        next_t = time.perf_counter()
        while not self._stop.is_set():
            now = time.perf_counter()
            if now < next_t - _SPIN_S:
                time.sleep(next_t - now - _SPIN_S)  # coarse sleep, then spin the last stretch: the OS
                continue  # wakes sleepers late by up to a few ms on a busy machine
            if now < next_t:
                continue
            self.send_times.append(now)
            next_t += period
            if now - next_t > period:  # fell behind by more than a tick: resynchronise, do not burst
                next_t = now + period
            try:
                self._at_sock.sendto(self._tick(), (self.host, self.ports.at))
                self.stats["datagrams"] += 1
            except OSError as e:
                if self._stop.is_set():
                    return
                log.warning("AT send failed: %s", e)

    def _tick(self) -> bytes:
        """Compose this tick's datagram and apply the safety rules."""
        nav_age = self.navdata_age()
        demo = self.last_demo
        flying = self._want_flying or (demo is not None and self._airborne(demo))
        if nav_age > self.safety.land_after_s and flying:  # on the ground a gap only delays take-off
            self.latch_land(f"no navdata for {nav_age:.2f} s")
        if demo is not None and self.navdata is not None and self._airborne(demo) and (
                demo.battery_pct < self.safety.low_battery_pct or self.navdata.has(nd.STATE_VBAT_LOW)):
            self.latch_land(f"battery low ({demo.battery_pct} %)")
        with self._lock:
            parts: list[bytes] = []
            if self._watchdog_seen:
                self._watchdog_seen = False
                self._enc.reset()  # sequence restarts at 1 after COM_WATCHDOG
                parts.append(self._enc.comwdg())
            # encoded here, after any sequence reset, so every line of the datagram is in order
            parts += [getattr(self._enc, name)(*args) for name, *args in self._config_step]
            self._config_step = []
            if self._ftrim:
                self._ftrim = False
                parts.append(self._enc.ftrim())
            ref = REF_BASE | (REF_START if self._want_flying else 0)
            if self._emergency_ticks:
                self._emergency_ticks -= 1
                ref |= REF_SELECT
            parts.append(self._enc.ref(ref))
            pcmd, reason = self._pcmd, None
            if self.latched_land is not None:
                pcmd, reason = HOVER, "landing"
            elif not self._want_flying:
                pcmd = HOVER  # on the ground or landing: nothing to steer
            elif nav_age > self.safety.hover_after_s:
                pcmd, reason = HOVER, "navdata_lost"
            elif time.monotonic() - self._pcmd_time > self.safety.stale_command_s:
                pcmd, reason = HOVER, "stale_command"
            parts.append(self._enc.pcmd(pcmd.roll, pcmd.pitch, pcmd.gaz, pcmd.yaw) if pcmd.progressive
                         else self._enc.hover())
        if reason != self._hovering_for:
            if reason in ("navdata_lost", "stale_command"):
                self._event("safety_hover", {"reason": reason, "navdata_age_s": round(nav_age, 3)})
            elif self._hovering_for in ("navdata_lost", "stale_command") and reason is None:
                self._event("safety_resume", {"after": self._hovering_for})
            self._hovering_for = reason
        return b"".join(parts)

    @staticmethod
    def _airborne(demo: nd.Demo) -> bool:
        return demo.ctrl_state in (nd.CTRL_FLYING, nd.CTRL_HOVERING, nd.CTRL_TRANS_TAKEOFF, nd.CTRL_TRANS_GOTOFIX)

    # ------------------------------------------------------------------ navdata thread
    def _nav_loop(self) -> None:
        addr = (self.host, self.ports.navdata)
        try:
            drone = (socket.gethostbyname(self.host), self.ports.navdata)
        except OSError:
            drone = addr
        self._send_trigger(addr)
        while not self._stop.is_set():
            try:
                data, src = self._nav_sock.recvfrom(nd.MAX_SIZE + 1)
                if (src[0], src[1]) != drone and self.ports.navdata != 0:
                    self.stats["nav_foreign"] += 1  # spoofed: not the drone
                    continue
            except TimeoutError:
                self._send_trigger(addr)  # silence: re-trigger, as node-ar-drone does after 100 ms
                continue
            except OSError:
                return
            self.handle_navdata(data, time.monotonic())

    def handle_navdata(self, data: bytes, now: float) -> bool:
        """One datagram from the drone's navdata port (the navdata thread; public for tests and the fuzz bench).
        Returns whether it was accepted. Dropped: undecodable or bad checksum (``nav_bad``), out of order
        (``nav_stale``), physically impossible or an impossible jump (``nav_implausible``, event
        ``navdata_implausible`` once per run of drops). Dropped packets do not refresh the navdata age, so a
        stream of them ends in the hover-then-land rules of the AT thread."""
        try:
            nav = nd.decode(data)
        except nd.NavdataError as e:
            self.stats["nav_bad"] += 1
            log.debug("dropped navdata: %s", e)
            return False
        if nav.has(nd.STATE_COM_WATCHDOG):
            self._filter.reset()  # the drone restarted its numbering
            with self._lock:
                if not self._watchdog_seen:
                    self.stats["watchdog_resets"] += 1
                self._watchdog_seen = True
        if not self._filter.accept(nav, now):
            self.stats["nav_stale"] += 1
            return False
        reason = self._plausible.check(nav, now)
        if reason is not None:
            self.stats["nav_implausible"] += 1
            if not self._implausible_run:
                self._event("navdata_implausible", {"reason": reason, "count": self.stats["nav_implausible"]})
            self._implausible_run = True
            return False
        self._implausible_run = False
        previous = self.navdata
        self.navdata, self.navdata_time = nav, now
        if nav.demo is not None:
            self.last_demo = nav.demo
        self.stats["nav_ok"] += 1
        self._state_events(previous, nav)
        for fn in self._nav_listeners:
            fn(nav, now)
        return True

    def _send_trigger(self, addr: tuple[str, int]) -> None:
        try:
            self._nav_sock.sendto(NAVDATA_TRIGGER, addr)
        except OSError as e:
            log.debug("navdata trigger failed: %s", e)

    def _state_events(self, prev: nd.Navdata | None, nav: nd.Navdata) -> None:
        if prev is not None and prev.demo is not None and nav.demo is not None and \
                prev.demo.ctrl_state != nav.demo.ctrl_state:
            self._event("drone_state", {"ctrl_state": nd.CTRL_NAMES.get(nav.demo.ctrl_state, nav.demo.ctrl_state)})
        for bit, name in ((nd.STATE_EMERGENCY, "emergency"), (nd.STATE_VBAT_LOW, "battery_low")):
            if nav.has(bit) and (prev is None or not prev.has(bit)):
                self._event(f"drone_{name}", {"state": f"0x{nav.state:08X}"})

    # ------------------------------------------------------------------ video thread
    def _video_loop(self) -> None:
        from plansight.hardware.ardrone.h264 import H264Decoder

        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.ports.video), timeout=1.0)
            except OSError as e:
                log.debug("video connect failed: %s", e)
                self._stop.wait(1.0)
                continue
            parser, decoder = PaveParser(), H264Decoder()
            sock.settimeout(0.5)
            try:
                while not self._stop.is_set():
                    try:
                        data = sock.recv(65536)
                    except TimeoutError:
                        continue
                    if not data:
                        break
                    for f in parser.feed(data):
                        self.stats["video_units"] += 1
                        for rgb in decoder.decode(f.payload):
                            self.frame, self.frame_time = rgb, time.monotonic()
                            self.stats["video_frames"] += 1
                    self.stats["video_errors"] = decoder.errors
            except OSError as e:
                log.debug("video stream error: %s", e)
            finally:
                sock.close()
            if not self._stop.is_set():
                self._event("video_reconnect", {})
