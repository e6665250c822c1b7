"""Arm missions end to end: the run folder of `plansight run`, a planner plugged in from a test module through
eval metaworld and a mission file, and the episode rules (success then 10 steps, no exception)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import av
import pytest
import yaml

from plansight.launch import registry
from plansight.launch.arm_runner import EXTRA_STEPS, ArmEpisode, ArmParts, run_arm_episode
from plansight.launch.mission import load_mission

REPO = Path(__file__).resolve().parents[2]
MISSION = REPO / "launch" / "missions" / "metaworld_door_open.yaml"


@pytest.fixture(scope="module")
def door_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "run", str(MISSION), "--runs-dir", str(out),
                        "--quiet"], capture_output=True, text=True, timeout=600, cwd=out)
    (run_dir,) = out.iterdir()
    return r, run_dir


def test_run_writes_the_whole_arm_run_folder(door_run):
    r, run_dir = door_run
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    names = {p.name for p in run_dir.iterdir()}
    assert {"mission.yaml", "metrics.json", "events.jsonl", "episode.mp4", "hand.png", "report.html"} <= names
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["success"] is True and metrics["steps"] == metrics["success_step"] + EXTRA_STEPS
    assert yaml.safe_load((run_dir / "mission.yaml").read_text())["embodiment"]["task"] == "door-open"
    kinds = [json.loads(line)["kind"] for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert kinds[0] == "plan" and kinds.count("success") == 1 and metrics["events"]["plan"] == 1


def test_the_report_references_every_file_and_the_video_decodes(door_run):
    _, run_dir = door_run
    page = (run_dir / "report.html").read_text()
    refs = set(re.findall(r'(?:src|href)="([^"]+)"', page))
    assert {"mission.yaml", "metrics.json", "events.jsonl", "episode.mp4", "episode.png", "hand.png"} <= refs
    assert all((run_dir / ref).is_file() for ref in refs)
    assert '<video src="episode.mp4"' in page and "<h2>Events</h2>" in page
    with av.open(str(run_dir / "episode.mp4")) as c:
        frames = list(c.decode(video=0))
    steps = json.loads((run_dir / "metrics.json").read_text())["steps"]
    assert len(frames) == (steps + 1) // 2  # record.video_every: 2
    assert frames[0].width == 2 * 320 and frames[0].height > 240  # camera | plan, under a caption bar


@pytest.fixture
def still_planner():
    registry.register("planner", "still", "tests.launch.plugin_planner:StillPlanner.from_config",
                      "tests.launch.plugin_planner:StillConfig")
    yield
    del registry.REGISTRY["planner"]["still"]
    registry.register("planner", "oracle", registry.REGISTRY["planner"]["oracle"])  # bump the schema version


def test_a_planner_from_a_test_module_runs_through_eval_and_a_mission(still_planner, tmp_path):
    from plansight.launch.arm_mission import run_arm_mission
    from plansight.launch.eval_metaworld import EpisodeSpec, evaluate

    spec = EpisodeSpec("button-press", "corner", seed=101, replans=1, width=128, height=96, planner="still",
                       plan_frames=4, planner_opts=(("plan_frames", "3"),))
    (rec,) = evaluate([spec], tmp_path / "eval")
    assert rec["planner"] == "still" and "|still|" in rec["key"] and rec["error"] is None
    assert rec["plans"] == 2 and rec["steps"] == 500  # a still plan: the hand stalls at the object, replans once
    mission = tmp_path / "still.yaml"
    mission.write_text(yaml.safe_dump({
        "name": "still", "seed": 101, "replans": 0, "record": {"video": False},
        "embodiment": {"type": "metaworld_arm", "task": "button-press", "width": 128, "height": 96, "max_steps": 60},
        "planner": {"type": "still", "plan_frames": 3}}))
    result = run_arm_mission(load_mission(mission), tmp_path / "runs")
    assert result.ok and result.metrics["planner"] == "still" and result.metrics["steps"] == 60
    assert result.metrics["plans"] == 1 and not result.metrics["success"]


class _CrashAfterSuccess:
    """The scripted expert, raising 3 steps after the task's success flag."""

    def __init__(self, arm):
        from plansight.sim.metaworld.expert import ExpertArmPolicy

        self.arm, self.inner, self.after = arm, ExpertArmPolicy(), None

    def reset(self, obs, task, camera):
        self.inner.reset(obs, task, camera)

    def act(self, obs):
        if self.arm.success and self.after is None:
            self.after = self.arm.step_count
        if self.after is not None and self.arm.step_count >= self.after + 3:
            raise RuntimeError("lost the arm")
        return self.inner.act(obs)


