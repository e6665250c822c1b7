"""Fuzz bench: hostile and corrupt input against every parser and server, with counts.

    python -m bench.fuzz                      # the protocol's counts (about 10 minutes on 2 cores)
    python -m bench.fuzz --scale 0.01         # a quick look (figures to runs/bench/ only)
    python -m bench.run --record --only fuzz  # record it (bench/results/fuzz.json, BENCHMARKS.md)

Per target, generated cases from a seeded ``random.Random`` (seed 0), in classes named in the results:

- **navdata** (10⁶ packets) through the client's whole receive path, ``ArdroneLink.handle_navdata`` with the
  dead-reckoning listener: random bytes, byte flips, checksum-valid bit flips, checksum-valid NaN and inf
  floats, absurd finite values, lying option sizes, and sane packets between them. After every packet the
  state estimate must be finite and the velocity loop's PCMD for a fixed command finite and within ±1.
- **AT** (2×10⁵ datagrams) through ``parse_datagram`` and the emulator's ``Firmware`` on a live ``DroneSim``
  (ticked every 20 datagrams; the physics must stay finite and never reset as unstable), then 2×10⁴ of them
  over UDP to a running emulator, which must still obey a CONFIG afterwards.
- **PaVE** (10⁵ chunks): real frames interleaved with random bytes, flipped headers, lying sizes and
  truncations; the parser's buffer must stay bounded and most real frames come through.
- **msgpack-rpc** (10⁴ malformed frames) against a live AirSim server: random bytes, wrong shapes and types,
  unhashable keys, huge declared containers, absurd arguments; afterwards it answers ``ping`` and
  ``getMultirotorState``, and its process RSS is within 20 % of where it started.

Every class counts its cases, the unexpected exceptions (``crashes``), and the slowest single case
(``hangs``: cases over 1 s). Memory is the process RSS before and after each target.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import socket
import struct
import time
from collections import Counter
from pathlib import Path

import msgpack
import numpy as np

log = logging.getLogger(__name__)

HANG_S = 1.0
COUNTS = {"navdata": 1_000_000, "at": 200_000, "at_udp": 20_000, "pave": 100_000, "rpc": 10_000}


def rss_mb() -> float:
    """Resident set size of this process, MiB (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


class Tally:
    """Counts per case class: cases, crashes (unexpected exceptions, first message kept), slowest case."""

    def __init__(self) -> None:
        self.cases: Counter[str] = Counter()
        self.crashes: Counter[str] = Counter()
        self.first_crash: dict[str, str] = {}
        self.slowest_s = 0.0
        self.hangs = 0
        self.unsafe = 0
        self.first_unsafe = ""

    def time(self, kind: str, fn) -> object:
        self.cases[kind] += 1
        t = time.perf_counter()
        try:
            return fn()
        except Exception as e:  # the point of the bench: nothing unexpected may escape
            self.crashes[kind] += 1
            self.first_crash.setdefault(kind, f"{type(e).__name__}: {e}"[:200])
            return None
        finally:
            dt = time.perf_counter() - t
            self.slowest_s = max(self.slowest_s, dt)
            self.hangs += dt > HANG_S

    def flag_unsafe(self, what: str) -> None:
        self.unsafe += 1
        self.first_unsafe = self.first_unsafe or what

    def figures(self, wall_s: float, rss0: float, rss1: float) -> dict:
        return {"cases": dict(self.cases), "total": sum(self.cases.values()), "crashes": sum(self.crashes.values()),
                "crashes_by_class": dict(self.crashes), "first_crash": self.first_crash, "hangs_over_1s": self.hangs,
                "slowest_case_ms": round(self.slowest_s * 1000, 2), "unsafe": self.unsafe,
                "first_unsafe": self.first_unsafe, "wall_s": round(wall_s, 1), "rss_start_mb": round(rss0, 1),
                "rss_end_mb": round(rss1, 1)}


# ------------------------------------------------------------------ navdata
class _Flight:
    """A smoothly moving true state (200 Hz): sane packets carry it, the corrupt classes start from it."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.yaw, self.alt, self.vx, self.vy = rng, 0.0, 1.0, 0.0, 0.0

    def demo(self, **kw):
        from plansight.hardware.ardrone import navdata as nd

        r = self.rng
        self.yaw = math.remainder(self.yaw + r.uniform(-0.01, 0.01), 2 * math.pi)
        self.alt = min(max(self.alt + r.uniform(-0.005, 0.005), 0.3), 2.5)
        self.vx = min(max(self.vx + r.uniform(-0.02, 0.02), -1.0), 1.0)
        self.vy = min(max(self.vy + r.uniform(-0.02, 0.02), -1.0), 1.0)
        base = dict(ctrl_state=nd.CTRL_FLYING, fly_state=0, battery_pct=80, pitch=-0.05 * self.vx,
                    roll=0.05 * self.vy, yaw=self.yaw, altitude_m=self.alt, vx=self.vx, vy=self.vy, vz=0.0,
                    num_frames=0)
        return nd.Demo(**{**base, **kw})


_DEMO_FLOATS = (28, 32, 36, 44, 48, 52)  # byte offsets of theta, phi, psi, vx, vy, vz in a demo packet


def navdata_cases(rng: random.Random, n: int):
    """(class, packet bytes) × n."""
    from plansight.hardware.ardrone import navdata as nd
    from plansight.hardware.ardrone.emulator import corrupt_keeping_checksum

    specials = [math.nan, math.inf, -math.inf, 1e30, -1e30, 3.4e38, 1e-45]
    flight = _Flight(rng)
    seq = 0
    for k in range(n):
        seq += 1
        kind = k % 8
        if kind == 0:
            yield "random_bytes", rng.randbytes(rng.choice([0, 3, 16, 24, 100, 500, 4096, 5000]))
        elif kind == 1:
            buf = bytearray(nd.encode(nd.STATE_FLY, seq, flight.demo()))
            for _ in range(rng.randint(1, 6)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            yield "byte_flips", bytes(buf)
        elif kind == 2:
            yield "checksum_valid_bit_flips", corrupt_keeping_checksum(nd.encode(nd.STATE_FLY, seq, flight.demo()), rng)
        elif kind in (3, 4):  # raw wire floats (milli-degrees, mm/s) written over a sane packet, checksum fixed
            buf = bytearray(nd.encode(nd.STATE_FLY, seq, flight.demo())[:-8])
            for _ in range(rng.randint(1, 3)):
                struct.pack_into("<f", buf, rng.choice(_DEMO_FLOATS), rng.choice(specials[:3] if kind == 3 else
                                                                                specials[3:]))
            if kind == 4 and rng.random() < 0.3:
                struct.pack_into("<i", buf, 40, rng.choice([-(2**31), 2**31 - 1, 10**6]))  # altitude, mm
            packet = bytes(buf) + struct.pack("<HHI", nd.TAG_CHECKSUM, 8, nd.checksum(buf))
            yield ("nan_inf_floats" if kind == 3 else "absurd_values"), packet
        elif kind == 5:
            buf = bytearray(nd.encode(nd.STATE_FLY, seq, flight.demo()))
            struct.pack_into("<H", buf, 18, rng.choice([0, 3, 5, 149, 4000, 65535]))  # the demo option's size
            cut = rng.randrange(16, len(buf) + 1)
            yield "lying_sizes_truncation", bytes(buf[:cut]) if rng.random() < 0.5 else bytes(buf)
        elif kind == 6:
            yield "state_bits_and_sequence", nd.encode(rng.getrandbits(32), rng.getrandbits(32), flight.demo())
        else:
            yield "sane", nd.encode(nd.STATE_FLY, seq, flight.demo())


def fuzz_navdata(n: int, seed: int = 0) -> dict:
    from plansight.agent.contracts import DroneCommand
    from plansight.hardware.ardrone.config_ardrone import (
        BridgeSafetyConfig,
        FirmwareLimits,
        LinkConfig,
        PortsConfig,
        VelocityLoopConfig,
    )
    from plansight.hardware.ardrone.emulator import corrupt_keeping_checksum  # noqa: F401  (imported before RSS)
    from plansight.hardware.ardrone.link import ArdroneLink
    from plansight.hardware.ardrone.odometry import NavdataOdometry
    from plansight.hardware.ardrone.velocity import VelocityToPcmd

    rng = random.Random(seed)
    link = ArdroneLink("127.0.0.1", PortsConfig(), LinkConfig(video=False), BridgeSafetyConfig())
    odo = NavdataOdometry()
    link.add_navdata_listener(odo.update)
    loop = VelocityToPcmd(VelocityLoopConfig(), FirmwareLimits())
    cmd = DroneCommand(0.3, 0.0, 0.0, 0.0)
    tally, rss0, t0 = Tally(), rss_mb(), time.perf_counter()
    rss_10 = None
    for k, (kind, packet) in enumerate(navdata_cases(rng, n)):
        now = k / 200.0  # 200 Hz navdata
        if k == n // 10:
            rss_10 = rss_mb()
        if not tally.time(kind, lambda p=packet, t=now: link.handle_navdata(p, t)):
            continue
        state = odo.state().to_vector()
        pcmd = loop(cmd, odo.velocity_body(), 1 / 30)
        fractions = (pcmd.roll, pcmd.pitch, pcmd.gaz, pcmd.yaw)
        if not np.all(np.isfinite(state)) or not all(math.isfinite(x) and abs(x) <= 1.0 for x in fractions):
            tally.flag_unsafe(f"{kind}: state {state[:6].round(2).tolist()} pcmd {fractions}")
    out = tally.figures(time.perf_counter() - t0, rss0, rss_mb())
    out["link_stats"] = {k: v for k, v in link.stats.items() if k.startswith("nav")}
    out["rss_at_10pct_mb"] = round(rss_10 or rss0, 1)
    return out


# ------------------------------------------------------------------ AT
def at_cases(rng: random.Random, n: int):
    """(class, datagram) × n."""
    names = ["REF", "PCMD", "PCMD_MAG", "FTRIM", "CONFIG", "CONFIG_IDS", "COMWDG", "CALIB", "CTRL", "LED", "XYZ"]
    ints = [0, 1, -1, 2**31 - 1, -(2**31), 2**31, 2**32, 10**30, 0x7FC00000, 0x7F800000, 0xFF800000]
    keys = ["control:euler_angle_max", "control:control_vz_max", "control:control_yaw", "control:altitude_max",
            "general:navdata_demo", "x" * 300, ""]
    values = ["nan", "inf", "-inf", "1e308", "-1", "0.3", "TRUE", '"', "\x00", "9" * 400]
    seq = 0
    for k in range(n):
        seq += 1
        kind = k % 5
        if kind == 0:
            yield "random_bytes", rng.randbytes(rng.choice([1, 10, 100, 1024, 4096]))
        elif kind == 1:
            args = ",".join(str(rng.choice(ints)) for _ in range(rng.randint(0, 7)))
            yield "int_args", f"AT*{rng.choice(names)}={seq},{args}\r".encode()
        elif kind == 2:
            yield "config_values", f'AT*CONFIG={seq},"{rng.choice(keys)}","{rng.choice(values)}"\r'.encode()
        elif kind == 3:
            raw = bytearray(f"AT*PCMD={seq},1,0,{rng.choice(ints)},0,0\rAT*REF={seq + 1},290718208\r".encode())
            for _ in range(rng.randint(1, 4)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            yield "mutated_lines", bytes(raw)
        else:
            lines = "".join(f"AT*{rng.choice(names)}={rng.choice([seq, 0, -5, 2**40])}"
                            f"{',' * rng.randint(0, 3)}\r" for _ in range(rng.randint(1, 40)))
            yield "many_lines_bad_seq", lines.encode()


def fuzz_at(n: int, n_udp: int, seed: int = 0) -> dict:
    from plansight.hardware.ardrone.at import parse_datagram
    from plansight.hardware.ardrone.config_ardrone import EmulatorConfig
    from plansight.hardware.ardrone.emulator import ArdroneEmulator
    from plansight.hardware.ardrone.firmware import Firmware
    from plansight.sim.drone.config_drone import DroneSimConfig
    from plansight.sim.drone.drone_sim import DroneSim

    rng = random.Random(seed)
    cfg = EmulatorConfig(sim=DroneSimConfig(render=False, ground_truth_depth=False), video=False)
    sim = DroneSim(cfg.sim)
    sim.reset(0)
    fw = Firmware(cfg, sim)
    tally, rss0, t0 = Tally(), rss_mb(), time.perf_counter()

    def apply(data: bytes, now: float) -> None:
        for c in parse_datagram(data):
            fw.handle(c, now)

    for k, (kind, data) in enumerate(at_cases(rng, n)):
        now = k / 600.0
        tally.time(kind, lambda d=data, t=now: apply(d, t))
        if k % 20 == 19:
            tally.time("physics_tick", lambda t=now: fw.tick(t))
            state = sim.state().to_vector()
            if not np.all(np.isfinite(state)):
                tally.flag_unsafe(f"non-finite physics after {kind}")
            numeric = [fw.config_float(key, 0.0) for key in ("control:euler_angle_max", "control:control_vz_max",
                                                              "control:control_yaw", "control:altitude_max")]
            if not all(math.isfinite(v) for v in numeric):
                tally.flag_unsafe(f"non-finite firmware limit after {kind}: {numeric}")
    import mujoco

    resets = int(sim.data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number)  # MuJoCo's "unstable, reset" count
    out = tally.figures(time.perf_counter() - t0, rss0, rss_mb())
    out["firmware_counters"] = dict(sorted(fw.counters.items()))
    out["unstable_resets"] = resets
    # the same traffic over real UDP to a running emulator: its AT thread must survive and still obey
    with ArdroneEmulator(cfg, "127.0.0.1") as emu:
        p = emu.start(0)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sent = 0
        for _kind, data in at_cases(random.Random(seed + 1), n_udp):
            s.sendto(data[:65000], ("127.0.0.1", p.at))
            sent += 1
            if sent % 500 == 0:
                time.sleep(0.01)  # let the receiver keep up: this measures survival, not UDP buffer overflow
        time.sleep(0.3)
        s.sendto(b'AT*CONFIG=1,"control:control_vz_max","555"\r', ("127.0.0.1", p.at))
        deadline = time.monotonic() + 3.0
        while emu.firmware.config["control:control_vz_max"] != "555" and time.monotonic() < deadline:
            s.sendto(b'AT*CONFIG=1,"control:control_vz_max","555"\r', ("127.0.0.1", p.at))
            time.sleep(0.05)
        s.close()
        out["udp"] = {"datagrams": sent, "received": emu.stats["at_datagrams"],
                      "at_thread_errors": emu.stats.get("at_errors", 0),
                      "obeys_afterwards": emu.firmware.config["control:control_vz_max"] == "555"}
    return out


# ------------------------------------------------------------------ PaVE
def fuzz_pave(n: int, seed: int = 0) -> dict:
    from plansight.hardware.ardrone.pave import PaveParser, build_frame

    rng = random.Random(seed)
    parser = PaveParser()
    tally, rss0, t0 = Tally(), rss_mb(), time.perf_counter()
    real = got = frame_no = 0
    max_buffer = 0
    for k in range(n):
        kind = k % 6
        if kind in (0, 1, 2):  # half the chunks are real frames, the stream the liars sit in
            frame_no += 1
            data, name = build_frame(rng.randbytes(rng.randint(200, 3000)), frame_no, frame_no * 66, 256, 144), "real"
            real += 1
        elif kind == 3:
            data, name = rng.randbytes(rng.choice([1, 4, 64, 1000, 8000])), "random_bytes"
        elif kind == 4:
            raw = bytearray(build_frame(b"", frame_no, 0, rng.choice([256, 1280, 2048, 4096, 65535]),
                                        rng.choice([144, 720, 2048, 65520])))
            struct.pack_into("<I", raw, 8, rng.choice([0, 10, 10**5, 10**6, 4 * 2**20, 2**32 - 1]))
            struct.pack_into("<H", raw, 6, rng.choice([0, 63, 64, 68, 129, 65535]))
            data, name = bytes(raw), "lying_headers"
        else:
            good = build_frame(rng.randbytes(500), frame_no + 1, 0, 320, 144)  # 320 wide: not counted as real
            cut = rng.randrange(1, len(good))
            data, name = (good[:cut] if rng.random() < 0.5 else good[cut:]), "truncated_frames"
        frames = tally.time(name, lambda d=data: parser.feed(d)) or []
        got += sum(1 for f in frames if f.width == 256)
        max_buffer = max(max_buffer, len(parser._buf))
    out = tally.figures(time.perf_counter() - t0, rss0, rss_mb())
    out.update(real_frames_sent=real, frames_recovered=got, recovered_fraction=round(got / max(real, 1), 4),
               max_buffer_bytes=max_buffer, resyncs=parser.resyncs, skipped_bytes=parser.skipped_bytes)
    return out


# ------------------------------------------------------------------ msgpack-rpc
def rpc_cases(rng: random.Random, n: int):
    """(class, bytes on the wire) × n."""
    pack = lambda o: msgpack.packb(o, use_bin_type=True)  # noqa: E731
    methods = ["ping", "getMultirotorState", "simSetVehiclePose", "simGetImages", "moveByVelocityAsync",
               "moveToPositionAsync", "takeoffAsync", "simGetCollisionInfo", "enableApiControl", "nope"]
    junk = [None, True, -1, 2**63, 1e308, float("nan"), float("inf"), "x" * 1000, b"\xff" * 100, [], {}, [[[]]],
            {"position": {"x_val": 1e300}}, {"a": [1] * 1000}]
    for k in range(n):
        kind = k % 6
        if kind == 0:
            yield "random_bytes", rng.randbytes(rng.choice([1, 5, 50, 500]))
        elif kind == 1:
            yield "wrong_shapes", pack(rng.choice([[0], [0, 1], [0, 1, "ping"], [7, 1, "ping", []], "hello", 42,
                                                   [0, "id", "ping", []], [0, 1, 5, []], [0, 1, "ping", "args"]]))
        elif kind == 2:
            params = [rng.choice(junk) for _ in range(rng.randint(0, 8))]
            yield "junk_arguments", pack([0, k, rng.choice(methods), params])
        elif kind == 3:  # a map whose key is an array: [0, k, "getMultirotorState", [{[1]: 2}]]
            yield "unhashable_keys", b"\x94\x00" + pack(k) + pack("getMultirotorState") + b"\x91\x81\x91\x01\x02"
        elif kind == 4:  # array32 / str32 / bin32 headers declaring gigabytes
            yield "huge_declared_sizes", rng.choice([b"\xdd\xff\xff\xff\xff", b"\xdb\x7f\xff\xff\xff",
                                                     b"\xc6\xff\xff\xff\xf0", b"\x94\x00\x01\xdd\x00\x10\x00\x00"])
        else:
            req = {"camera_name": rng.choice(["front_left", "0", "nope", ""]), "image_type": rng.choice([0, 1, 9]),
                   "pixels_as_float": rng.random() < 0.5, "compress": rng.random() < 0.5}
            yield "image_requests", pack([0, k, "simGetImages", [[req] * rng.choice([1, 2, 40, 3000]), "", False]])


def fuzz_rpc(n: int, seed: int = 0) -> dict:
    from plansight.sim.airsim.server import AirSimServer
    from plansight.sim.airsim.vehicle import SimVehicle
    from plansight.sim.drone.config_drone import DroneSimConfig

    rng = random.Random(seed)
    srv = AirSimServer(SimVehicle(DroneSimConfig(), seed=0), "127.0.0.1", 0).start()
    tally = Tally()
    sock = None
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)

    def connect() -> socket.socket:
        s = socket.create_connection(srv.address, timeout=5.0)
        s.settimeout(2.0)
        return s

    def call(s: socket.socket, msgid: int, method: str, params: list):
        s.sendall(msgpack.packb([0, msgid, method, params]))
        end = time.monotonic() + 5.0
        while time.monotonic() < end:
            for msg in unpacker:
                if isinstance(msg, list) and len(msg) == 4 and msg[1] == msgid:
                    return msg
            chunk = s.recv(1 << 20)
            if not chunk:
                return None
            unpacker.feed(chunk)
        return None

    try:
        probe = connect()
        call(probe, 1, "simGetImages", [[{"camera_name": "front_left", "image_type": 0}], "", False])  # warm the GL
        rss0, t0 = rss_mb(), time.perf_counter()
        closed = 0
        for k, (kind, data) in enumerate(rpc_cases(rng, n)):
            if sock is None:
                sock = connect()
            try:
                tally.time(kind, lambda d=data, s=sock: s.sendall(d))
            except OSError:
                pass
            if k % 25 == 24 or kind in ("random_bytes", "huge_declared_sizes"):
                sock.close()  # a connection the fuzz may have poisoned: the next case gets a fresh one
                sock, closed = None, closed + 1
            if k % 200 == 199:  # still answering, promptly, on the probe connection
                t = time.perf_counter()
                reply = call(probe, 10_000 + k, "ping", [])
                dt = time.perf_counter() - t
                tally.slowest_s = max(tally.slowest_s, dt)
                tally.hangs += dt > HANG_S
                if reply is None or reply[3] is not True:
                    tally.flag_unsafe(f"no ping answer after case {k} ({kind})")
        if sock is not None:
            sock.close()
        time.sleep(0.5)
        ping = call(probe, 99_001, "ping", [])
        state = call(probe, 99_002, "getMultirotorState", [""])
        probe.close()
        out = tally.figures(time.perf_counter() - t0, rss0, rss_mb())
        out.update(connections_closed_by_bench=closed, answers_ping=bool(ping and ping[3] is True),
                   answers_state=bool(state and state[2] is None and isinstance(state[3], dict)),
                   rss_growth=round(out["rss_end_mb"] / out["rss_start_mb"] - 1.0, 3))
        return out
    finally:
        srv.close()


# ------------------------------------------------------------------ run
def run(scale: float = 1.0, seed: int = 0) -> dict:
    """Every target at ``scale`` × the protocol's counts; records the figures (see bench.common.record)."""
    from bench.common import record

    c = {k: max(10, round(v * scale)) for k, v in COUNTS.items()}
    figures = {"scale": scale, "seed": seed, "counts": c}
    for name, fn in (("navdata", lambda: fuzz_navdata(c["navdata"], seed)),
                     ("at", lambda: fuzz_at(c["at"], c["at_udp"], seed)),
                     ("pave", lambda: fuzz_pave(c["pave"], seed)),
                     ("rpc", lambda: fuzz_rpc(c["rpc"], seed))):
        log.info("fuzzing %s (%d cases)", name, c[name])
        figures[name] = fn()
        log.info("%s: %s", name, {k: figures[name][k] for k in ("total", "crashes", "hangs_over_1s", "unsafe")})
    record("fuzz", figures, markdown(figures))
    return figures


def markdown(f: dict) -> str:
    rows = []
    for name, label in (("navdata", "navdata packets → ArdroneLink.handle_navdata + odometry + velocity loop"),
                        ("at", "AT datagrams → parse_datagram + Firmware on DroneSim"),
                        ("pave", "PaVE chunks → PaveParser"),
                        ("rpc", "malformed msgpack-rpc frames → live AirSim server")):
        g = f[name]
        rows.append(f"| {label} | {g['total']:,} | {g['crashes']} | {g['hangs_over_1s']} ({g['slowest_case_ms']} ms) "
                    f"| {g['unsafe']} | {g['rss_start_mb']} → {g['rss_end_mb']} |")
    classes = "; ".join(f"**{n}**: " + ", ".join(f"{k} {v:,}" for k, v in f[n]["cases"].items())
                        for n in ("navdata", "at", "pave", "rpc"))
    nav, at, pv, rp = f["navdata"], f["at"], f["pave"], f["rpc"]
    return f"""## Fuzzing: hostile input never crashes, hangs or reaches the motors

Seeded generated cases (seed {f['seed']}, scale {f['scale']} of the protocol's counts). A crash is an exception
that escapes the code under test; a hang is one case taking over 1 s; unsafe: a non-finite state estimate or PCMD
outside ±1 after a navdata packet, non-finite physics or firmware limits after AT traffic, the AirSim server not
answering `ping` within 5 s.

| target | cases | crashes | hangs > 1 s (slowest) | unsafe | RSS MiB start → end |
|---|---|---|---|---|---|
{chr(10).join(rows)}

- navdata: {nav['link_stats']}.
- AT: {at['udp']['datagrams']:,} more datagrams over UDP to a running emulator: AT-thread errors {at['udp']['at_thread_errors']}, \
obeys a CONFIG afterwards: {at['udp']['obeys_afterwards']}; physics resets as unstable: {at['unstable_resets']}.
- PaVE: {pv['frames_recovered']:,} of {pv['real_frames_sent']:,} real frames recovered ({100 * pv['recovered_fraction']:.1f} %) \
between the hostile chunks; the parser's buffer peaked at {pv['max_buffer_bytes']:,} bytes; {pv['resyncs']} resyncs inside a \
claimed payload.
- AirSim server: answers `ping` {rp['answers_ping']} and `getMultirotorState` {rp['answers_state']} afterwards; RSS growth \
{100 * rp['rss_growth']:+.1f} % (limit +20 %).
- Case classes: {classes}.

Reproduce: `python -m bench.fuzz` (figures to runs/bench/), `python -m bench.run --record --only fuzz`."""


def main() -> None:
    from bench import common

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the protocol's case counts")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--record", action="store_true", help="write bench/results/fuzz.json and BENCHMARKS.md")
    args = ap.parse_args()
    common.RECORD = args.record
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("plansight", "OpenGL"):
        logging.getLogger(noisy).setLevel(logging.ERROR)  # the server logs every refused case
    figures = run(args.scale, args.seed)
    print(json.dumps({k: {m: figures[k][m] for m in ("total", "crashes", "hangs_over_1s", "unsafe")}
                      for k in ("navdata", "at", "pave", "rpc")}, indent=2))


if __name__ == "__main__":
    main()
