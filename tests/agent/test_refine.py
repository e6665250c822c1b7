"""Self-conditioned refinement (VideoAgent): one value range for the condition in training and sampling, a refiner
that starts as its base model, and a resumable refiner training run."""

import json

import numpy as np
import pytest
import torch

from plansight.agent.contracts import Observation
from plansight.agent.learning.train_refiner import train_refiner
from plansight.agent.learning.train_video import train_video
from plansight.agent.planning.config_refine import TrainRefinerConfig
from plansight.agent.planning.config_video import DiffusionConfig, TrainVideoConfig
from plansight.agent.planning.refine import make_self_conditioned, refine_condition
from plansight.agent.planning.video_diffusion import VideoDiffusion
from plansight.agent.planning.video_model import VideoPlanNet
from plansight.agent.planning.video_planner import DiffusionVideoPlanner, PlannerError
from tests.agent.test_video_training import MODEL, write_dataset


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("refine")
    write_dataset(tmp / "d.h5")
    cfg = TrainVideoConfig(model=MODEL, diffusion=DiffusionConfig(sample_steps=2), steps=2, batch_size=2,
                           save_every=2, sample_every=100, ema_every=1, learning_rate=1e-3)
    train_video(tmp / "d.h5", tmp / "base", cfg)
    return tmp


def test_condition_has_one_value_range_in_training_and_sampling(base_model, monkeypatch):
    """The same uint8 plan reaches the network as the same tensor in [−1, 1] from the trainer's loss and from the
    planner's refinement (VideoAgent's released code fed [0, 1/255] in training and [0, 1] at inference)."""
    planner = DiffusionVideoPlanner(base_model / "base" / "model", steps=2)
    net = make_self_conditioned(planner.net).eval()
    planner.net, planner.diffusion = net, VideoDiffusion(net, planner.diffusion.cfg)
    c = net.config
    rng = np.random.default_rng(0)
    plan = rng.integers(0, 256, (1, c.n_future, c.height, c.width, 3), dtype=np.uint8)
    first = rng.integers(0, 256, (c.height, c.width, 3), dtype=np.uint8)
    seen, forward = [], net.forward

    def spy(noisy, t, first_t, ids, prev=None):
        seen.append(prev)
        return forward(noisy, t, first_t, ids, prev)

    monkeypatch.setattr(net, "forward", spy)
    cond = refine_condition(plan, None, c)  # what the trainer's pair bank feeds
    planner.diffusion.loss(cond.clone(), cond[:, :, 0], net.task_ids([c.tasks[0]]), prev=cond)
    trained_with = seen[-1]
    planner.sample(first, c.tasks[0], 1, seed=0, prev=plan)
    sampled_with = seen[-1][:1]  # guidance runs conditional and unconditional passes as one batch
    assert trained_with is not None and torch.equal(trained_with, sampled_with)
    for x in (trained_with, sampled_with):
        assert x.min() >= -1.0 and x.max() <= 1.0 and x.min() < -0.9 and x.max() > 0.9  # the full [−1, 1] range


def test_self_conditioned_copy_starts_as_its_base(base_model):
    base = VideoPlanNet.from_pretrained(base_model / "base" / "model").eval()
    ref = make_self_conditioned(base).eval()
    assert ref.input_copies == 3 and base.input_copies == 2
    b, c = 2, base.config
    x = torch.randn(b, 3, c.n_future, c.height, c.width)
    first = torch.rand(b, 3, c.height, c.width) * 2 - 1
    t, ids = torch.tensor([3, 70]), torch.tensor([0, 1])
    with torch.no_grad():
        assert torch.allclose(base(x, t, first, ids), ref(x, t, first, ids, torch.rand_like(x) * 2 - 1), atol=1e-6)
    with pytest.raises(ValueError, match="not self-conditioned"):
        base(x, t, first, ids, x)


