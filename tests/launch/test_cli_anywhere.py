"""The CLI from a folder outside the repository: bundled missions and models by name, --set, show-config,
--version, output that survives pipes, and eval tables with counts, intervals and the protocol's extent."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def cli(*args: str, cwd) -> subprocess.CompletedProcess:
    """``plansight ARGS`` run from ``cwd`` with stdout and stderr piped (not a terminal)."""
    return subprocess.run([sys.executable, "-m", "plansight.launch.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_version_and_bundled_missions_by_name(tmp_path):
    r = cli("--version", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("plansight 0.")
    r = cli("missions", cwd=tmp_path)
    assert r.returncode == 0
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in r.stdout.splitlines()
            if line.count("│") >= 3}
    assert rows["drone_room_stereo"] == "drone" and rows["metaworld_door_open"] == "arm"
    r = cli("validate", "drone_room_stereo", cwd=tmp_path)
    assert r.returncode == 0 and "ok: drone_room_stereo (drone_room_stereo, mujoco_drone, 60 s)" in r.stdout


def test_show_config_with_set_overrides(tmp_path):
    import yaml

    r = cli("show-config", "metaworld_door_open", "--set", "replans=2", "--set", "executor.fit.motion=rigid",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    m = yaml.safe_load(r.stdout)
    assert m["replans"] == 2 and m["executor"]["fit"]["motion"] == "rigid"
    assert m["executor"]["controller"]["gain"] == 20.0  # every default written out


@pytest.mark.parametrize(("sets", "needle"), [
    (["safety"], "--set: expected KEY.PATH=VALUE"),
    (["seed.x=1"], "--set seed.x: seed is not a mapping"),
    (["safety.max_speed_xy_mps=abc"], "safety.max_speed_xy_mps: Input should be a valid number"),
    (["embodiment.room.n_pols=3"], "embodiment.room.n_pols: unknown key; allowed keys here:"),
])
def test_set_errors_are_one_line(tmp_path, sets, needle):
    args = [a for s in sets for a in ("--set", s)]
    r = cli("validate", "drone_room_stereo", *args, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], r.stderr


def test_builtin_models_by_name(tmp_path):
    r = cli("eval-depth", "--checkpoint", "builtin:nope", cwd=tmp_path)
    assert r.returncode == 2 and "builtin:video_mw_64x48, builtin:mono_depth_room" in r.stderr
    assert "builtin:rl_waypoint_ppo" in r.stderr
    r = cli("plan", "--task", "door-open", "--checkpoint", "builtin:video_mw_64x48", "--res", "128x96",
            "--out", str(tmp_path / "plan"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "plan" / "plan.json").read_text())["task"] == "door-open"


def test_piped_output_does_not_wrap_long_paths(tmp_path):
    deep = tmp_path / ("a-rather-long-folder-name-" * 4)
    deep.mkdir()
    mission = deep / "mission_with_a_long_name.yaml"
    r = cli("show-config", "drone_room_stereo", cwd=tmp_path)
    mission.write_text(r.stdout)
    r = cli("validate", str(mission), cwd=tmp_path)
    assert r.returncode == 0 and f"ok: {mission} (drone_room_stereo" in r.stdout.splitlines()[0]


def _records(seeds, tasks=None, cams=("corner", "corner2", "corner3"), replans=0):
    from plansight.sim.metaworld.tasks import TASKS

    return [{"task": t, "camera": c, "seed": s, "replans": replans, "success": (s + len(t)) % 3 != 0, "plans": 1,
             "seconds": 1.0, "timing": {}} for t in (tasks or TASKS) for c in cams for s in seeds]


def test_eval_table_gives_counts_intervals_and_the_protocols_extent():
    from plansight.launch.eval_metaworld import AVDC_OVERALL, markdown_table, summarize

    full = summarize(_records(range(25)))
    assert full["replans_0"]["protocol_complete"]
    table = markdown_table(full)
    overall = table.splitlines()[-1]
    k = full["replans_0"]["successes"]
    assert f"({k}/825, " in overall and f"{AVDC_OVERALL[0]:.1f}%" in overall and "partial" not in overall
    door = next(line for line in table.splitlines() if line.startswith("| door-open |"))
    assert "/75, " in door  # 25 seeds × 3 cameras, with its interval
    part = markdown_table(summarize(_records(range(100, 102))))
    overall = part.splitlines()[-1]
    assert "partial: 66 of 825 episodes" in overall and f"{AVDC_OVERALL[0]:.1f}%" not in overall
    # the right count on the wrong seeds is not the protocol either
    assert not summarize(_records(range(1, 26)))["replans_0"]["protocol_complete"]


def test_wilson_interval():
    from plansight.agent.shared.stats import rate_text, wilson

    lo, hi = wilson(789, 825)
    assert 0.94 < lo < 0.945 and 0.968 < hi < 0.972
    assert wilson(0, 0) == (0.0, 1.0) and wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert rate_text(1, 2) == "50.0 % (1/2, 9.5–90.5)"


def test_piped_help_shows_whole_defaults(tmp_path):
    r = cli("eval", "metaworld", "--help", cwd=tmp_path)
    assert r.returncode == 0 and "[default: corner,corner2,corner3]" in r.stdout


@pytest.mark.parametrize(("value", "needle"), [
    ("executor.fit.motion=bogus", "executor field fit.motion: Input should be 'translation', 'rigid' or 'yaw'"),
    ("foo=1", "--set: expected executor.PATH=VALUE or planner.FIELD=VALUE"),
    ("planner.horizon=abc", "planner oracle: horizon"),
])
def test_eval_takes_set_like_a_mission_file(tmp_path, value, needle):
    r = cli("eval", "metaworld", "--seeds", "100-100", "--tasks", "door-open", "--set", value, cwd=tmp_path)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == 2 and len(lines) == 1 and needle in lines[0], r.stderr


def test_report_refuses_what_is_not_a_run_folder(tmp_path):
    import subprocess
    import sys

    for target in (tmp_path / "missing", tmp_path):
        r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "report", str(target)], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert ("not a directory" if target != tmp_path else "not a run folder") in r.stderr
