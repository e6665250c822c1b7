"""`plansight deploy`: the simulation mission, one line changed, flies the emulated AR.Drone end to end."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from plansight.launch.deploy import deploy_mission
from plansight.launch.mission import MissionError, load_mission

REPO = Path(__file__).resolve().parents[2]
MISSIONS = REPO / "launch" / "missions"


def test_ardrone_mission_is_the_sim_mission_with_one_line_changed():
    sim = (MISSIONS / "drone_room_mono.yaml").read_text().splitlines()
    hw = (MISSIONS / "ardrone_room.yaml").read_text().splitlines()
    diff = [(a, b) for a, b in zip(sim, hw, strict=True) if a != b]
    assert diff == [("  type: mujoco_drone", "  type: ardrone")]


def test_deploy_mission_swaps_the_embodiment_and_host():
    m = deploy_mission(load_mission(MISSIONS / "drone_room_mono.yaml"), "ardrone", "192.168.1.1")
    assert m.embodiment.type == "ardrone" and m.embodiment.host == "192.168.1.1"
    assert m.perception == load_mission(MISSIONS / "drone_room_mono.yaml").perception
    with pytest.raises(MissionError, match="unknown drone 'tello'; supported: ardrone"):
        deploy_mission(m, "tello", None)


def test_deploy_flies_the_emulated_drone_and_writes_the_run_folder(tmp_path):
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "deploy", str(MISSIONS / "ardrone_room.yaml"),
                        "--duration", "3", "--runs-dir", str(tmp_path), "--quiet"],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    (run,) = tmp_path.iterdir()
    for name in ("mission.yaml", "metrics.json", "events.jsonl", "flight.mp4", "trajectory.png", "report.html",
                 "room.json"):
        assert (run / name).stat().st_size > 0, name
    assert yaml.safe_load((run / "mission.yaml").read_text())["embodiment"]["type"] == "ardrone"
    m = json.loads((run / "metrics.json").read_text())
    assert m["status"] == "completed" and m["flight_time_s"] >= 2.9 and m["distance_flown_m"] > 0.3
    assert m.get("mono_depth_abs_rel") is None  # no ground-truth depth from a drone
    kinds = [json.loads(line)["kind"] for line in (run / "events.jsonl").read_text().splitlines()]
    assert "drone_state" in kinds and kinds.count("reset") == 1


def test_deploying_a_stereo_mission_is_refused_before_anything_starts(tmp_path):
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "deploy",
                        str(MISSIONS / "drone_room_stereo.yaml"),
                        "--duration", "2", "--runs-dir", str(tmp_path), "--quiet"],
                       capture_output=True, text=True, cwd=REPO, timeout=300, env={**os.environ, "COLUMNS": "300"})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "perception.camera 'left' does not exist on the ardrone embodiment (cameras: front)" in r.stderr
    assert not any(tmp_path.iterdir())  # refused by the schema: no run folder, no emulator, no take-off
    stereo_on_ardrone = tmp_path / "stereo_ardrone.yaml"
    raw = yaml.safe_load((MISSIONS / "drone_room_stereo.yaml").read_text())
    stereo_on_ardrone.write_text(yaml.safe_dump({**raw, "embodiment": {"type": "ardrone"}}))
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "validate", str(stereo_on_ardrone)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and "perception.camera 'left' does not exist on the ardrone embodiment" in r.stderr


def test_deploy_rejects_an_unknown_drone(tmp_path):
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "deploy", str(MISSIONS / "ardrone_room.yaml"),
                        "--drone", "tello", "--runs-dir", str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 2 and "unknown drone 'tello'" in r.stderr
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