def test_refiner_trains_resumes_and_refines_plans(base_model):
    out = base_model / "refiner"
    cfg = TrainRefinerConfig(pairs=6, pair_batch=4, steps=2, batch_size=2, save_every=1)
    first = train_refiner([base_model / "d.h5"], base_model / "base" / "model", out, cfg)
    assert first["steps"] == 2 and first["pairs"] == 6 and np.isfinite(first["last_loss"])
    chunks = sorted((out / "pairs").glob("chunk_*.npz"))
    assert len(chunks) == 2
    stamp = chunks[0].stat().st_mtime_ns
    again = train_refiner([base_model / "d.h5"], base_model / "base" / "model", out,
                          cfg.model_copy(update={"steps": 3}), resume=True)
    assert again["steps"] == 3 and chunks[0].stat().st_mtime_ns == stamp  # the bank is not regenerated
    assert [json.loads(line)["step"] for line in (out / "log.jsonl").read_text().splitlines()] == [1, 2, 3]

    refiner = DiffusionVideoPlanner(out / "model", steps=2)
    assert refiner.self_conditioned
    img = np.zeros((24, 24, 3), np.uint8)
    img[8:14, 6:12] = 255
    obs = Observation(t=0.0, images={"corner": img}, state=np.zeros(3))
    task = refiner.tasks[0]
    plans = refiner.plan(obs, task, "corner", n=2, seed=1)
    refined = refiner.refine(obs, plans, seed=2)
    assert len(refined) == 2 and refined[0].frames.shape == plans[0].frames.shape
    assert np.array_equal(refined[0].frames[0], img) and refined[0].object_poses is None
    with pytest.raises(PlannerError, match="not self-conditioned"):
        DiffusionVideoPlanner(base_model / "base" / "model").refine(obs, plans)


def test_planner_config_refines_every_plan(base_model):
    from plansight.agent.planning.config_planner import DiffusionPlannerConfig
    from plansight.agent.planning.config_refine import RefinerConfig
    from plansight.launch.registry import build

    out = base_model / "refiner"
    if not (out / "model").is_dir():
        train_refiner([base_model / "d.h5"], base_model / "base" / "model", out,
                      TrainRefinerConfig(pairs=2, pair_batch=2, steps=1, batch_size=2, save_every=1))
    cfg = DiffusionPlannerConfig(checkpoint=str(base_model / "base" / "model"), sample_steps=2,
                                 refiner=RefinerConfig(checkpoint=str(out / "model"), sample_steps=2), refine_rounds=2)
    planner = DiffusionVideoPlanner.from_config(cfg)
    assert planner.refine_rounds == 2 and planner.refiner.self_conditioned
    img = np.zeros((24, 24, 3), np.uint8)
    obs = Observation(t=0.0, images={"corner": img}, state=np.zeros(3))
    plain = DiffusionVideoPlanner.from_config(cfg.model_copy(update={"refine_rounds": 0}))
    a = planner.plan(obs, planner.tasks[0], "corner", seed=3)[0]
    b = plain.plan(obs, planner.tasks[0], "corner", seed=3)[0]
    assert a.frames.shape == b.frames.shape and not np.array_equal(a.frames, b.frames)
    assert build("refiner", cfg.refiner).self_conditioned
    with pytest.raises(PlannerError, match="not a self-conditioned model"):
        build("refiner", RefinerConfig(checkpoint=str(base_model / "base" / "model")))


def test_confidence_and_critique_from_paired_episodes():
    from bench.refinement import measures

    pairs = [("a/c/1", True, True), ("a/c/2", True, False), ("a/c/3", False, True), ("a/c/4", False, False),
             ("a/c/5", False, False)]
    m = measures(pairs)
    assert m["confidence"]["k"] == 1 and m["confidence"]["n"] == 2
    assert m["critique"]["k"] == 1 and m["critique"]["n"] == 3
    assert m["before"]["k"] == 2 and m["after"]["k"] == 2 and m["net_change"] == 0.0
