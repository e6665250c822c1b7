"""Video planner training (accelerate, EMA, resumable, save_pretrained) and the planner contract."""

import json

import h5py
import numpy as np
import pytest

from plansight.agent.contracts import Observation, VideoPlanner
from plansight.agent.learning.train_video import train_video
from plansight.agent.learning.video_clips import VideoClipDataset, VideoDataError
from plansight.agent.planning.config_video import DiffusionConfig, TrainVideoConfig, VideoModelConfig
from plansight.agent.planning.video_planner import DiffusionVideoPlanner, PlannerError

MODEL = VideoModelConfig(height=16, width=16, n_future=3, block_out_channels=(16, 32), attention_head_dim=8,
                         norm_num_groups=8, task_embed_dim=16)


def write_dataset(path, n_demos=4, steps=12, size=(24, 24)):
    """The documented robomimic-style layout with moving squares; demo 3 is a failed expert run."""
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        for i in range(n_demos):
            g = data.create_group(f"demo_{i}")
            g.attrs.update(task=["push-left", "push-right"][i % 2], seed=i, success=i != 3,
                           success_step=steps - 3 if i != 3 else -1, num_samples=steps)
            frames = np.zeros((steps, *size, 3), np.uint8)
            x0 = int(rng.integers(6, 12))
            for t in range(steps):
                x = x0 + (t if i % 2 else -t) // 2
                frames[t, 8:14, max(0, x):x + 6] = 255
            g.create_dataset("obs/corner_image", data=frames)


def test_clips_end_at_completion_and_skip_failed_demos(tmp_path):
    write_dataset(tmp_path / "d.h5")
    ds = VideoClipDataset(tmp_path / "d.h5", 16, 16, 3, random_crop=False)
    assert len(ds) == 3 and ds.tasks == ("push-left", "push-right")
    clip = ds.clip(0, np.random.default_rng(0))
    assert clip.first.shape == (16, 16, 3) and clip.future.shape == (3, 16, 16, 3) and clip.task == "push-left"
    assert clip.first_depth is None and clip.future_depth is None
    with pytest.raises(VideoDataError, match="dataset not found"):
        VideoClipDataset(tmp_path / "missing.h5", 16, 16, 3)


def test_train_resume_save_and_plan(tmp_path):
    write_dataset(tmp_path / "d.h5")
    cfg = TrainVideoConfig(model=MODEL, diffusion=DiffusionConfig(sample_steps=2), steps=4, batch_size=2,
                           save_every=2, sample_every=4, ema_every=1, learning_rate=1e-3)
    out = tmp_path / "run"
    first = train_video(tmp_path / "d.h5", out, cfg)
    assert first["steps"] == 4 and np.isfinite(first["last_loss"])
    meta = json.loads((out / "model" / "plansight_train.json").read_text())
    assert meta["step"] == 4 and len(meta["data_sha256"]) == 64
    assert (out / "model" / "diffusion_pytorch_model.safetensors").is_file()
    assert (out / "samples" / "step_000004.gif").read_bytes()[:6] == b"GIF89a"
    assert list((out / "logs").rglob("events.out.tfevents.*"))
    saved_wall = json.loads((out / "state" / "step.json").read_text())["wall_time_s"]  # the first sitting, as saved
    resumed = train_video(tmp_path / "d.h5", out, cfg.model_copy(update={"steps": 6}), resume=True)
    assert resumed["steps"] == 6
    # the cost of both sittings: the saved first one plus this one (the first's summary also counts its time after
    # the last save, so comparing with it was flaky when the second sitting ran fast)
    assert resumed["wall_time_s"] >= saved_wall > 0
    assert json.loads((out / "model" / "plansight_train.json").read_text())["step"] == 6

    planner = DiffusionVideoPlanner(out / "model")
    assert isinstance(planner, VideoPlanner)
    img = np.zeros((48, 48, 3), np.uint8)
    obs = Observation(t=0.0, images={"corner": img}, state=np.zeros(39))
    plans = planner.plan(obs, "push-right", "corner", n=3, seed=5)
    assert len(plans) == 3 and plans[0].frames.shape == (4, 48, 48, 3) and plans[0].frames.dtype == np.uint8
    assert np.array_equal(plans[0].frames[0], img)
    again = planner.plan(obs, "push-right", "corner", n=3, seed=5)
    assert all(np.array_equal(a.frames, b.frames) for a, b in zip(plans, again, strict=True))
    assert not np.array_equal(plans[0].frames, plans[1].frames)  # candidates differ within a batch

    with pytest.raises(PlannerError, match="unknown task 'door-open'"):
        planner.plan(obs, "door-open", "corner")
    with pytest.raises(PlannerError, match="aspect ratios differ"):
        planner.plan(Observation(0.0, {"corner": np.zeros((48, 64, 3), np.uint8)}, np.zeros(39)), "push-left",
                     "corner")
    with pytest.raises(PlannerError, match="no video model here"):
        DiffusionVideoPlanner(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        train_video(tmp_path / "d.h5", tmp_path / "fresh", cfg, resume=True)


def test_finetune_starts_from_the_init_model_and_keeps_its_objective(tmp_path):
    """``init``: the run starts from that model's weights (its architecture replaces ``model``), and a different
    training objective is refused in one line."""
    import torch

    from plansight.agent.planning.video_model import VideoPlanNet

    write_dataset(tmp_path / "d.h5")
    diff = DiffusionConfig(sample_steps=2, train_timesteps=50)
    base = TrainVideoConfig(model=MODEL, diffusion=diff, steps=1, batch_size=2, save_every=1, sample_every=100)
    train_video(tmp_path / "d.h5", tmp_path / "base", base)
    init = str(tmp_path / "base" / "model")
    tune = TrainVideoConfig(model=VideoModelConfig(), diffusion=diff, steps=1, batch_size=2, save_every=1,
                            sample_every=100, init=init, learning_rate=1e-12)
    train_video(tmp_path / "d.h5", tmp_path / "tuned", tune)
    a = VideoPlanNet.from_pretrained(init).state_dict()
    b = VideoPlanNet.from_pretrained(tmp_path / "tuned" / "model").state_dict()
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)  # a 1e-12 step from init
    with pytest.raises(ValueError, match="train_timesteps=50"):
        train_video(tmp_path / "d.h5", tmp_path / "bad", tune.model_copy(update={"diffusion": DiffusionConfig()}))
