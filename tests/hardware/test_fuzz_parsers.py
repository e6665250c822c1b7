"""Property-based fuzzing of the three parsers: only the documented errors escape, and nothing hangs."""

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plansight.hardware.ardrone import navdata as nd
from plansight.hardware.ardrone.at import ATEncoder, parse_datagram
from plansight.hardware.ardrone.pave import HEADER_FORMAT, PaveParser, build_frame

FUZZ = settings(max_examples=300, deadline=200, suppress_health_check=[HealthCheck.too_slow])


def _valid_demo_packet(seq: int) -> bytes:
    demo = nd.Demo(nd.CTRL_HOVERING, 0, 80, 0.01, -0.02, 0.5, 1.2, 0.3, -0.1, 0.0, 7)
    return nd.encode(nd.STATE_FLY, seq, demo, extra_options={16: b"\0" * 324})


@FUZZ
@given(st.binary(max_size=5000))
def test_navdata_random_bytes_raise_only_navdata_error(data):
    try:
        nd.decode(data)
    except nd.NavdataError:
        pass


@FUZZ
@given(st.integers(0, 499), st.integers(0, 255), st.integers(1, 2**31))
def test_navdata_mutated_packets_are_rejected_or_decoded(pos, byte, seq):
    buf = bytearray(_valid_demo_packet(seq))
    original = buf[pos]
    buf[pos] = byte
    try:
        nav = nd.decode(bytes(buf))
    except nd.NavdataError:
        return
    assert byte == original and nav.sequence == seq  # the checksum catches every single-byte change


@FUZZ
@given(st.binary(max_size=3000))
def test_at_parser_never_raises(data):
    for cmd in parse_datagram(data):
        assert isinstance(cmd.seq, int) and cmd.name


@FUZZ
@given(st.lists(st.text(alphabet=st.characters(codec="ascii", exclude_characters='"\r\n'), max_size=40),
                max_size=6))
def test_at_parser_round_trips_encoded_configs(values):
    enc = ATEncoder()
    cmds = parse_datagram(b"".join(enc.config("custom:key", v) for v in values))
    assert [c.args for c in cmds] == [("custom:key", v) for v in values]
    assert [c.seq for c in cmds] == list(range(1, len(values) + 1))


@FUZZ
@given(st.binary(max_size=4000), st.integers(1, 97))
def test_pave_parser_random_bytes_in_random_chunks(data, chunk):
    p = PaveParser()
    for k in range(0, len(data), chunk):
        for f in p.feed(data[k:k + chunk]):
            assert len(f.payload) >= 0
    assert len(p._buf) <= len(data) + 4


@FUZZ
@given(st.lists(st.binary(min_size=1, max_size=300), min_size=1, max_size=5), st.binary(max_size=200),
       st.integers(1, 50), st.sampled_from([64, 68]))
def test_pave_frames_survive_garbage_and_chunking(payloads, garbage, chunk, header_size):
    stream = garbage.replace(b"PaVE", b"PaXE") + b"".join(
        build_frame(p, i, i, 128, 96, header_size=header_size) for i, p in enumerate(payloads))
    parser = PaveParser()
    frames = []
    for k in range(0, len(stream), chunk):
        frames += parser.feed(stream[k:k + chunk])
    assert [f.payload for f in frames] == payloads


@FUZZ
@given(st.binary(min_size=60, max_size=60))
def test_pave_header_with_absurd_sizes_does_not_stall(tail):
    header = b"PaVE" + tail
    header_size, payload_size = struct.unpack_from(HEADER_FORMAT, header)[3:5]
    p = PaveParser()
    fed = header + b"x" * 100
    frames = p.feed(fed)
    if frames:  # only a header that is complete within what was fed can produce a frame
        assert header_size + payload_size <= len(fed)
        assert frames[0].payload == fed[header_size:header_size + payload_size]
    assert len(p._buf) <= 164
