"""AT command and navdata wire formats against the SDK test vectors (ardrone2_protocol.md §2, §6)."""

import math
import struct

import pytest

from plansight.hardware.ardrone import navdata
from plansight.hardware.ardrone.at import (
    REF_EMERGENCY,
    REF_LAND,
    REF_TAKEOFF,
    ATEncoder,
    float_to_int,
    int_to_float,
    parse_datagram,
)

FLOAT_VECTORS = [(0.0, 0), (0.1, 1036831949), (0.2, 1045220557), (0.25, 1048576000), (0.5, 1056964608),
                 (0.8, 1061997773), (1.0, 1065353216), (-0.1, -1110651699), (-0.5, -1090519040),
                 (-0.8, -1085485875), (-1.0, -1082130432)]


@pytest.mark.parametrize(("x", "n"), FLOAT_VECTORS)
def test_float_encoding_matches_sdk_vectors(x, n):
    assert float_to_int(x) == n
    assert int_to_float(n) == pytest.approx(x, abs=1e-7)


def test_ref_values():
    assert (REF_LAND, REF_TAKEOFF, REF_EMERGENCY) == (290717696, 290718208, 290717952)


def test_encoder_lines_and_sequence_numbers():
    enc = ATEncoder()
    assert enc.ref(100) == b"AT*REF=1,100\r"
    assert enc.comwdg() == b"AT*COMWDG=2\r"
    assert enc.takeoff() == b"AT*REF=3,290718208\r"
    assert enc.pcmd(0, -0.8, 0, 0) == b"AT*PCMD=4,1,0,-1085485875,0,0\r"
    assert enc.hover() == b"AT*PCMD=5,0,0,0,0,0\r"
    assert enc.config("general:navdata_demo", "TRUE") == b'AT*CONFIG=6,"general:navdata_demo","TRUE"\r'
    assert enc.config_ids("s", "u", "a") == b'AT*CONFIG_IDS=7,"s","u","a"\r'
    assert enc.ctrl(5) == b"AT*CTRL=8,5,0\r"
    assert enc.ftrim() == b"AT*FTRIM=9\r"
    assert enc.calib() == b"AT*CALIB=10,0\r"
    enc.reset()
    assert enc.land() == b"AT*REF=1,290717696\r"


def test_encoder_clips_and_refuses_non_finite():
    enc = ATEncoder()
    assert enc.pcmd(2.0, 0, 0, -3.0) == b"AT*PCMD=1,1,1065353216,0,0,-1082130432\r"
    with pytest.raises(ValueError, match="finite"):
        enc.pcmd(math.nan, 0, 0, 0)
    with pytest.raises(ValueError, match="1024"):
        enc.config("a:b", "x" * 1100)
    with pytest.raises(ValueError, match="quotes"):
        enc.config('a"b', "x")


def test_parser_round_trip_and_tolerance():
    enc = ATEncoder()
    dgram = enc.pcmd(0.1, -0.5, 0.2, 1.0) + enc.config("control:altitude_max", "3000") + enc.comwdg()
    cmds = parse_datagram(dgram)
    assert [c.name for c in cmds] == ["PCMD", "CONFIG", "COMWDG"]
    assert [c.seq for c in cmds] == [1, 2, 3]
    assert [int_to_float(a) for a in cmds[0].args[1:]] == pytest.approx([0.1, -0.5, 0.2, 1.0])
    assert cmds[1].args == ("control:altitude_max", "3000")
    # LF and CRLF terminators (Dev Guide), garbage and over-long lines are skipped
    lf = b"AT*PCMD=21625,1,0,0,0,0\nAT*REF=21626,290717696\n"
    assert [(c.name, c.seq) for c in parse_datagram(lf)] == [("PCMD", 21625), ("REF", 21626)]
    junk = b"hello\rAT*REF=x,1\rAT*REF=7," + b"1" * 1100 + b"\rAT*REF=8,290717696\r\n"
    assert [(c.name, c.seq) for c in parse_datagram(junk)] == [("REF", 8)]


BOOTSTRAP = bytes.fromhex("88776655100c804f0100000000000000ffff0800a6020000")


