"""Mission video: H.264 fragmented mp4 through PyAV, playable up to the last fragment even after a kill.

Each frame is the left camera next to colour-mapped depth panels (stereo, then ground truth),
upscaled with nearest-neighbour so single pixels stay visible.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

log = logging.getLogger(__name__)


def depth_panel(depth: np.ndarray, valid: np.ndarray | None, max_depth_m: float = 5.0) -> np.ndarray:
    """H×W float metres → H×W×3 uint8 RGB (turbo colour map, near = red); invalid pixels black."""
    norm = np.clip(1.0 - np.nan_to_num(depth, nan=max_depth_m) / max_depth_m, 0.0, 1.0)
    rgb = cv2.cvtColor(cv2.applyColorMap((norm * 255).astype(np.uint8), cv2.COLORMAP_TURBO), cv2.COLOR_BGR2RGB)
    if valid is not None:
        rgb[~valid] = 0
    return rgb


def compose(panels: list[np.ndarray], scale: int, caption: str = "") -> np.ndarray:
    """Side-by-side H×(W·n)×3 uint8 frame, upscaled ``scale``×, with a caption at the top left."""
    frame = np.concatenate(panels, axis=1)
    frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    if caption:
        cv2.putText(frame, caption, (6, 14 + 4 * scale), cv2.FONT_HERSHEY_SIMPLEX, 0.35 * scale,
                    (255, 255, 255), max(1, scale // 2), cv2.LINE_AA)
    return frame


class VideoRecorder:
    """Writes RGB frames to ``path`` (mp4, H.264, yuv420p). Frames must all have one even size.

    The file is a fragmented MP4 written under its final name, a keyframe and a fragment every second, each
    flushed as it is muxed: a run killed with kill -9 leaves a video that plays up to its last second or two.
    """

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = Path(path)
        self.fps = fps
        self._container: av.container.OutputContainer | None = None
        self._stream = None
        self.frames = 0

    def add(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        if self._container is None:
            self._container = av.open(str(self.path), mode="w", format="mp4",
                                      options={"movflags": "frag_keyframe+empty_moov+default_base_moof",
                                               "flush_packets": "1"})
            self._stream = self._container.add_stream("libx264", rate=Fraction(self.fps).limit_denominator(1000))
            self._stream.width, self._stream.height = w - w % 2, h - h % 2
            self._stream.pix_fmt = "yuv420p"
            self._stream.codec_context.gop_size = max(1, round(self.fps))  # a keyframe, so a fragment, per second
            self._stream.options = {"crf": "23", "preset": "veryfast"}
        frame = np.ascontiguousarray(frame[: h - h % 2, : w - w % 2])
        for packet in self._stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> Path | None:
        """Flush, close and move the file into place; returns its path, or None if no frames."""
        if self._container is None:
            return None
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None
        log.info("wrote %s (%d frames)", self.path, self.frames)
        return self.path
