"""H.264 access units in and out of RGB frames, with PyAV (FFmpeg's libx264 and h264 decoder).

The drone streams Annex-B access units, IDR frames carrying SPS and PPS at their start
(ardrone2_protocol.md §7). The encoder here (the emulator's side) produces exactly that: x264 with
``repeat-headers`` and a fixed key-frame interval, tuned for zero latency.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccessUnit:
    """One encoded frame: Annex-B bytes; ``keyframe`` for IDR (SPS + PPS + I slice)."""

    data: bytes
    keyframe: bool


class H264Encoder:
    """RGB frames (H×W×3 uint8) → access units. ``gop`` frames between IDR frames."""

    def __init__(self, width: int, height: int, fps: float, gop: int) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"H.264 needs even dimensions, got {width}x{height}")
        self.width, self.height = width, height
        self._ctx = av.CodecContext.create("libx264", "w")
        self._ctx.width, self._ctx.height, self._ctx.pix_fmt = width, height, "yuv420p"
        self._ctx.time_base = Fraction(1, max(1, round(fps)))
        self._ctx.options = {"tune": "zerolatency", "preset": "ultrafast", "threads": "1",
                             "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:repeat-headers=1"}
        self._pts = 0

    def encode(self, rgb: np.ndarray) -> list[AccessUnit]:
        if rgb.shape != (self.height, self.width, 3):
            raise ValueError(f"expected {self.height}x{self.width}x3, got {rgb.shape}")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self._pts
        self._pts += 1
        return [AccessUnit(bytes(p), bool(p.is_keyframe)) for p in self._ctx.encode(frame)]


class H264Decoder:
    """Access units → RGB frames. Frames before the first decodable IDR, and corrupt units, are
    dropped (counted in ``errors``) instead of raising: a video glitch must not stop a flight."""

    def __init__(self) -> None:
        self._ctx = av.CodecContext.create("h264", "r")
        self._ctx.thread_count = 1  # small frames: threads add latency and contention, not speed
        self.errors = 0
        self.decoded = 0

    def decode(self, data: bytes) -> list[np.ndarray]:
        out = []
        try:
            for frame in self._ctx.decode(av.Packet(data)):  # one PaVE payload = one access unit
                out.append(frame.to_ndarray(format="rgb24"))
        except av.error.FFmpegError as e:  # InvalidDataError and friends
            self.errors += 1
            log.debug("h264 decode error: %s", e)
        self.decoded += len(out)
        return out
