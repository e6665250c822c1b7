"""The RGB-D video model (issue 18): the depth channel's shapes, code, learning, round trip, and that a learned
plan's depth comes from the model while nothing privileged leaves the planner."""

import cv2
import h5py
import numpy as np
import pytest
import torch

from plansight.agent.contracts import Observation
from plansight.agent.learning.train_video import clip_tensors, train_video
from plansight.agent.learning.video_clips import VideoClipDataset, VideoDataError, resize_depth_to, resize_to
from plansight.agent.planning.config_video import DiffusionConfig, TrainVideoConfig, VideoModelConfig
from plansight.agent.planning.depth_norm import decode_depth, encode_depth
from plansight.agent.planning.video_diffusion import VideoDiffusion, split_rgbd, to_rgbd_tensor
from plansight.agent.planning.video_model import VideoPlanNet
from plansight.agent.planning.video_planner import DiffusionVideoPlanner, PlannerError
from tests.agent.test_video_diffusion import loss_before_after

TINY = VideoModelConfig(height=16, width=16, n_future=3, tasks=("push-left", "push-right"),
                        block_out_channels=(16, 32), attention_head_dim=8, norm_num_groups=8, task_embed_dim=16,
                        depth=True, depth_near_m=0.2, depth_far_m=5.0)


def tiny_net(seed: int = 0) -> VideoPlanNet:
    torch.manual_seed(seed)
    return VideoPlanNet(**TINY.model_dump())