def test_bootstrap_packet_vector():
    nav = navdata.decode(BOOTSTRAP)
    assert nav.state == 0x4F800C10 and nav.sequence == 1 and nav.vision_defined == 0
    assert nav.bootstrap and nav.demo is None
    assert [b for b in range(32) if nav.state >> b & 1] == [4, 10, 11, 23, 24, 25, 26, 27, 30]
    assert navdata.checksum(BOOTSTRAP[:16]) == 678


def test_bad_packets_are_rejected_with_reasons():
    bad_cks = BOOTSTRAP[:20] + struct.pack("<I", 679)
    with pytest.raises(navdata.NavdataError, match="checksum mismatch"):
        navdata.decode(bad_cks)
    with pytest.raises(navdata.NavdataError, match="bad header"):
        navdata.decode(b"\x00" * 4 + BOOTSTRAP[4:])
    with pytest.raises(navdata.NavdataError, match="invalid size"):
        navdata.decode(BOOTSTRAP[:16] + struct.pack("<HH", 0, 2) + BOOTSTRAP[16:])
    with pytest.raises(navdata.NavdataError, match="bytes"):
        navdata.decode(BOOTSTRAP[:10])


def test_demo_packet_layout_and_units():
    demo = navdata.Demo(ctrl_state=navdata.CTRL_HOVERING, fly_state=0, battery_pct=87, pitch=math.radians(-5),
                        roll=math.radians(2), yaw=math.radians(90), altitude_m=1.234, vx=0.5, vy=-0.25, vz=0.1,
                        num_frames=42)
    vision = bytes(324)  # vision_detect option payload (size 328 with tag/size)
    pkt = navdata.encode(navdata.STATE_FLY | navdata.STATE_NAVDATA_DEMO, 7, demo, extra_options={16: vision})
    assert len(pkt) == 500  # the typical 2.0 demo packet
    assert struct.unpack_from("<HH", pkt, 16) == (0, 148) and struct.unpack_from("<HH", pkt, 164) == (16, 328)
    assert struct.unpack_from("<HH", pkt, 492) == (0xFFFF, 8)
    assert struct.unpack_from("<I", pkt, 496)[0] == sum(pkt[:492])
    assert struct.unpack_from("<i", pkt, 40)[0] == 1234  # altitude in mm at packet offset 40
    assert struct.unpack_from("<f", pkt, 28)[0] == pytest.approx(-5000)  # theta in milli-degrees
    nav = navdata.decode(pkt)
    d = nav.demo
    assert nav.has(navdata.STATE_FLY) and not nav.bootstrap and nav.sequence == 7
    assert (d.ctrl_state, d.battery_pct, d.num_frames) == (navdata.CTRL_HOVERING, 87, 42)
    assert d.pitch == pytest.approx(math.radians(-5), abs=1e-6) and d.yaw == pytest.approx(math.pi / 2, abs=1e-6)
    assert d.altitude_m == 1.234 and (d.vx, d.vy, d.vz) == pytest.approx((0.5, -0.25, 0.1), abs=1e-6)
    assert set(nav.options) == {0, 16}


def test_out_of_order_packets_are_dropped():
    f = navdata.SequenceFilter()
    seqs = [navdata.decode(navdata.encode(0, s)) for s in (1, 2, 5, 3, 5, 6)]
    assert [f.accept(n) for n in seqs] == [True, True, True, False, False, True]
    assert f.dropped == 2
    f.reset()
    assert f.accept(seqs[0])
    f = navdata.SequenceFilter(restart_window=8)
    for s in range(1, 41):
        f.accept(navdata.decode(navdata.encode(0, s)))
    assert not f.accept(navdata.decode(navdata.encode(0, 35)))  # late by 5: reordered, dropped
    assert f.accept(navdata.decode(navdata.encode(0, 2)))  # back by 38: the drone restarted numbering
    assert f.restarts == 1 and f.accept(navdata.decode(navdata.encode(0, 3)))
    f = navdata.SequenceFilter(restart_window=8, restart_after_s=0.15)
    assert f.accept(navdata.decode(navdata.encode(0, 5)), now=10.0)
    assert not f.accept(navdata.decode(navdata.encode(0, 4)), now=10.01)  # reordered neighbour: dropped
    assert f.accept(navdata.decode(navdata.encode(0, 1)), now=10.3)  # older number, periods late: a restart
