"""Navdata (UDP 5554, drone → client, little-endian): decoding for the client, encoding for the
emulator.

Packet: header 0x55667788, ``ardrone_state`` bits, sequence, vision flag, then options
``{uint16 tag, uint16 size (incl. these 4 bytes), data}`` until the checksum option (tag 0xFFFF,
size 8) whose uint32 is the byte sum of everything before it.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

HEADER = 0x55667788
HEADER_ALT = 0x55667789  # accepted by node-ar-drone
MAX_SIZE = 4096
TAG_DEMO = 0
TAG_CHECKSUM = 0xFFFF
DEMO_FORMAT = "<HHIIfffifffI9f3fII9f3f"  # whole demo option incl. tag and size
DEMO_SIZE = struct.calcsize(DEMO_FORMAT)  # 148

# ardrone_state bits (config.h)
STATE_FLY = 1 << 0
STATE_VIDEO = 1 << 1
STATE_ALTITUDE = 1 << 4
STATE_COMMAND_ACK = 1 << 6
STATE_NAVDATA_DEMO = 1 << 10
STATE_NAVDATA_BOOTSTRAP = 1 << 11
STATE_VBAT_LOW = 1 << 15
STATE_COM_WATCHDOG = 1 << 30
STATE_EMERGENCY = 1 << 31

# ctrl_state major values (CTRL_STATES)
CTRL_DEFAULT, CTRL_INIT, CTRL_LANDED, CTRL_FLYING, CTRL_HOVERING = 0, 1, 2, 3, 4
CTRL_TEST, CTRL_TRANS_TAKEOFF, CTRL_TRANS_GOTOFIX, CTRL_TRANS_LANDING, CTRL_TRANS_LOOPING = 5, 6, 7, 8, 9
CTRL_NAMES = {0: "default", 1: "init", 2: "landed", 3: "flying", 4: "hovering", 5: "test", 6: "taking_off",
              7: "go_to_fix", 8: "landing", 9: "looping"}


class NavdataError(ValueError):
    """A packet that must be dropped; the message says why."""


def checksum(buf: bytes) -> int:
    """Sum of unsigned bytes modulo 2³²."""
    return sum(buf) & 0xFFFFFFFF


@dataclass(frozen=True)
class Demo:
    """The demo option in SI units.

    Attributes:
        ctrl_state: major state (``CTRL_*``); ``fly_state`` is the minor one.
        battery_pct: 0–100.
        pitch, roll, yaw: radians (wire: milli-degrees; pitch − = nose down).
        altitude_m: metres (wire: int32 mm on 2.0 firmware).
        vx, vy, vz: body-frame velocity estimate, m/s (wire: mm/s).
    """

    ctrl_state: int
    fly_state: int
    battery_pct: int
    pitch: float
    roll: float
    yaw: float
    altitude_m: float
    vx: float
    vy: float
    vz: float
    num_frames: int = 0


@dataclass(frozen=True)
class Navdata:
    """A decoded packet. ``options`` maps every tag seen to its raw payload (without tag/size)."""

    state: int
    sequence: int
    vision_defined: int
    demo: Demo | None = None
    options: dict[int, bytes] = field(default_factory=dict)

    def has(self, bit: int) -> bool:
        return bool(self.state & bit)

    @property
    def bootstrap(self) -> bool:
        return self.has(STATE_NAVDATA_BOOTSTRAP)


def decode(buf: bytes) -> Navdata:
    """Decode one packet; raises ``NavdataError`` for a bad header, option walk or checksum."""
    if len(buf) < 24 or len(buf) > MAX_SIZE:
        raise NavdataError(f"packet of {len(buf)} bytes (valid: 24..{MAX_SIZE})")
    header, state, seq, vision = struct.unpack_from("<IIII", buf, 0)
    if header not in (HEADER, HEADER_ALT):
        raise NavdataError(f"bad header 0x{header:08X}")
    options: dict[int, bytes] = {}
    off = 16
    cks_ok = False
    while off + 4 <= len(buf):
        tag, size = struct.unpack_from("<HH", buf, off)
        if size < 4 or off + size > len(buf):
            raise NavdataError(f"option tag {tag} at offset {off} has invalid size {size}")
        if tag == TAG_CHECKSUM:
            if size != 8:
                raise NavdataError(f"checksum option has size {size}, expected 8")
            (cks,) = struct.unpack_from("<I", buf, off + 4)
            expected = checksum(buf[:off])
            if cks != expected:
                raise NavdataError(f"checksum mismatch: packet says {cks}, bytes sum to {expected}")
            cks_ok = True
            break
        options[tag] = bytes(buf[off + 4: off + size])
        off += size
    if not cks_ok:
        raise NavdataError("no checksum option")
    demo = _decode_demo(buf, options) if TAG_DEMO in options else None
    return Navdata(state, seq, vision, demo, options)


def _decode_demo(buf: bytes, options: dict[int, bytes]) -> Demo:
    payload = options[TAG_DEMO]
    if len(payload) + 4 != DEMO_SIZE:
        raise NavdataError(f"demo option has size {len(payload) + 4}, expected {DEMO_SIZE}")
    v = struct.unpack(DEMO_FORMAT, struct.pack("<HH", TAG_DEMO, DEMO_SIZE) + payload)
    ctrl, bat, theta, phi, psi, alt, vx, vy, vz, frames = v[2:12]
    if not all(math.isfinite(x) for x in (theta, phi, psi, vx, vy, vz)):
        raise NavdataError("non-finite attitude or velocity in the demo option")  # checksum-valid NaN: refused
    mdeg = math.pi / 180_000.0
    return Demo(ctrl_state=ctrl >> 16, fly_state=ctrl & 0xFFFF, battery_pct=bat, pitch=theta * mdeg,
                roll=phi * mdeg, yaw=psi * mdeg, altitude_m=alt / 1000.0, vx=vx / 1000.0, vy=vy / 1000.0,
                vz=vz / 1000.0, num_frames=frames)


def encode(state: int, sequence: int, demo: Demo | None = None, vision_defined: int = 0,
           extra_options: dict[int, bytes] | None = None) -> bytes:
    """Build a packet (the emulator's side): header, demo option if given, extras, checksum."""
    body = bytearray(struct.pack("<IIII", HEADER, state & 0xFFFFFFFF, sequence & 0xFFFFFFFF, vision_defined))
    if demo is not None:
        k = 180_000.0 / math.pi
        body += struct.pack(DEMO_FORMAT, TAG_DEMO, DEMO_SIZE, (demo.ctrl_state << 16) | demo.fly_state,
                            demo.battery_pct, demo.pitch * k, demo.roll * k, demo.yaw * k,
                            round(demo.altitude_m * 1000.0), demo.vx * 1000.0, demo.vy * 1000.0,
                            demo.vz * 1000.0, demo.num_frames, *([0.0] * 9), *([0.0] * 3), 0, 0,
                            *([0.0] * 9), *([0.0] * 3))
    for tag, payload in (extra_options or {}).items():
        body += struct.pack("<HH", tag, len(payload) + 4) + payload
    body += struct.pack("<HHI", TAG_CHECKSUM, 8, checksum(body))
    return bytes(body)


class SequenceFilter:
    """Drops packets whose sequence is not newer than the last accepted one.

    ``reset`` after COM_WATCHDOG, when the drone restarts its numbering. The packets that carry the
    watchdog bit can all be lost (the bit may last a single AT period), so a restart is also
    recognised without it: a jump back by more than ``restart_window`` packets, or an older number
    arriving ``restart_after_s`` after the last accepted packet (UDP on one Wi-Fi hop reorders
    neighbouring packets within milliseconds; it does not deliver them a navdata period late).
    """

    def __init__(self, restart_window: int = 8, restart_after_s: float = 0.15) -> None:
        self.last: int | None = None
        self.last_time = -math.inf
        self.dropped = 0
        self.restarts = 0
        self.restart_window = restart_window
        self.restart_after_s = restart_after_s

    def accept(self, nav: Navdata, now: float | None = None) -> bool:
        """``now``: arrival time in seconds (monotonic); without it only the sequence rule applies."""
        t = -math.inf if now is None else now
        if self.last is not None and nav.sequence <= self.last:
            late = now is not None and t - self.last_time > self.restart_after_s
            if nav.sequence + self.restart_window < self.last or late:
                self.restarts += 1
            else:
                self.dropped += 1
                return False
        self.last, self.last_time = nav.sequence, t
        return True

    def reset(self) -> None:
        self.last = None


# Physical bounds of an AR.Drone 2.0's demo values (ardrone2_protocol.md §4; the airframe tops out near
# 5 m/s and the firmware caps altitude at 100 m). A checksum-valid packet outside them is corruption.
MAX_SPEED_MPS = 10.0
MAX_TILT_RAD = math.pi / 2
ALTITUDE_RANGE_M = (-0.5, 100.0)
# Largest change between consecutive accepted packets: rate × gap + allowance for sensor steps (the
# ultrasound altitude steps by a box's height when the drone flies over it).
MAX_CLIMB_MPS, ALTITUDE_STEP_M = 5.0, 1.0
MAX_ACCEL_MPS2, SPEED_STEP_MPS = 20.0, 1.0
MAX_ANGULAR_RADPS, ANGLE_STEP_RAD = 10.0, 0.3


class PlausibilityFilter:
    """Drops checksum-valid packets whose demo state is physically impossible, or that jump from the last
    accepted state faster than the airframe can move.

    The byte-sum checksum misses some multi-bit errors (about 3 in 10⁴ multi-bit-flipped packets), so a
    corrupted packet can decode. A single corrupt packet is dropped; a real step (the drone re-zeroed its
    heading, the ultrasound saw a table) persists, so ``confirm`` consecutive packets that agree with each
    other, though not with the old reference, become the new reference. Jumps are not judged across gaps
    longer than ``max_gap_s`` (the state may really have moved); bounds always are.

    ``check`` returns None for a packet to accept, else the reason to drop it.
    """

    def __init__(self, confirm: int = 3, max_gap_s: float = 0.5) -> None:
        self.confirm, self.max_gap_s = confirm, max_gap_s
        self._ref: tuple[Demo, float] | None = None
        self._pending: list[tuple[Demo, float]] = []
        self.dropped = 0
        self.reanchored = 0

    def reset(self) -> None:
        self._ref, self._pending = None, []

    def check(self, nav: Navdata, now: float) -> str | None:
        demo = nav.demo
        if demo is None:
            return None
        reason = out_of_bounds(demo)
        if reason is None and self._ref is not None and now - self._ref[1] <= self.max_gap_s:
            reason = implausible_step(self._ref[0], demo, now - self._ref[1])
        if reason is None:
            self._ref, self._pending = (demo, now), []
            return None
        self.dropped += 1
        if reason.startswith("jump"):  # maybe a real step: accept it once it persists
            if self._pending and implausible_step(self._pending[-1][0], demo, now - self._pending[-1][1]):
                self._pending = []
            self._pending.append((demo, now))
            if len(self._pending) >= self.confirm:
                self._ref, self._pending = (demo, now), []
                self.reanchored += 1
                self.dropped -= 1
                return None
        return reason


def out_of_bounds(d: Demo) -> str | None:
    """Why ``d`` cannot be a real AR.Drone's state, or None."""
    if d.ctrl_state not in CTRL_NAMES:
        return f"unknown ctrl_state {d.ctrl_state}"
    if not 0 <= d.battery_pct <= 100:
        return f"battery {d.battery_pct} %"
    if max(abs(d.vx), abs(d.vy), abs(d.vz)) > MAX_SPEED_MPS:
        return f"speed ({d.vx:.3g}, {d.vy:.3g}, {d.vz:.3g}) m/s beyond {MAX_SPEED_MPS:g}"
    if max(abs(d.roll), abs(d.pitch)) > MAX_TILT_RAD or abs(d.yaw) > math.pi + 1e-3:
        return f"attitude ({d.roll:.3g}, {d.pitch:.3g}, {d.yaw:.3g}) rad out of range"
    if not ALTITUDE_RANGE_M[0] <= d.altitude_m <= ALTITUDE_RANGE_M[1]:
        return f"altitude {d.altitude_m:.3g} m out of range"
    return None


def implausible_step(prev: Demo, d: Demo, dt: float) -> str | None:
    """Why going from ``prev`` to ``d`` in ``dt`` seconds is impossible, or None."""
    dt = max(dt, 0.0)
    if abs(d.altitude_m - prev.altitude_m) > MAX_CLIMB_MPS * dt + ALTITUDE_STEP_M:
        return f"jump in altitude {prev.altitude_m:.3g} → {d.altitude_m:.3g} m in {dt:.3f} s"
    dv = max(abs(d.vx - prev.vx), abs(d.vy - prev.vy), abs(d.vz - prev.vz))
    if dv > MAX_ACCEL_MPS2 * dt + SPEED_STEP_MPS:
        return f"jump in velocity of {dv:.3g} m/s in {dt:.3f} s"
    dyaw = abs(math.remainder(d.yaw - prev.yaw, 2 * math.pi))
    da = max(abs(d.roll - prev.roll), abs(d.pitch - prev.pitch), dyaw)
    if da > MAX_ANGULAR_RADPS * dt + ANGLE_STEP_RAD:
        return f"jump in attitude of {da:.3g} rad in {dt:.3f} s"
    return None
