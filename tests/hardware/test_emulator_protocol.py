"""The emulator's side of the protocol, driven by bare sockets on 127.0.0.1."""

import socket
import time

from plansight.hardware.ardrone import navdata as nd
from plansight.hardware.ardrone.at import REF_SELECT, REF_TAKEOFF
from tests.hardware.conftest import eventually

CAPTURE = bytes.fromhex("88776655100c804f0100000000000000ffff0800a6020000")


def test_first_packet_is_the_sdk_bootstrap_capture(emulator):
    nav = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    nav.settimeout(1.0)
    nav.sendto(b"\x01", ("127.0.0.1", emulator.ports_bound.navdata))  # node-ar-drone's one-byte trigger
    assert nav.recvfrom(4096)[0] == CAPTURE  # state 0x4F800C10, sequence 1, checksum 678
    nav.close()


def test_config_ack_handshake_and_demo_mode(raw):
    assert raw.latest().bootstrap
    raw.send(raw.enc.config("general:navdata_demo", "TRUE"))
    nav = raw.latest()
    assert nav.has(nd.STATE_COMMAND_ACK) and not nav.bootstrap
    assert nav.state & ~(1 << 30) == 0x4F800C50 & ~(1 << 30) & ~nd.STATE_NAVDATA_BOOTSTRAP
    assert nav.demo is not None and nav.demo.ctrl_state == nd.CTRL_LANDED and nav.demo.battery_pct == 100
    raw.send(raw.enc.ctrl(5))
    assert not raw.latest().has(nd.STATE_COMMAND_ACK)
    raw.send(raw.enc.config("control:altitude_max", "2000"))  # every CONFIG raises the bit again
    assert raw.latest().has(nd.STATE_COMMAND_ACK)


def test_multiconfig_needs_config_ids_once_ids_are_set(raw, emulator):
    raw.send(raw.enc.config("custom:session_id", "abcdef01"), raw.enc.ctrl(5))
    raw.latest()
    raw.send(raw.enc.config("control:outdoor", "TRUE"))  # bare CONFIG: ignored now
    assert not raw.latest().has(nd.STATE_COMMAND_ACK)
    assert emulator.firmware.config["control:outdoor"] == "FALSE"
    raw.send(raw.enc.config_ids("abcdef01", "00000000", "00000000") + raw.enc.config("control:outdoor", "TRUE"))
    assert raw.latest().has(nd.STATE_COMMAND_ACK)
    assert emulator.firmware.config["control:outdoor"] == "TRUE"


def test_sequence_rule_stale_ignored_and_one_resets(raw, emulator):
    fw = emulator.firmware
    raw.send(b"AT*CONFIG=100,\"control:altitude_max\",\"2500\"\r")
    raw.send(b"AT*CONFIG=50,\"control:altitude_max\",\"1000\"\r")  # stale: ignored
    assert eventually(lambda: fw.counters.get("stale_seq") == 1)
    assert fw.config["control:altitude_max"] == "2500"
    raw.send(b"AT*CONFIG=1,\"control:altitude_max\",\"1200\"\r")  # seq 1 resets the counter
    assert eventually(lambda: fw.config["control:altitude_max"] == "1200") and fw.last_seq == 1


def test_watchdog_raises_after_silence_and_traffic_clears_it(raw):
    raw.send(raw.enc.config("general:navdata_demo", "TRUE"), raw.enc.ctrl(5))
    time.sleep(0.01)
    time.sleep(0.3)  # > 50 ms without AT traffic
    nav = raw.latest()
    assert nav.has(nd.STATE_COM_WATCHDOG)
    raw.enc.reset()
    nav = raw.pump(0.3, lambda: [raw.enc.comwdg()])  # traffic every 20 ms, inside the 50 ms watchdog
    assert not nav.has(nd.STATE_COM_WATCHDOG)


def test_ftrim_only_landed_calib_only_flying_and_config_dump(raw, emulator):
    fw = emulator.firmware
    raw.send(raw.enc.ftrim(), raw.enc.calib())
    assert eventually(lambda: fw.counters.get("FTRIM") == 1 and fw.counters.get("CALIB_ignored") == 1)
    ctl = socket.create_connection(("127.0.0.1", emulator.ports_bound.control), timeout=2.0)
    time.sleep(0.1)  # let the emulator accept
    raw.send(raw.enc.ctrl(4))
    dump = b""
    while b"video:video_codec" not in dump:
        dump += ctl.recv(4096)
    assert b"control:euler_angle_max = " in dump and b"general:navdata_demo = FALSE" in dump
    ctl.close()


def test_takeoff_emergency_toggle_and_recovery(raw, emulator):
    fw = emulator.firmware
    raw.send(raw.enc.config("general:navdata_demo", "TRUE"), raw.enc.ctrl(5))
    end = time.monotonic() + 1.0
    while time.monotonic() < end:  # REF is level-triggered: repeat it
        raw.send(raw.enc.ref(REF_TAKEOFF), raw.enc.hover())
        time.sleep(0.03)
    assert raw.latest(0.05).has(nd.STATE_FLY)
    for _ in range(3):  # SELECT held for 3 datagrams = one rising edge = one toggle
        raw.send(raw.enc.ref(REF_SELECT | 0x11540000))
        time.sleep(0.03)
    nav = raw.latest()
    assert nav.has(nd.STATE_EMERGENCY) and fw.emergency
    end = time.monotonic() + 1.5  # falls with the motors cut; traffic keeps the watchdog quiet
    while time.monotonic() < end:
        raw.send(raw.enc.ref(0x11540000))
        time.sleep(0.03)
    assert emulator.truth()[0].position[2] < 0.2
    for _ in range(3):
        raw.send(raw.enc.ref(REF_SELECT | 0x11540000))
        time.sleep(0.03)
    raw.send(raw.enc.ref(0x11540000))
    assert not raw.latest().has(nd.STATE_EMERGENCY)
