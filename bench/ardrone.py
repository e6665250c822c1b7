"""AR.Drone bridge benchmark: AT-loop jitter during emulated missions, navdata parse rate, video decode.

Targets (issue: AR.Drone bridge): command-loop p99 jitter ≤ 3 ms at 30 Hz during an emulated
mission; ≥ 100 k navdata packets parsed per second.

The missions are ``launch/missions/ardrone_room.yaml`` flown by the real runner (mono depth
network, avoidance, video recording) against the in-process emulator, so the AT thread shares the
interpreter with everything else: the hard case. Jitter is |period − 33.3 ms| of the AT send times.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import median_rate, record, timed
from plansight.hardware.ardrone import navdata as nd
from plansight.launch.deploy import deploy_mission
from plansight.launch.mission import load_mission
from plansight.launch.runner import fly

log = logging.getLogger(__name__)
MISSION = Path(__file__).resolve().parents[1] / "launch" / "missions" / "ardrone_room.yaml"


def navdata_parse_rate(n: int = 50_000) -> float:
    demo = nd.Demo(nd.CTRL_HOVERING, 0, 80, 0.01, -0.02, 0.5, 1.2, 0.3, -0.1, 0.0, 7)
    packet = nd.encode(nd.STATE_FLY, 5, demo, extra_options={16: b"\0" * 324})  # the 500-byte 2.0 packet
    return n / timed(lambda: [nd.decode(packet) for _ in range(n)])


def video_decode_rate(width: int, height: int, frames: int = 150) -> tuple[float, float]:
    """(decoded frames/s, mean access-unit bytes) for rendered room views encoded like the emulator."""
    from plansight.hardware.ardrone.h264 import H264Decoder, H264Encoder
    from plansight.sim.drone.config_drone import DroneSimConfig
    from plansight.sim.drone.drone_sim import DroneSim
    from plansight.sim.drone.model import LEFT_CAMERA
    from plansight.sim.drone.render import CameraRenderer

    sim = DroneSim(DroneSimConfig(render=False))
    sim.reset(0)
    sim.takeoff()
    renderer = CameraRenderer(sim.model, width, height, depth=False)
    enc = H264Encoder(width, height, 15, 15)
    units = []
    from plansight.agent.contracts import DroneCommand

    for i in range(frames):
        sim.act(DroneCommand(vx=0.3, yaw_rate=0.6 * np.sin(i / 10)))
        units += [u.data for u in enc.encode(renderer.rgb(sim.data, LEFT_CAMERA))]
    renderer.close()
    sim.close()

    def rate() -> float:
        dec = H264Decoder()
        return len(units) / timed(lambda: [dec.decode(u) for u in units])

    med, _ = median_rate(rate, 5)
    return med, float(np.mean([len(u) for u in units]))


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@contextlib.contextmanager
def _emulator_process(seed: int):
    """``plansight emulate ardrone`` in its own process, as a real drone is its own machine."""
    at, nav, video, control = _free_ports(4)
    proc = subprocess.Popen([sys.executable, "-m", "plansight.launch.cli", "emulate", "ardrone", "--seed", str(seed),
                             "--at-port", str(at), "--navdata-port", str(nav), "--video-port", str(video),
                             "--control-port", str(control)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3.0)  # imports and MuJoCo model build
        yield {"host": "127.0.0.1", "ports": {"at": at, "navdata": nav, "video": video, "control": control}}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _mission(seed: int, seconds: float, where: str) -> dict:
    m = deploy_mission(load_mission(MISSION, {"seed": seed, "duration_s": seconds}), "ardrone", None)
    with contextlib.ExitStack() as stack:
        if where == "process":
            target = stack.enter_context(_emulator_process(seed))
            m = m.model_copy(update={"embodiment": m.embodiment.model_validate(
                {**m.embodiment.model_dump(mode="json"), **target})})
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        res = fly(m, tmp)
    link = res.metrics.get("link", {})
    out = {"seed": seed, "emulator": where, "status": res.status, "distance_m": res.metrics["distance_flown_m"],
           "collisions": res.metrics["collisions"], **{k: link.get(k) for k in (
               "at_period_ms_median", "at_jitter_ms_median", "at_jitter_ms_p99", "at_ticks", "nav_ok",
               "video_frames", "watchdog_resets")}}
    log.info("ardrone mission: %s", out)
    return out


def run(n_missions: int = 3, seconds: float = 30.0) -> dict:
    missions = [_mission(seed, seconds, where) for seed in range(n_missions) for where in ("in-process", "process")]
    parse, parse_all = median_rate(navdata_parse_rate, 5)
    dec_small, au_small = video_decode_rate(256, 144)
    dec_360p, au_360p = video_decode_rate(640, 360)
    figures = {
        "missions": missions,
        **{f"at_jitter_ms_p99_{w}_median": statistics.median(m["at_jitter_ms_p99"] for m in missions
                                                               if m["emulator"] == w) for w in ("in-process", "process")},
        **{f"at_jitter_ms_p99_{w}_worst": max(m["at_jitter_ms_p99"] for m in missions if m["emulator"] == w)
           for w in ("in-process", "process")},
        "navdata_packets_per_s_median": round(parse),
        "navdata_packets_per_s_all": [round(x) for x in parse_all],
        "video_decode_fps_256x144": round(dec_small, 1), "video_bytes_per_frame_256x144": round(au_small),
        "video_decode_fps_640x360": round(dec_360p, 1), "video_bytes_per_frame_640x360": round(au_360p),
    }
    rows = "\n".join(f"| {m['seed']} | {m['emulator']} | {m['status']} | {m['distance_m']:.1f} | {m['collisions']} | "
                     f"{m['at_period_ms_median']:.2f} | {m['at_jitter_ms_median']:.3f} | {m['at_jitter_ms_p99']:.2f} | "
                     f"{m['nav_ok']} | {m['video_frames']} | {m['watchdog_resets']} |" for m in missions)
    md = f"""## AR.Drone 2.0 bridge

