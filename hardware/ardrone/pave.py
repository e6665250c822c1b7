"""PaVE framing of the AR.Drone 2.0 video stream (TCP 5555): parser and builder.

Each frame is a PaVE header (64 bytes in the SDK; some 2.0 firmwares send 68, so the parser always
skips ``header_size``) followed by ``payload_size`` bytes: one H.264 access unit in Annex-B format.
The parser is incremental: feed it whatever ``recv`` returned (partial headers and payloads are
kept until complete); on a bad signature it scans forward to the next ``"PaVE"`` (resync) and counts
the bytes it skipped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SIGNATURE = b"PaVE"
HEADER_FORMAT = "<4sBBHIHHHHIIBBBBIIHBBBB2sI12s"
HEADER_SIZE = struct.calcsize(HEADER_FORMAT)  # 64
CODEC_H264 = 4
FRAME_IDR, FRAME_I, FRAME_P = 1, 2, 3
MAX_PAYLOAD = 4 * 1024 * 1024


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
        self.skipped_bytes = 0
        self.frames = 0

    def feed(self, data: bytes) -> list[PaveFrame]:
        self._buf += data
        out = []
        while True:
            start = self._buf.find(SIGNATURE)
            if start < 0:
                keep = len(SIGNATURE) - 1  # a signature may straddle two reads
                drop = max(len(self._buf) - keep, 0)
                self.skipped_bytes += drop
                del self._buf[:drop]
                return out
            if start:
                self.skipped_bytes += start
                del self._buf[:start]
            if len(self._buf) < HEADER_SIZE:
                return out
            f = struct.unpack_from(HEADER_FORMAT, self._buf, 0)
            header_size, payload_size = f[3], f[4]
            if header_size < HEADER_SIZE or payload_size > MAX_PAYLOAD:
                self.skipped_bytes += 1  # not a real header: resync past this signature
                del self._buf[:1]
                continue
            if len(self._buf) < header_size + payload_size:
                return out
            payload = bytes(self._buf[header_size: header_size + payload_size])
            del self._buf[: header_size + payload_size]
            out.append(PaveFrame(codec=f[2], width=f[5], height=f[6], display_width=f[7], display_height=f[8],
                                 frame_number=f[9], timestamp_ms=f[10], frame_type=f[13], payload=payload))
            self.frames += 1
