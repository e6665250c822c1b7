"""Goal missions: one file for three targets, one-line errors, and the expert reaching a goal end to end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from plansight.launch.mission import MissionError, load_mission

REPO = Path(__file__).resolve().parents[2]
MISSIONS = REPO / "launch" / "missions"


@pytest.mark.parametrize("target", ["mujoco_drone", "airsim", "ardrone"])
def test_the_same_goal_mission_validates_for_all_three_targets(target):
    m = load_mission(MISSIONS / "drone_goal_mono.yaml", sets=[f"embodiment.type={target}"])
    assert m.embodiment.type == target and m.task.goal == "magenta_panel"
    assert m.embodiment.landmark_names == ("magenta_panel",)  # the ardrone's room is its emulator's
    for name in ("ardrone_goal", "airsim_goal"):
        assert load_mission(name).task == m.task


def test_goal_errors_are_one_line():
    with pytest.raises(MissionError) as e:
        load_mission(MISSIONS / "drone_goal_mono.yaml", sets=["task.goal=yellow_box"])
    assert "not a landmark" in str(e.value) and "magenta_panel" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(MissionError, match="give the mission a task"):
        load_mission(MISSIONS / "drone_goal_mono.yaml", sets=["task=null"])
    with pytest.raises(MissionError, match="room: only the emulator"):
        load_mission(MISSIONS / "ardrone_goal.yaml", sets=["embodiment.host=192.168.1.1"])
    assert load_mission(MISSIONS / "drone_goal_mono.yaml", sets=["task=null", "policy={type: avoidance}"]).task is None


def test_expert_reaches_the_goal_and_the_run_says_so(tmp_path):
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "run", "drone_goal_expert", "--seed", "500",
                        "--runs-dir", str(tmp_path), "--quiet", "--set", "record.video=false"],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (run,) = tmp_path.iterdir()
    m = json.loads((run / "metrics.json").read_text())
    assert m["success"] is True and m["goal_reached"] is True and m["collisions"] == 0
    assert m["final_distance_m"] <= 0.5 and 0 < m["time_to_goal_s"] < 20
    assert 0.9 <= m["path_ratio"] < 1.3  # pure pursuit cuts the planned corners a little
    assert m["shortest_path_m"] > 1.0 and m["overrides"] == 0
    assert m["flight_time_s"] < 20  # the mission stopped at the goal instead of flying its 40 s
    kinds = [json.loads(line)["kind"] for line in (run / "events.jsonl").read_text().splitlines()]
    assert "goal_reached" in kinds and kinds[-1] == "landed"
