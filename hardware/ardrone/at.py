"""AT commands (UDP 5556): encoding for the client, parsing for the loopback emulator.

Form: ``AT*<NAME>=<seq>[,<arg>…]\\r`` (CR terminator, as the SDK's ``at_msgs.h``). Floats travel as
the decimal value of their IEEE-754 bits read as a signed int32. Every command carries a sequence
number; the drone runs a command only if its seq exceeds the last one, and seq 1 resets the counter.
A line may not exceed 1024 characters; commands may share a datagram but never span two.
"""

from __future__ import annotations

import math
import struct
import threading
from dataclasses import dataclass

MAX_LINE = 1024

# AT*REF input bits (config.h, ARDRONE_UI_BIT_*): 18, 20, 22, 24, 28 are always set
REF_BASE = (1 << 18) | (1 << 20) | (1 << 22) | (1 << 24) | (1 << 28)  # 290717696
REF_START = 1 << 9  # take off / stay flying
REF_SELECT = 1 << 8  # emergency toggle
REF_LAND = REF_BASE
REF_TAKEOFF = REF_BASE | REF_START  # 290718208
REF_EMERGENCY = REF_BASE | REF_SELECT  # 290717952

PCMD_PROGRESSIVE = 1  # flag bit 0: use the arguments (0 = hover)
PCMD_COMBINED_YAW = 2

CTRL_ACK_CONTROL_MODE = 5  # AT*CTRL mode that clears the navdata COMMAND (ACK) bit
CALIB_MAGNETOMETER = 0


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def float_to_int(x: float) -> int:
    """IEEE-754 float32 bits of ``x`` read as a signed int32 (−0.8 → −1085485875)."""
    if not math.isfinite(x):
        raise ValueError(f"AT float argument must be finite, got {x!r}")
    return struct.unpack("<i", struct.pack("<f", x))[0]


def int_to_float(n: int) -> float:
    """Inverse of ``float_to_int``."""
    return struct.unpack("<f", struct.pack("<i", n))[0]


def _quote(s: str) -> str:
    if '"' in s or "\r" in s or "\n" in s:
        raise ValueError(f"AT string argument may not contain quotes or line breaks: {s!r}")
    return f'"{s}"'


class ATEncoder:
    """Builds AT command lines with increasing sequence numbers (thread-safe).

    The counter starts at 1 (which also resets the drone's counter) and increments for every
    command, including several in one datagram.
    """

    def __init__(self) -> None:
        self._seq = 0
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Next command gets seq 1 (after the drone's COM_WATCHDOG, as the SDK does)."""
        with self._lock:
            self._seq = 0

    def _line(self, name: str, *args: int | str) -> bytes:
        with self._lock:
            self._seq += 1
            seq = self._seq
        body = ",".join([str(seq), *(str(a) for a in args)])
        line = f"AT*{name}={body}\r".encode("ascii")
        if len(line) > MAX_LINE:
            raise ValueError(f"AT*{name} line is {len(line)} bytes; the drone rejects lines over {MAX_LINE}")
        return line

    def ref(self, value: int) -> bytes:
        return self._line("REF", value)

    def takeoff(self) -> bytes:
        return self.ref(REF_TAKEOFF)

    def land(self) -> bytes:
        return self.ref(REF_LAND)

    def emergency(self) -> bytes:
        """The emergency *toggle*: cuts the motors when flying, recovers when in emergency."""
        return self.ref(REF_EMERGENCY)

    def pcmd(self, roll: float, pitch: float, gaz: float, yaw: float, combined_yaw: bool = False) -> bytes:
        """Progressive command; fractions in [−1, 1] of the configured maxima.

        roll − = left, pitch − = nose down = forward, gaz + = up, yaw + = clockwise.
        """
        vals = (roll, pitch, gaz, yaw)
        if any(not math.isfinite(v) for v in vals):
            raise ValueError(f"PCMD arguments must be finite, got {vals}")
        clipped = [max(-1.0, min(1.0, v)) for v in vals]
        flag = PCMD_PROGRESSIVE | (PCMD_COMBINED_YAW if combined_yaw else 0)
        return self._line("PCMD", flag, *(float_to_int(v) for v in clipped))

    def hover(self) -> bytes:
        return self._line("PCMD", 0, 0, 0, 0, 0)

    def ftrim(self) -> bytes:
        return self._line("FTRIM")

    def config(self, key: str, value: str) -> bytes:
        return self._line("CONFIG", _quote(key), _quote(value))

    def config_ids(self, session: str, user: str, application: str) -> bytes:
        return self._line("CONFIG_IDS", _quote(session), _quote(user), _quote(application))

    def ctrl(self, mode: int) -> bytes:
        return self._line("CTRL", mode, 0)

    def comwdg(self) -> bytes:
        return self._line("COMWDG")

    def calib(self, device: int = CALIB_MAGNETOMETER) -> bytes:
        return self._line("CALIB", device)


@dataclass(frozen=True)
class ATCommand:
    """One parsed command. ``args`` are ints or (unquoted) strings, in order, without the seq."""

    name: str
    seq: int
    args: tuple[int | str, ...]


def parse_datagram(data: bytes) -> list[ATCommand]:
    """Split a datagram into commands; malformed or over-long lines are skipped, as the drone does.

    Accepts CR, LF or CRLF terminators.
    """
    out = []
    text = data.decode("ascii", errors="replace").replace("\r\n", "\r").replace("\n", "\r")
    for line in text.split("\r"):
        if not line or len(line) + 1 > MAX_LINE or not line.startswith("AT*") or "=" not in line:
            continue
        name, _, rest = line[3:].partition("=")
        try:
            fields = _split_args(rest)
            seq = int(fields[0])
            args = tuple(f[1:-1] if f.startswith('"') else int(f) for f in fields[1:])
            if not 0 <= seq <= INT32_MAX or any(isinstance(a, int) and not INT32_MIN <= a <= INT32_MAX
                                                 for a in args):
                continue  # the firmware reads int32: a larger number is a malformed line
        except (ValueError, IndexError):
            continue
        out.append(ATCommand(name, seq, args))
    return out


def _split_args(rest: str) -> list[str]:
    fields, cur, quoted = [], "", False
    for ch in rest:
        if ch == '"':
            quoted = not quoted
            cur += ch
        elif ch == "," and not quoted:
            fields.append(cur)
            cur = ""
        else:
            cur += ch
    if quoted:
        raise ValueError("unterminated string")
    fields.append(cur)
    return fields
