"""Wire-level behaviour: rpclib's error strings, malformed frames, pipelining; the server keeps serving."""

from __future__ import annotations

import socket

import msgpack
import pytest

from plansight.sim.airsim import rpc


class Raw:
    """A bare msgpack-rpc peer on a socket, to send what no well-behaved client would."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=5.0)
        self.unpacker = msgpack.Unpacker(raw=False)

    def send(self, obj) -> None:
        self.sock.sendall(msgpack.packb(obj, use_bin_type=True))

    def recv(self):
        for msg in self.unpacker:
            return msg
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None  # closed by the server
            self.unpacker.feed(chunk)
            for msg in self.unpacker:
                return msg

    def call(self, msgid: int, method: str, params: list):
        self.send([0, msgid, method, params])
        return self.recv()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw(server):
    r = Raw(server.address)
    yield r
    r.close()


def test_unknown_method_and_wrong_arity_get_rpclib_errors(raw):
    assert raw.call(1, "simSpawnObject", ["a", "b", {}, {}, False, False]) == [
        1, 1, "rpclib: server could not find function 'simSpawnObject' with argument count 6.", None]
    # moveByVelocity needs all 7 arguments on the wire; 4 is what a careless client sends
    assert raw.call(2, "moveByVelocity", [1.0, 0.0, 0.0, 1.0])[2] == rpc.no_such_function("moveByVelocity", 4)
    assert raw.call(3, "ping", [])[2:] == [None, True]


def test_bad_argument_types_get_threw_errors(raw):
    reply = raw.call(4, "getMultirotorState", [5])
    assert reply[:2] == [1, 4] and reply[3] is None
    assert reply[2] == ("rpclib: function 'getMultirotorState' (called with 1 arg(s)) threw an exception. "
                        "The exception contained this information: vehicle_name must be a string, got int.")
    reply = raw.call(5, "simGetImages", ["front_left", "", False])
    assert "requests must be an array" in reply[2]
    reply = raw.call(6, "simSetVehiclePose", [{"position": {"x_val": 1}}, True, ""])
    assert "threw an exception" in reply[2]
    assert raw.call(7, "ping", [])[3] is True


def test_malformed_requests_with_a_msgid_are_answered(raw):
    reply = raw.call(8, 42, [])  # method is not a string
    assert reply[:2] == [1, 8] and "malformed request" in reply[2] and reply[3] is None
    raw.send([0, 9, "ping", "not-an-array"])
    assert raw.recv()[:2] == [1, 9]
    raw.send(42)  # not even an array: nothing to answer, nothing lost
    raw.send([1, 10, None, True])  # a response sent to the server: ignored
    assert raw.call(11, "ping", []) == [1, 11, None, True]


def test_pipelined_and_fragmented_requests(raw):
    data = b"".join(msgpack.packb([0, i, "getServerVersion", []]) for i in range(20, 25))
    for k in range(0, len(data), 3):  # dribble the bytes in tiny pieces
        raw.sock.sendall(data[k:k + 3])
    replies = [raw.recv() for _ in range(5)]
    assert sorted(r[1] for r in replies) == list(range(20, 25)) and all(r[3] == 1 for r in replies)


def test_notifications_are_executed_without_reply(raw):
    raw.send([2, "enableApiControl", [True, ""]])
    assert raw.call(30, "isApiControlEnabled", [""]) == [1, 30, None, True]


def test_garbage_bytes_close_only_that_connection(server, raw):
    other = Raw(server.address)
    try:
        assert other.call(40, "ping", [])[3] is True
        raw.sock.sendall(b"\xc1\xc1\xc1garbage")  # 0xc1 is never valid msgpack
        assert raw.recv() is None  # that connection is closed: a frameless stream cannot resync
        assert other.call(41, "ping", [])[3] is True  # the others are served
        fresh = Raw(server.address)
        assert fresh.call(42, "getMultirotorState", [""])[2] is None  # and new ones too
        fresh.close()
    finally:
        other.close()


def test_a_map_with_an_unhashable_key_gets_rpclibs_error_and_the_connection_stays(raw):
    # [0, 7, "getMultirotorState", [{[1]: 2}]]: a map whose key is an array (Python cannot hash it)
    request = b"\x94\x00\x07" + msgpack.packb("getMultirotorState") + b"\x91" + b"\x81\x91\x01\x02"
    raw.sock.sendall(request)
    kind, msgid, error, result = raw.recv()
    assert (kind, msgid, result) == (1, 7, None)
    assert "threw an exception" in error and "unhashable" in error
    assert raw.call(8, "ping", [])[2:] == [None, True]  # still serving on the same connection


@pytest.mark.parametrize("x", [1e300, float("inf"), -2e4])
def test_absurd_poses_are_refused_and_the_vehicle_keeps_answering(raw, x):
    pose = {"position": {"x_val": x, "y_val": 0.0, "z_val": -1.0},
            "orientation": {"w_val": 1.0, "x_val": 0.0, "y_val": 0.0, "z_val": 0.0}}
    reply = raw.call(1, "simSetVehiclePose", [pose, True, ""])
    assert reply[0] == 1 and "threw an exception" in reply[2]
    assert "infinite" in reply[2] or "from the origin" in reply[2]
    state = raw.call(2, "getMultirotorState", [""])
    assert state[2] is None and state[3] is not None  # still answering, with a state


def test_an_image_call_that_would_answer_gigabytes_is_refused(raw):
    """The fuzz case: 3,000 float-depth requests in one 189 KB call made a 185 MB answer and a 2 GB peak."""
    req = {"camera_name": "front_left", "image_type": 1, "pixels_as_float": True, "compress": False}
    reply = raw.call(1, "simGetImages", [[req] * 3000, "", False])
    assert reply[0] == 1 and reply[3] is None and "at most 32" in reply[2]
    ok = raw.call(2, "simGetImages", [[req] * 2, "", False])
    assert ok[2] is None and len(ok[3]) == 2 and len(ok[3][0]["image_data_float"]) > 0
    assert raw.call(3, "ping", [])[2:] == [None, True]


def test_an_image_answer_over_the_byte_budget_is_refused(raw, monkeypatch):
    from plansight.sim.airsim import vehicle

    req = {"camera_name": "front_left", "image_type": 1, "pixels_as_float": True, "compress": False}
    monkeypatch.setattr(vehicle, "MAX_RESPONSE_BYTES", 100_000)  # 2 float depth images of 128 × 96 ≈ 125 kB
    reply = raw.call(1, "simGetImages", [[req] * 2, "", False])
    assert reply[3] is None and "MiB per call" in reply[2]
    assert raw.call(2, "simGetImages", [[req], "", False])[2] is None
