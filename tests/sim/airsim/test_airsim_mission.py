"""Missions through the AirSim adapter: the room mission against the loopback server, and a server that dies."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from plansight.launch.mission import Mission, load_mission
from plansight.launch.runner import fly

ROOT = Path(__file__).resolve().parents[3]
MISSIONS = ROOT / "launch" / "missions"


def test_airsim_room_mission_matches_the_mujoco_mission(tmp_path):
    """`airsim_room.yaml` (adapter → msgpack-rpc → server subprocess → MuJoCo) flies the same 3 s as
    `drone_room_stereo.yaml` (MuJoCo directly): the frames, commands and images all convert correctly."""
    through_airsim = fly(load_mission(MISSIONS / "airsim_room.yaml", {"duration_s": 3.0}), tmp_path)
    direct = fly(load_mission(MISSIONS / "drone_room_stereo.yaml", {"duration_s": 3.0}), tmp_path)
    assert through_airsim.status == "completed", through_airsim.status
    a, d = through_airsim.metrics, direct.metrics
    assert a["distance_flown_m"] > 0.5
    assert a["distance_flown_m"] == pytest.approx(d["distance_flown_m"], abs=0.03)
    assert a["flight_time_s"] == pytest.approx(3.0, abs=0.05)
    assert a["collisions"] == d["collisions"] == 0
    assert a["stereo_depth_abs_rel"] == pytest.approx(d["stereo_depth_abs_rel"], abs=0.01)  # GT depth came through
    assert a["events"]["takeoff"] == 1 and a["events"]["landed"] == 1
    run = through_airsim.run_dir
    for f in ("mission.yaml", "metrics.json", "events.jsonl", "flight.mp4", "trajectory.png", "report.html",
              "room.json"):
        assert (run / f).is_file(), f
    room_a, room_d = (json.loads((r / "room.json").read_text()) for r in (run, direct.run_dir))
    assert [o["kind"] for o in room_a["obstacles"]] == [o["kind"] for o in room_d["obstacles"]]
    assert [c for o in room_a["obstacles"] for c in (o["x"], o["y"])] == pytest.approx(  # float32 on the wire
        [c for o in room_d["obstacles"] for c in (o["x"], o["y"])], abs=1e-5)


@pytest.fixture
def server_process():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "plansight.sim.airsim.server", "--port", "0",
                             "--log-level", "WARNING"],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    line = proc.stdout.readline()
    assert line.startswith("listening on "), line
    yield proc, int(line.rsplit(":", 1)[1])
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)
    proc.stdout.close()


def test_server_killed_mid_mission_stops_safely_and_keeps_the_run_folder(tmp_path, server_process):
    proc, port = server_process
    raw = yaml.safe_load((MISSIONS / "airsim_room.yaml").read_text())
    raw["duration_s"] = 10.0
    raw["embodiment"].update(spawn_server="none", port=port, timeout_s=5.0, reconnect_attempts=2)
    mission = Mission.model_validate(raw)
    steps: list[int] = []

    def on_step(k: int, n: int, info: dict) -> None:
        steps.append(k)
        if k == 40:
            proc.kill()  # the simulator dies mid-flight

    result = fly(mission, tmp_path, on_step=on_step)
    assert 40 <= steps[-1] < 100  # it stopped soon after the kill, not at the end of 10 s (500 steps)
    assert result.status.startswith("aborted: AirSimConnectionError")
    assert f"127.0.0.1:{port}" in result.status
    run = result.run_dir
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == result.status and metrics["distance_flown_m"] > 0.0
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    faults = [e for e in events if e["kind"] == "fault"]
    assert len(faults) == 1 and "AirSimConnectionError" in faults[0]["status"]
    assert any(e["kind"] == "takeoff" for e in events)
    for f in ("mission.yaml", "trajectory.png", "report.html", "flight.mp4"):
        assert (run / f).is_file(), f


def test_stalled_server_mid_mission_times_out_and_stops_within_seconds(tmp_path, server_process):
    """SIGSTOP: the server still holds its socket but never answers (a hung simulator)."""
    proc, port = server_process
    raw = yaml.safe_load((MISSIONS / "airsim_room.yaml").read_text())
    raw["duration_s"] = 10.0
    raw["embodiment"].update(spawn_server="none", port=port, timeout_s=1.0, reconnect_attempts=1)
    stopped_at: list[float] = []

    def on_step(k: int, n: int, info: dict) -> None:
        if k == 30:
            os.kill(proc.pid, signal.SIGSTOP)
            stopped_at.append(time.perf_counter())

    try:
        result = fly(Mission.model_validate(raw), tmp_path, on_step=on_step)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    assert time.perf_counter() - stopped_at[0] < 15.0  # act, hover, land, disarm, final read: ~1 s each
    assert result.status.startswith("aborted: AirSimTimeoutError")
    assert f"no answer from the AirSim server at 127.0.0.1:{port}" in result.status
    assert json.loads((result.run_dir / "metrics.json").read_text())["status"] == result.status


def test_no_server_at_start_is_a_clean_abort(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    raw = yaml.safe_load((MISSIONS / "airsim_room.yaml").read_text())
    raw["embodiment"].update(spawn_server="none", port=port, reconnect_attempts=1)
    result = fly(Mission.model_validate(raw), tmp_path)
    assert result.status.startswith("aborted: AirSimConnectionError: cannot reach an AirSim server at "
                                    f"127.0.0.1:{port}")
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["status"] == result.status
    assert (result.run_dir / "mission.yaml").is_file()
    assert "fault" in (result.run_dir / "events.jsonl").read_text()
