"""The video planner in the evaluation harness and `plansight plan`: a checkpoint through the executor, the
commands' outputs and their errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from plansight.agent.contracts import VideoPlanner
from plansight.agent.learning.video_quality import video_metrics
from plansight.agent.planning.config_video import DiffusionConfig
from plansight.agent.planning.video_model import VideoPlanNet
from plansight.agent.planning.video_planner import DiffusionVideoPlanner, PlannerError
from plansight.launch.cli import app
from plansight.launch.eval_metaworld import EpisodeSpec, run_episode
from plansight.launch.plan import DEFAULT_CHECKPOINT
from plansight.sim.metaworld.tasks import TASKS


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    """An untrained 32×24 model over two tasks, saved the way `plansight train video` saves one."""
    path = tmp_path_factory.mktemp("ckpt") / "model"
    net = VideoPlanNet(height=24, width=32, n_future=3, tasks=("button-press", "door-open"), block_out_channels=(8, 16),
                       attention_head_dim=8, norm_num_groups=4, task_embed_dim=8)
    net.save_pretrained(path)
    (path / "plansight_train.json").write_text(json.dumps({"diffusion": DiffusionConfig(
        train_timesteps=100, sample_steps=2, guidance_scale=1.0).model_dump(mode="json")}))
    return path


@pytest.fixture(scope="module")
def tiny_rgbd_checkpoint(tmp_path_factory):
    """An untrained RGB-D 32×24 model, saved the way `plansight train video` saves one."""
    path = tmp_path_factory.mktemp("ckpt_rgbd") / "model"
    net = VideoPlanNet(height=24, width=32, n_future=3, tasks=("button-press",), block_out_channels=(8, 16),
                       attention_head_dim=8, norm_num_groups=4, task_embed_dim=8, depth=True)
    net.save_pretrained(path)
    (path / "plansight_train.json").write_text(json.dumps({"diffusion": DiffusionConfig(
        train_timesteps=100, sample_steps=2, guidance_scale=1.0, residual=True).model_dump(mode="json")}))
    return path


def test_rgbd_planner_feeds_its_depth_to_the_executor(tiny_rgbd_checkpoint, monkeypatch):
    """The executor gets the learned plan's depth (and no object poses) inside a real Meta-World episode."""
    from plansight.agent.planning.executor import FlowPlanExecutor

    seen = []
    reset = FlowPlanExecutor.reset

    def spy(self, plan, obs):
        seen.append(plan)
        return reset(self, plan, obs)

    monkeypatch.setattr(FlowPlanExecutor, "reset", spy)
    spec = EpisodeSpec("button-press", "corner", seed=100, replans=0, width=128, height=96, planner="diffusion",
                       checkpoint=str(tiny_rgbd_checkpoint))
    rec = run_episode(spec)
    assert rec["plans"] == 1 and len(seen) == 1
    plan = seen[0]
    assert plan.object_poses is None and plan.depth.shape == (4, 96, 128) and np.isfinite(plan.depth).all()
    assert 0.2 <= plan.depth[1:].min() and plan.depth[1:].max() <= 5.0  # the model's code range, in metres


def cli(*args):
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, " ".join(res.output.split())


def test_diffusion_planner_runs_through_the_executor(tiny_checkpoint):
    assert isinstance(DiffusionVideoPlanner(tiny_checkpoint), VideoPlanner)
    spec = EpisodeSpec("button-press", "corner", seed=0, replans=1, width=128, height=96, planner="diffusion",
                       checkpoint=str(tiny_checkpoint))
    assert spec.key != EpisodeSpec("button-press", "corner", seed=0, replans=1, width=128, height=96).key
    rec = run_episode(spec)
    # an untrained model's plan may or may not give subgoals; either way the episode is played, scored by the
    # rules of the protocol, and the same seed plays it again step for step
    assert rec["plans"] >= 1 and rec["timing"]["sample"] > 0.0 and rec["timing"]["plan"] >= rec["timing"]["sample"]
    assert rec["plans"] <= 1 + spec.replans
    if rec["success"]:
        assert rec["error"] is None and rec["steps"] == rec["success_step"] + 10
    elif rec["error"] is None:
        assert rec["steps"] == 500
    assert rec["planner"] == "diffusion" and rec["checkpoint"] == str(tiny_checkpoint)
    again = run_episode(spec)
    assert [again[k] for k in ("success", "steps", "plans", "modes", "error")] == \
        [rec[k] for k in ("success", "steps", "plans", "modes", "error")]


