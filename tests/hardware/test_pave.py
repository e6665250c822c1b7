"""PaVE framing: 64- and 68-byte headers, partial reads, resync after garbage; real H.264 payloads."""

from fractions import Fraction

import av
import numpy as np
import pytest

from plansight.hardware.ardrone.pave import FRAME_IDR, HEADER_FORMAT, HEADER_SIZE, PaveParser, build_frame


def test_header_is_64_bytes_and_carries_the_fields():
    assert HEADER_SIZE == 64
    raw = build_frame(b"\x00\x00\x00\x01abc", 7, 1234, 640, 360, FRAME_IDR)
    assert raw[:4] == b"PaVE" and raw[5] == 4 and len(raw) == 64 + 7
    (frame,) = PaveParser().feed(raw)
    assert (frame.frame_number, frame.timestamp_ms, frame.frame_type) == (7, 1234, FRAME_IDR)
    assert (frame.width, frame.height, frame.display_width, frame.display_height) == (640, 368, 640, 360)
    assert frame.payload == b"\x00\x00\x00\x01abc"


@pytest.mark.parametrize("header_size", [64, 68])
def test_partial_reads_and_both_header_sizes(header_size):
    stream = b"".join(build_frame(bytes([i]) * (50 + i), i, i * 33, 128, 96, header_size=header_size)
                      for i in range(5))
    parser = PaveParser()
    frames = []
    for k in range(0, len(stream), 7):  # drip-feed 7 bytes at a time
        frames += parser.feed(stream[k:k + 7])
    assert [f.frame_number for f in frames] == list(range(5))
    assert all(f.payload == bytes([i]) * (50 + i) for i, f in enumerate(frames))
    assert parser.skipped_bytes == 0


def test_resync_after_garbage():
    good = build_frame(b"payload", 1, 0, 128, 96)
    parser = PaveParser()
    frames = parser.feed(b"garbage-PaV" + good[:30]) + parser.feed(good[30:] + b"xxPaVExx" + good)
    assert [f.payload for f in frames] == [b"payload", b"payload"]
    assert parser.skipped_bytes > 0


def test_real_h264_access_units_decode_through_pyav():
    enc = av.CodecContext.create("libx264", "w")
    enc.width, enc.height, enc.pix_fmt = 128, 96, "yuv420p"
    enc.time_base = Fraction(1, 15)
    enc.options = {"tune": "zerolatency", "preset": "ultrafast"}
    stream = b""
    for i in range(6):
        img = np.full((96, 128, 3), 40 * i, np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = i
        for pkt in enc.encode(frame):
            stream += build_frame(bytes(pkt), i, i * 66, 128, 96)
    for pkt in enc.encode():
        stream += build_frame(bytes(pkt), 99, 0, 128, 96)
    dec = av.CodecContext.create("h264", "r")
    decoded = []
    for f in PaveParser().feed(stream):
        for pkt in dec.parse(f.payload):
            decoded += [d.to_ndarray(format="rgb24") for d in dec.decode(pkt)]
    for pkt in dec.parse(b""):
        decoded += [d.to_ndarray(format="rgb24") for d in dec.decode(pkt)]
    decoded += [d.to_ndarray(format="rgb24") for d in dec.decode(None)]
    assert len(decoded) == 6 and decoded[0].shape == (96, 128, 3)
    assert abs(int(decoded[5].mean()) - 200) < 12


def test_struct_format_matches_reference():
    import struct

    assert struct.calcsize(HEADER_FORMAT) == 64


def _stream(n: int, first: int = 0, w: int = 128, h: int = 96) -> bytes:
    return b"".join(build_frame(bytes([i % 251]) * (300 + i % 17), i, i * 66, w, h) for i in range(first, first + n))


def test_a_header_claiming_4_mib_loses_no_frame():
    """The fuzz case: a header claiming 4 MiB swallowed the next 899 frames. Its size does not fit a
    128 × 96 frame, so it is not believed."""
    liar = bytearray(build_frame(b"", 0, 0, 128, 96))
    liar[8:12] = (4 * 1024 * 1024).to_bytes(4, "little")
    parser = PaveParser()
    frames = parser.feed(bytes(liar) + _stream(900, first=1))
    assert len(frames) == 900 and frames[0].frame_number == 1


@pytest.mark.parametrize("warm", [True, False])
def test_a_believable_lie_loses_no_real_frame(warm):
    """A header that fits its claimed (large) frame but lies about the payload: the stream's next frames show
    up inside the claimed payload and the parser resyncs there, with or without a good frame before it."""
    liar = bytearray(build_frame(b"", 5, 0, 1280, 720))
    liar[8:12] = (1_000_000).to_bytes(4, "little")
    data = (_stream(5) if warm else b"") + bytes(liar) + _stream(300, first=5)
    parser = PaveParser()
    frames = []
    for k in range(0, len(data), 4096):  # TCP-sized reads
        frames += parser.feed(data[k:k + 4096])
    assert [f.frame_number for f in frames] == list(range(0 if warm else 5, 305))
    assert parser.resyncs == 1


def test_absurd_header_sizes_are_not_believed():
    for header_size in (63, 129, 65535):
        raw = bytearray(build_frame(b"x" * 10, 1, 0, 128, 96))
        raw[6:8] = header_size.to_bytes(2, "little")
        assert PaveParser().feed(bytes(raw) + build_frame(b"ok", 2, 0, 128, 96))[-1].payload == b"ok"