Emulated missions: `plansight deploy launch/missions/ardrone_room.yaml` ({seconds:g} s after take-off, mono depth
network + avoidance, H.264 video at 256×144/15 fps), against the emulator in the same process (the
worst case: it renders, encodes and steps physics in the interpreter the AT thread runs in) and in its
own process (`plansight emulate ardrone`, as a real drone is its own machine). AT loop at 30 Hz;
jitter = |period − 33.33 ms|, in flight (take-off done to landing start).

| room seed | emulator | status | distance m | collisions | AT period median ms | jitter median ms | jitter p99 ms | navdata packets | video frames decoded | watchdog resets |
|---|---|---|---|---|---|---|---|---|---|---|
{rows}

| figure | value | target |
|---|---|---|
| AT jitter p99, emulator in its own process (median over missions / worst) | {figures['at_jitter_ms_p99_process_median']:.2f} / {figures['at_jitter_ms_p99_process_worst']:.2f} ms | ≤ 3 ms |
| AT jitter p99, emulator in-process (median over missions / worst) | {figures['at_jitter_ms_p99_in-process_median']:.2f} / {figures['at_jitter_ms_p99_in-process_worst']:.2f} ms | ≤ 3 ms |
| navdata parse rate (500-byte demo packet, median of 5) | {parse / 1000:.0f} k packets/s | ≥ 100 k/s |
| H.264 decode 256×144 (emulator stream) | {dec_small:.0f} frames/s ({au_small / 1000:.1f} kB/frame) | |
| H.264 decode 640×360 (AR.Drone 2.0 default stream size) | {dec_360p:.0f} frames/s ({au_360p / 1000:.1f} kB/frame) | ≥ 30 (real stream) |
"""
    record("ardrone", figures, md)
    return figures
