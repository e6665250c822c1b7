"""PaVE framing of the AR.Drone 2.0 video stream (TCP 5555): parser and builder.

Each frame is a PaVE header (64 bytes in the SDK; some 2.0 firmwares send 68, so the parser always
skips ``header_size``) followed by ``payload_size`` bytes: one H.264 access unit in Annex-B format.
The parser is incremental: feed it whatever ``recv`` returned (partial headers and payloads are
kept until complete); on a bad signature it scans forward to the next ``"PaVE"`` (resync) and counts
the bytes it skipped.

A corrupt or hostile header must not swallow the stream (a header claiming 4 MiB once ate 60 s of
video). So a header is believed only when its sizes fit its own frame: header size at most
``MAX_HEADER_SIZE``, dimensions at most ``MAX_DIMENSION``, and a payload no larger than
``payload_bound`` of those dimensions (an H.264 access unit cannot outgrow twice the raw 4:2:0
frame). And while a payload is still arriving, the bytes received so far are scanned for the next
frame of the stream: a header that is consistent with the last good frame (same codec, dimensions and
header size, a later frame number) inside a claimed payload proves the claim false, and the parser
resyncs there (``resyncs``), losing one frame.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SIGNATURE = b"PaVE"
HEADER_FORMAT = "<4sBBHIHHHHIIBBBBIIHBBBB2sI12s"
HEADER_SIZE = struct.calcsize(HEADER_FORMAT)  # 64
CODEC_H264 = 4
FRAME_IDR, FRAME_I, FRAME_P = 1, 2, 3
MAX_HEADER_SIZE = 128
MAX_DIMENSION = 2048  # the AR.Drone 2.0 streams at most 1280 × 720
_FRAME_NUMBER_WINDOW = 10_000  # a later frame of the same stream: at most this many frames ahead


def payload_bound(width: int, height: int) -> int:
    """Largest believable payload, bytes, of an access unit of ``width`` × ``height`` (encoded) pixels."""
    return 3 * width * height + 65536


@dataclass(frozen=True)
class PaveFrame:
    """One access unit and the header fields a client needs."""

    codec: int
    width: int
    height: int
    display_width: int
    display_height: int
    frame_number: int
    timestamp_ms: int
    frame_type: int
    payload: bytes


def build_frame(payload: bytes, frame_number: int, timestamp_ms: int, width: int, height: int,
                frame_type: int = FRAME_P, header_size: int = HEADER_SIZE) -> bytes:
    """A PaVE frame (the emulator's side). ``header_size`` 68 pads the header like some firmwares."""
    if header_size < HEADER_SIZE:
        raise ValueError(f"header_size must be at least {HEADER_SIZE}")
    enc_h = (height + 15) // 16 * 16
    header = struct.pack(HEADER_FORMAT, SIGNATURE, 2, CODEC_H264, header_size, len(payload), width, enc_h, width,
                         height, frame_number, timestamp_ms, 1, 0, frame_type, 0, 0, 0, 0, 1, 0, 0, 0, b"\0\0", 0,
                         b"\0" * 12)
    return header + b"\0" * (header_size - HEADER_SIZE) + payload


class PaveParser:
    """Incremental parser; ``feed(bytes)`` returns the frames completed by those bytes."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._scanned = 0  # bytes of a pending payload already searched for the next header
        self._last: tuple | None = None  # header fields of the last good frame
        self.skipped_bytes = 0
        self.frames = 0
        self.resyncs = 0

    def feed(self, data: bytes) -> list[PaveFrame]:
        self._buf += data
        out = []
        while True:
            start = self._buf.find(SIGNATURE)
            if start < 0:
                keep = len(SIGNATURE) - 1  # a signature may straddle two reads
                self._skip(max(len(self._buf) - keep, 0))
                return out
            if start:
                self._skip(start)
            if len(self._buf) < HEADER_SIZE:
                return out
            f = struct.unpack_from(HEADER_FORMAT, self._buf, 0)
            if not _believable(f):
                self._skip(1)  # not a real header: resync past this signature
                continue
            header_size, payload_size = f[3], f[4]
            inner = self._next_frame_inside(header_size, header_size + payload_size)
            if inner is not None:
                self.resyncs += 1  # the stream's next frame sits inside the claimed payload: the claim is false
                self._skip(inner)
                continue
            if len(self._buf) < header_size + payload_size:
                return out
            payload = bytes(self._buf[header_size: header_size + payload_size])
            del self._buf[: header_size + payload_size]
            self._scanned = 0
            self._last = f
            out.append(PaveFrame(codec=f[2], width=f[5], height=f[6], display_width=f[7], display_height=f[8],
                                 frame_number=f[9], timestamp_ms=f[10], frame_type=f[13], payload=payload))
            self.frames += 1

    def _skip(self, n: int) -> None:
        self.skipped_bytes += n
        del self._buf[:n]
        self._scanned = 0

    def _next_frame_inside(self, start: int, end: int) -> int | None:
        """Offset of a frame of the stream that begins inside ``[start, end)`` of the buffer (a pending or just
        completed payload), or None: a header that continues the last good frame, or (before any good frame)
        one whose own payload ends at a header that continues it."""
        pos = max(start, self._scanned)
        stop = min(end, len(self._buf))
        while True:
            pos = self._buf.find(SIGNATURE, pos, stop + len(SIGNATURE) - 1)
            if pos < 0 or pos >= stop or len(self._buf) - pos < HEADER_SIZE:
                self._scanned = max(start, min(pos if pos >= 0 else stop, len(self._buf) - HEADER_SIZE + 1))
                return None
            g = struct.unpack_from(HEADER_FORMAT, self._buf, pos)
            if _believable(g):
                if self._last is not None and _continues(g, self._last):
                    return pos
                nxt = pos + g[3] + g[4]
                if len(self._buf) - nxt >= HEADER_SIZE and self._buf[nxt:nxt + 4] == SIGNATURE and \
                        _continues(struct.unpack_from(HEADER_FORMAT, self._buf, nxt), g):
                    return pos
            pos += 1


def _continues(g: tuple, ref: tuple) -> bool:
    """Header ``g`` is a later frame of the stream of header ``ref``: same codec, header size and dimensions."""
    return (_believable(g) and g[2] == ref[2] and g[3] == ref[3] and g[5:9] == ref[5:9]
            and 0 < g[9] - ref[9] <= _FRAME_NUMBER_WINDOW)


def _believable(f: tuple) -> bool:
    """A header whose sizes fit its own frame (see the module docstring)."""
    header_size, payload_size, width, height = f[3], f[4], f[5], f[6]
    return (HEADER_SIZE <= header_size <= MAX_HEADER_SIZE and 0 < width <= MAX_DIMENSION
            and 0 < height <= MAX_DIMENSION and payload_size <= payload_bound(width, height))