def test_plan_command_writes_the_gif_next_to_the_observation(tiny_checkpoint, tmp_path):
    code, text = cli("plan", "--task", "door-open", "--camera", "corner2", "--candidates", "2", "--res", "128x96",
                     "--checkpoint", str(tiny_checkpoint), "--out", str(tmp_path))
    assert code == 0, text
    assert (tmp_path / "observation.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "plan.gif").read_bytes()[:6] == b"GIF89a"
    meta = json.loads((tmp_path / "plan.json").read_text())
    assert meta["frames"] == 4 and meta["candidates"] == 2 and meta["sample_steps"] == 2
    from PIL import Image

    gif = Image.open(tmp_path / "plan.gif")
    assert gif.size == (2 * 128, 96) and gif.n_frames == 4


@pytest.mark.parametrize("args, needle", [
    (["plan", "--task", "door-open", "--checkpoint", "/nonexistent"], "no video model here"),
    (["plan", "--task", "pour-tea"], "unknown task 'pour-tea'"),
    (["plan", "--task", "door-open", "--res", "320x320", "--checkpoint", "TINY"], "aspect ratios differ"),
    (["eval", "metaworld", "--planner", "diffusion"], "needs --checkpoint"),
    (["eval", "metaworld", "--planner", "diffusion", "--checkpoint", "/nonexistent"], "no video model here"),
])
def test_bad_planner_arguments(args, needle, tiny_checkpoint):
    args = [str(tiny_checkpoint) if a == "TINY" else a for a in args]
    code, text = cli(*args)
    assert code == 2 and needle in text and "Traceback" not in text


def test_eval_rejects_a_checkpoint_without_the_task(tiny_checkpoint):
    code, text = cli("eval", "metaworld", "--planner", "diffusion", "--checkpoint", str(tiny_checkpoint),
                     "--tasks", "hammer")
    assert code == 2 and "does not know hammer" in text
    with pytest.raises(PlannerError, match="unknown task 'hammer'"):
        DiffusionVideoPlanner(tiny_checkpoint).sample_frames(np.zeros((24, 32, 3), np.uint8), "hammer")


def test_video_metrics():
    rng = np.random.default_rng(0)
    real = rng.integers(0, 255, (3, 24, 32, 3), dtype=np.uint8)
    same = video_metrics(real, real)
    assert same["ssim"] == pytest.approx([1.0] * 3) and same["last_mse"] == 0.0 and np.isinf(same["psnr"][0])
    noisy = np.clip(real.astype(int) + rng.integers(-20, 21, real.shape), 0, 255).astype(np.uint8)
    m = video_metrics(noisy, real)
    assert all(20 < p < 40 for p in m["psnr"]) and all(s < 0.99 for s in m["ssim"]) and m["last_mse"] > 0
    with pytest.raises(ValueError, match="of one shape"):
        video_metrics(real[:2], real)


def test_shipped_checkpoint_plans_every_avdc_task():
    planner = DiffusionVideoPlanner(DEFAULT_CHECKPOINT)
    assert set(planner.tasks) == set(TASKS)
    c = planner.net.config
    assert c.width * 3 == c.height * 4  # Meta-World's 320×240 cameras
    first = np.full((c.height, c.width, 3), 128, np.uint8)
    a = planner.sample_frames(first, "door-open", n=2, seed=3)
    assert a.shape == (2, c.n_future, c.height, c.width, 3)
    assert np.array_equal(a, planner.sample_frames(first, "door-open", n=2, seed=3))
