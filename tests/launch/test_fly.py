"""End to end: a short mission through the CLI produces every file of the run folder."""

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[2]
MISSION = REPO / "launch" / "missions" / "drone_room_stereo.yaml"


def test_short_mission_writes_the_whole_run_folder(tmp_path):
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "fly", str(MISSION), "--duration", "3",
                        "--runs-dir", str(tmp_path), "--seed", "2"],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (run,) = tmp_path.iterdir()
    assert run.name.startswith("drone_room_stereo-")
    for name in ("mission.yaml", "metrics.json", "events.jsonl", "flight.mp4", "trajectory.png",
                 "report.html", "room.json"):
        assert (run / name).stat().st_size > 0, name
    assert not list(run.glob(".*part"))  # no temporary files left behind

    resolved = yaml.safe_load((run / "mission.yaml").read_text())
    assert resolved["seed"] == 2 and resolved["duration_s"] == 3
    assert resolved["embodiment"]["quad"]["mass_kg"] > 0  # defaults are written out

    m = json.loads((run / "metrics.json").read_text())
    assert m["status"] == "completed"
    for key in ("distance_flown_m", "flight_time_s", "collisions", "mean_speed_mps", "stereo_depth_abs_rel",
                "stereo_depth_mae_m"):
        assert key in m and m[key] is not None, key
    assert m["flight_time_s"] == 3.0 and m["distance_flown_m"] > 0.3
    assert 0 < m["stereo_depth_abs_rel"] < 0.2

    kinds = [json.loads(line)["kind"] for line in (run / "events.jsonl").read_text().splitlines()]
    assert kinds[:3] == ["reset", "takeoff_started", "takeoff"] and kinds[-1] == "landed"

    with av.open(str(run / "flight.mp4")) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 3 * 50 // 2
    assert frames[0].shape == (96 * 3, 128 * 3 * 3, 3)
    assert np.std(frames[-1]) > 10  # real pictures, not blank frames

    png = (run / "trajectory.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "flight.mp4" in (run / "report.html").read_text()


def test_a_fault_mid_mission_lands_and_keeps_the_run_folder(tmp_path, monkeypatch):
    from plansight.agent.control import avoidance
    from plansight.launch.mission import load_mission
    from plansight.launch.runner import fly

    calls = {"n": 0}
    real_act = avoidance.ReactiveAvoidance.act

    def failing_act(self, obs, depth):
        calls["n"] += 1
        if calls["n"] == 40:
            raise RuntimeError("perception pipeline died")
        return real_act(self, obs, depth)

    monkeypatch.setattr(avoidance.ReactiveAvoidance, "act", failing_act)
    mission = load_mission(MISSION, {"duration_s": 5})
    result = fly(mission, tmp_path)
    assert not result.ok and "perception pipeline died" in result.status
    events = [json.loads(line) for line in (result.run_dir / "events.jsonl").read_text().splitlines()]
    kinds = [e["kind"] for e in events]
    assert "fault" in kinds and kinds[-1] == "landed"
    m = json.loads((result.run_dir / "metrics.json").read_text())
    assert m["status"].startswith("aborted") and m["collisions"] == 0
    assert (result.run_dir / "trajectory.png").exists() and (result.run_dir / "flight.mp4").exists()


def test_the_report_is_one_a_person_reads(tmp_path):
    """Panels named in the video heading, pictures inline (trajectory, time series, depth scale, learning curve,
    phase timeline), an events table, and a missing figure that says why instead of None."""
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "fly", "drone_room_persistent", "--duration", "2",
                        "--runs-dir", str(tmp_path), "--quiet"], capture_output=True, text=True, cwd=tmp_path,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (run,) = tmp_path.iterdir()
    page = (run / "report.html").read_text()
    assert "<h2>left camera | stereo depth | mono depth | ground-truth depth" in page
    for picture in ("trajectory.png", "timeseries.png", "depth_colorbar.png", "depth_learning_curve.png",
                    "phase_timeline.png"):
        assert f'<img src="{picture}"' in page and (run / picture).stat().st_size > 0, picture
    assert "<h2>Events</h2>" in page and "takeoff" in page
    m = json.loads((run / "metrics.json").read_text())
    assert m["mono_depth_abs_rel"] is None  # 2 s: the network has not learned yet, and the page says so
    assert "not available: mono depth had no valid pixel" in page and "optimiser steps in this run" in page
    assert "<td>None</td>" not in page.split("<h2>")[0]