def test_a_crash_after_success_is_a_failure(monkeypatch):
    from plansight.sim.metaworld.arm_sim import MetaWorldArm
    from plansight.sim.metaworld.config_expert import ExpertPolicyConfig
    from plansight.sim.metaworld.config_metaworld import make_config

    arm = MetaWorldArm(make_config(task="button-press", cameras=("corner",), width=64, height=48))
    episode = ArmEpisode("button-press", "corner", seed=100, replans=0)
    try:
        ok = run_arm_episode(arm, episode, ArmParts(arm_policy=ExpertPolicyConfig()))
        assert ok.success and ok.error is None and ok.steps == ok.success_step + EXTRA_STEPS
        monkeypatch.setattr(registry, "resolve", lambda slot, name: (lambda cfg, a: _CrashAfterSuccess(a)))
        crashed = run_arm_episode(arm, episode, ArmParts(arm_policy=ExpertPolicyConfig()))
    finally:
        arm.close()
    assert crashed.success_step == ok.success_step and "lost the arm" in crashed.error
    assert not crashed.success and crashed.steps == crashed.success_step + 3


def test_arm_mission_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    raw = yaml.safe_load(MISSION.read_text())
    raw["planner"] = {"type": "sora"}
    bad.write_text(yaml.safe_dump(raw))
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "validate", str(bad)], capture_output=True,
                       text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr + r.stdout
    assert "planner.type: unknown type 'sora'" in " ".join((r.stdout + r.stderr).split())
    raw["planner"] = {"type": "oracle"}
    raw["arm_policy"] = {"type": "expert"}
    bad.write_text(yaml.safe_dump(raw))
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "run", str(bad), "--duration", "3"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 2 and "not both" in " ".join((r.stdout + r.stderr).split())


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no headless Chromium (apt-get install chromium)")
def test_the_report_plays_its_video_in_headless_chromium(door_run, tmp_path):
    _, run_dir = door_run
    probe = run_dir / "probe.html"
    probe.write_text("<video id=v src='episode.mp4' muted></video><div id=out>pending</div><script>"
                     "const v=document.getElementById('v');v.addEventListener('loadeddata',()=>{"
                     "document.getElementById('out').textContent='decoded '+v.videoWidth+'x'+v.videoHeight});"
                     "v.addEventListener('error',()=>{document.getElementById('out').textContent='error'});"
                     "v.load();</script>")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    dom = subprocess.run(["chromium", *flags, "--dump-dom", probe.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert "decoded 640x" in dom
    page = subprocess.run(["chromium", *flags, "--dump-dom", (run_dir / "report.html").as_uri()],
                          capture_output=True, text=True, timeout=120).stdout
    assert '<video src="episode.mp4"' in page and "Events" in page


def test_report_written_again_matches_the_runs_own(door_run, tmp_path):
    import shutil

    from plansight.launch.report_run import report_run

    _, run_dir = door_run
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    before = set(re.findall(r'(?:src|href)="([^"]+)"', (copy / "report.html").read_text()))
    (copy / "report.html").unlink()
    r = report_run(copy)
    page = (copy / "report.html").read_text()
    assert not r.interrupted and r.status == "completed" and r.recovered["video_frames_playable"] > 0
    assert set(re.findall(r'(?:src|href)="([^"]+)"', page)) == before
    assert "Hand position over time" in page and "<h2>Events</h2>" in page