def square_scene(n: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A bright square on a wall at 2 m that moves 3 px per frame left or right by task and approaches the
    camera from 1.5 m by 0.2 m per frame."""
    rgb0 = np.zeros((n, 16, 16, 3), np.uint8)
    rgb = np.zeros((n, 3, 16, 16, 3), np.uint8)
    d0 = np.full((n, 16, 16), 2.0, np.float32)
    d = np.full((n, 3, 16, 16), 2.0, np.float32)
    tasks = rng.integers(0, 2, n)
    for i in range(n):
        x, y = rng.integers(5, 8), rng.integers(3, 10)
        rgb0[i, y:y + 4, x:x + 4] = 255
        d0[i, y:y + 4, x:x + 4] = 1.5
        for k in range(3):
            dx = (k + 1) * 3 * (1 if tasks[i] else -1)
            rgb[i, k, y:y + 4, x + dx:x + dx + 4] = 255
            d[i, k, y:y + 4, x + dx:x + dx + 4] = 1.5 - 0.2 * (k + 1)
    first = to_rgbd_tensor(rgb0, d0, 0.2, 5.0)
    future = to_rgbd_tensor(rgb, d, 0.2, 5.0).movedim(1, 2)
    return future, first, torch.from_numpy(tasks)


def test_depth_code_round_trip_and_range():
    d = np.array([0.05, 0.2, 0.5, 1.0, 2.5, 5.0, 9.0, np.nan, np.inf], np.float32)
    z = encode_depth(d, 0.2, 5.0)
    assert float(z.min()) == -1.0 and float(z.max()) == 1.0
    back = decode_depth(z, 0.2, 5.0).numpy()
    assert np.allclose(back[1:6], d[1:6], rtol=1e-5)  # inside the planes: exact to float precision
    assert back[0] == pytest.approx(0.2) and back[6] == pytest.approx(5.0) and back[7] == back[8] == pytest.approx(5.0)
    # log code: equal relative steps are equal code steps
    a, b = encode_depth(np.array([0.5, 1.0, 2.0, 4.0], np.float32), 0.2, 5.0).diff().numpy()[[0, 2]]
    assert a == pytest.approx(b, rel=1e-5)
    with pytest.raises(ValueError, match="near < far"):
        encode_depth(d, 2.0, 1.0)


def test_rgbd_shapes_and_split():
    net = tiny_net()
    assert net.channels == 4
    out = net(torch.randn(2, 4, 3, 16, 16), torch.tensor([3, 900]), torch.randn(2, 4, 16, 16), torch.tensor([0, 2]))
    assert out.shape == (2, 4, 3, 16, 16)
    with pytest.raises(ValueError, match="4 channels"):
        net(torch.randn(2, 3, 3, 16, 16), torch.tensor([3, 9]), torch.randn(2, 3, 16, 16), torch.tensor([0, 1]))
    rgb = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    depth = np.random.default_rng(1).uniform(0.3, 4.0, (2, 16, 16)).astype(np.float32)
    frames, d = split_rgbd(to_rgbd_tensor(rgb, depth, 0.2, 5.0), 0.2, 5.0)
    assert np.array_equal(frames, rgb) and d.shape == (2, 16, 16) and np.allclose(d, depth, rtol=1e-5)
    sample = VideoDiffusion(net, DiffusionConfig(sample_steps=2)).sample(torch.zeros(1, 4, 16, 16), torch.tensor([0]))
    assert sample.shape == (1, 4, 3, 16, 16)


def test_rgbd_loss_falls_on_a_tiny_set(measured):
    diff = VideoDiffusion(tiny_net(), DiffusionConfig(cond_dropout=0.1, residual=True))
    before, after = loss_before_after(diff, square_scene, np.random.default_rng(0))
    measured["RGB-D video diffusion tiny synthetic (residual), held-out loss before -> after 40 steps"] = \
        f"{before:.3f} -> {after:.3f}"
    assert after < 0.7 * before


def test_rgbd_save_load_round_trip(tmp_path):
    net = tiny_net(3)
    diff = VideoDiffusion(net, DiffusionConfig(sample_steps=3))
    first = torch.rand(2, 4, 16, 16) * 2 - 1
    ids = net.task_ids(["push-right", "push-left"])
    a = diff.sample(first, ids, torch.Generator().manual_seed(7))
    net.save_pretrained(tmp_path / "ckpt")
    loaded = VideoPlanNet.from_pretrained(tmp_path / "ckpt")
    assert loaded.config.depth and loaded.config.depth_far_m == 5.0
    b = VideoDiffusion(loaded, DiffusionConfig(sample_steps=3)).sample(first, ids, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


def write_rgbd_dataset(path, n_demos=4, steps=12, size=(24, 24)):
    """The documented layout with depth: a square at 1 m on a wall at 2 m."""
    with h5py.File(path, "w") as f:
        for i in range(n_demos):
            g = f.create_group(f"data/demo_{i}")
            g.attrs.update(task=["push-left", "push-right"][i % 2], seed=i, success=True, success_step=steps - 2,
                           num_samples=steps)
            frames = np.zeros((steps, *size, 3), np.uint8)
            depth = np.full((steps, *size), 2.0, np.float32)
            for t in range(steps):
                x = 8 + (t if i % 2 else -t) // 2
                frames[t, 8:14, max(0, x):x + 6] = 255
                depth[t, 8:14, max(0, x):x + 6] = 1.0
            g.create_dataset("obs/corner_image", data=frames)
            g.create_dataset("obs/corner_depth", data=depth)


def test_rgbd_clips_read_depth_balanced_over_files(tmp_path):
    write_rgbd_dataset(tmp_path / "a.h5")
    write_rgbd_dataset(tmp_path / "b.h5", n_demos=2)
    ds = VideoClipDataset([tmp_path / "a.h5", tmp_path / "b.h5"], 16, 16, 3, random_crop=False, depth=True)
    assert len(ds) == 6 and ds.tasks == ("push-left", "push-right")
    clip = ds.clip(0, np.random.default_rng(0))
    assert clip.first_depth.shape == (16, 16) and clip.future_depth.shape == (3, 16, 16)
    assert np.isclose(clip.first_depth.min(), 1.0, atol=0.35) and np.isclose(clip.first_depth.max(), 2.0)
    future, first = clip_tensors([clip], tiny_net())
    assert future.shape == (1, 4, 3, 16, 16) and first.shape == (1, 4, 16, 16)
    picks = [ds.index[ds.sample_index(np.random.default_rng(k))].task for k in range(200)]
    assert 70 < picks.count("push-left") < 130
    with h5py.File(tmp_path / "c.h5", "w") as f:  # an RGB-only dataset cannot train an RGB-D model
        f.create_group("data/demo_0").attrs.update(task="push-left", success=True, success_step=5)
        f["data/demo_0"].create_dataset("obs/corner_image", data=np.zeros((8, 24, 24, 3), np.uint8))
    with pytest.raises(VideoDataError, match="corner_depth"):
        VideoClipDataset(tmp_path / "c.h5", 16, 16, 3, depth=True)
    assert np.allclose(resize_depth_to(np.full((24, 32), np.nan, np.float32), 12, 16), 1e6)  # no surface: far
    small = VideoClipDataset(tmp_path / "a.h5", 16, 16, 3, random_crop=False, depth=True, cache_mb=0.0)
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    a, b = small.clip(1, rng_a), ds.clip(1, rng_b)  # uncached reads give the cached clip
    assert np.array_equal(a.future, b.future) and np.array_equal(a.future_depth, b.future_depth) and not small._cache


@pytest.fixture(scope="module")
def rgbd_checkpoint(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rgbd")
    write_rgbd_dataset(tmp / "d.h5")
    cfg = TrainVideoConfig(model=TINY.model_copy(update={"tasks": ()}), diffusion=DiffusionConfig(sample_steps=2),
                           steps=2, batch_size=2, save_every=2, sample_every=2, ema_every=1)
    train_video(tmp / "d.h5", tmp / "run", cfg)
    return tmp / "run" / "model"


def observation(depth: bool = True) -> Observation:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    d = {"corner": rng.uniform(0.5, 3.0, (24, 24)).astype(np.float32)} if depth else {}
    return Observation(t=0.0, images={"corner": img}, state=np.zeros(39), depth=d)


def test_learned_rgbd_plan_depth_comes_from_the_model_and_nothing_privileged(rgbd_checkpoint):
    planner = DiffusionVideoPlanner(rgbd_checkpoint)
    assert planner.predicts_depth
    obs = observation()
    plan = planner.plan(obs, "push-left", "corner", n=1, seed=4)[0]
    assert plan.object_poses is None and plan.score is None
    assert plan.depth.shape == (4, 24, 24) and plan.depth.dtype == np.float32
    assert np.array_equal(plan.depth[0], obs.depth["corner"])  # frame 0: the declared observed depth
    # frames 1..F: the model's own decoded depth (same seed), resized to the camera
    _, model_depth = planner.sample(resize_to(obs.images["corner"], 16, 16), "push-left", 1, 4,
                                    resize_depth_to(obs.depth["corner"], 16, 16))
    assert np.allclose(plan.depth[1], cv2.resize(model_depth[0, 0], (24, 24), interpolation=cv2.INTER_LINEAR))
    # change the network's depth output and the plan's depth follows: it is the model's, not the scene's
    with torch.no_grad():
        planner.net.conv_out.bias[3] += 0.5
    shifted = planner.plan(obs, "push-left", "corner", n=1, seed=4)[0]
    assert np.array_equal(shifted.frames[0], plan.frames[0]) and not np.allclose(shifted.depth[1:], plan.depth[1:])
    with pytest.raises(PlannerError, match="observed depth"):
        planner.plan(observation(depth=False), "push-left", "corner")
