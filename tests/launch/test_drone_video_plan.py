"""The learned drone planner end to end: expert flights to the goal → video clips → a (tiny) model trained by the
arm planner's training code → RGB-D plans from the model alone → a mission flying them."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from plansight.agent.contracts import DepthEstimate, Goal
from plansight.agent.learning.video_clips import VideoClipDataset, VideoDataError
from plansight.agent.planning.config_video import TrainVideoConfig
from plansight.agent.planning.drone_video_planner import LearnedDronePlanConfig, LearnedDronePlanner
from plansight.launch.collect_drone import collect_drone
from plansight.launch.mission import load_mission
from plansight.launch.registry import build

REPO = Path(__file__).resolve().parents[2]
TINY = {"height": 24, "width": 32, "n_future": 2, "block_out_channels": [8, 16], "attention_levels": 0,
        "norm_num_groups": 4, "task_embed_dim": 16, "depth": True, "depth_near_m": 0.2, "depth_far_m": 7.0}


@pytest.fixture(scope="module")
def flights(tmp_path_factory):
    out = tmp_path_factory.mktemp("drone_goals")
    summary = collect_drone(out, [0, 1])
    assert summary["rooms"] == 2 and summary["successes"] == 2
    return out


@pytest.fixture(scope="module")
def model(flights, tmp_path_factory):
    from plansight.agent.learning.train_video import train_video

    out = tmp_path_factory.mktemp("video_drone")
    cfg = TrainVideoConfig.model_validate({"model": TINY, "diffusion": {"train_timesteps": 20, "sample_steps": 2},
                                           "steps": 3, "batch_size": 2, "save_every": 3, "sample_every": 100,
                                           "random_crop": False, "frame_stride": 2})
    summary = train_video([flights], out, cfg)
    assert summary["steps"] == 3
    return out / "model"


def test_collected_flights_are_flight_logs_with_their_task_and_read_as_strided_clips(flights):
    import h5py

    with h5py.File(sorted(flights.glob("*.h5"))[0]) as f:
        assert f.attrs["format"] == "plansight-flight-log-v1" and f.attrs["task"] == "magenta_panel"
        assert f.attrs["success"] and f.attrs["t_reached_s"] > f.attrs["t_takeoff_s"] > 0
        t = f["t"][:]
        assert np.allclose(np.diff(t), 0.1) and {"left", "gt_depth", "stereo_depth", "state"} <= set(f)
    data = VideoClipDataset([flights], 48, 64, 2, depth=True, random_crop=False, frame_stride=2)
    assert len(data) == 2 and data.tasks == ("magenta_panel",)
    c = data.clip(0, np.random.default_rng(0))
    assert c.first.shape == (48, 64, 3) and c.future.shape == (2, 48, 64, 3) and c.future_depth.shape == (2, 48, 64)
    assert np.isfinite(c.first_depth).all() and c.first_depth.min() > 0
    data.close()
    with pytest.raises(ValueError, match="tuning .* or held-out"):
        collect_drone(flights, [505])
    (flights.parent / "empty").mkdir(exist_ok=True)
    with pytest.raises(VideoDataError, match="no flight logs"):
        VideoClipDataset([flights.parent / "empty"], 48, 64, 2)


def test_learned_plans_come_from_the_model_alone(model):
    m = load_mission("drone_goal_video_plan", sets=[f"planner.checkpoint={model}"])
    emb = build("embodiment", m.embodiment)
    try:
        obs = emb.reset(500)
        cam = emb.cameras["left"]
        planner = build("drone_planner", m.planner, cam)
        assert isinstance(planner, LearnedDronePlanner) and planner.camera.width == 32
        assert planner.camera.fx == pytest.approx(cam.fx / 4)
        from plansight.launch.goal_task import make_goal

        planner.set_goal(make_goal(m.task, obs.info["room"]))
        obs = emb.observe()
        depth = DepthEstimate("left", np.full((96, 128), 2.0, np.float32), np.ones((96, 128), bool))
        plan = planner.plan(obs, depth)
        assert plan.object_poses is None  # nothing privileged: no true poses
        assert plan.frames.shape == (3, 24, 32, 3) and plan.depth.shape == (3, 24, 32)
        assert np.allclose(plan.depth[0], 2.0)  # frame 0's depth is the observed estimate, the rest the model's
        assert not np.allclose(plan.depth[1:], 2.0) and np.isfinite(plan.depth).all()
        assert planner.timings["sample"] > 0
    finally:
        emb.close()
    other = Goal(name="cyan_box", centre=np.zeros(3), approach=np.zeros(3), colour=(0.0, 1.0, 1.0), radius_m=0.5)
    with pytest.raises(ValueError, match="trained on magenta_panel"):
        LearnedDronePlanner(LearnedDronePlanConfig(checkpoint=str(model)), cam).set_goal(other)


def test_a_mission_flies_the_learned_plans(model, tmp_path):
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "run", "drone_goal_video_plan", "--seed", "500",
                        "--runs-dir", str(tmp_path), "--quiet", "--set", f"planner.checkpoint={model}",
                        "--set", "duration_s=8", "--set", "record.video=false"],
                       capture_output=True, text=True, cwd=REPO, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (run,) = tmp_path.iterdir()
    m = json.loads((run / "metrics.json").read_text())
    assert m["plans"] >= 5 and m["ego_motion_steps_scored"] == 0  # a learned plan has no true poses to score
    assert m["plan_latency_ms"] > 0 and "success" in m
