"""The monocular network and its online learner, on frames rendered by the simulator."""

import numpy as np
import pytest
import torch

from plansight.agent.contracts import DroneCommand
from plansight.agent.learning.online_depth import OnlineDepthLearner, predict_depth
from plansight.agent.learning.replay import DepthReplayBuffer
from plansight.agent.perception.config_persistent import LearnerConfig, MonoNetConfig
from plansight.agent.perception.depth_metrics import abs_rel
from plansight.agent.perception.mono_net import (
    MonoDepthNet,
    count_parameters,
    gaussian_log_depth_loss,
    l1_log_depth_loss,
)
from plansight.agent.perception.stereo import SgbmStereoDepth, StereoConfig


@pytest.fixture(scope="module")
def stereo_frames():
    """24 (image, stereo depth, stereo valid) triples from a flight in one room."""
    from plansight.sim.drone.config_drone import DroneSimConfig
    from plansight.sim.drone.drone_sim import DroneSim

    sim = DroneSim(DroneSimConfig(ground_truth_depth=False))
    sim.reset(11)
    sim.takeoff()
    stereo = SgbmStereoDepth(StereoConfig(), sim.cameras["left"])
    frames = []
    for _frame in range(24):
        for _ in range(6):
            sim.act(DroneCommand(vx=0.2, yaw_rate=0.9))
        obs = sim.observe()
        est = stereo.estimate(obs)
        frames.append((obs.images["left"], est.depth, est.valid))
    sim.close()
    return frames


def test_network_shapes_size_and_speed_class():
    net = MonoDepthNet(MonoNetConfig())
    assert count_parameters(net) < 1_000_000
    mu, log_var = net(torch.rand(2, 3, 96, 128))
    assert mu.shape == log_var.shape == (2, 1, 96, 128)
    depth, var = predict_depth(net.eval(), np.zeros((96, 128, 3), np.uint8))
    assert depth.shape == var.shape == (96, 128) and depth.dtype == np.float32
    assert np.all((depth >= 0.2 - 1e-4) & (depth <= 8.0 + 1e-4)) and np.all(var > 0)


def test_wrong_image_size_is_a_clear_error():
    with pytest.raises(ValueError, match="expects 128x96 RGB images"):
        predict_depth(MonoDepthNet(MonoNetConfig()).eval(), np.zeros((48, 64, 3), np.uint8))


def test_loss_uses_only_valid_pixels():
    mu = torch.zeros(1, 1, 4, 4, requires_grad=True)
    lv = torch.zeros(1, 1, 4, 4)
    target = torch.ones(1, 1, 4, 4)
    valid = torch.zeros(1, 1, 4, 4, dtype=torch.bool)
    valid[0, 0, 0, 0] = True
    target[0, 0, 1:, :] = 1e6  # garbage where invalid must not matter
    loss = gaussian_log_depth_loss(mu, lv, target, valid)
    assert loss.item() == pytest.approx(0.0)
    loss.backward()
    assert mu.grad[0, 0, 0, 0] == 0 and mu.grad.abs().sum() == 0
    assert gaussian_log_depth_loss(mu, lv, target, torch.zeros_like(valid)).item() == 0.0


def test_l1_log_loss_fits_the_mean_by_l1_alone():
    """A large variance cannot shrink the mean's gradient: it is sign(mu − log t)/n whatever log_var is, and the
    variance head still gets the NLL's gradient."""
    target = torch.full((1, 1, 2, 2), 2.0)
    valid = torch.ones(1, 1, 2, 2, dtype=torch.bool)
    valid[0, 0, 1, 1] = False
    for log_var0 in (-3.0, 0.0, 4.0):
        mu = torch.zeros(1, 1, 2, 2, requires_grad=True)
        lv = torch.full((1, 1, 2, 2), log_var0, requires_grad=True)
        l1_log_depth_loss(mu, lv, target, valid).backward()
        assert torch.allclose(mu.grad[valid], torch.full((3,), -1.0 / 3))
        assert mu.grad[0, 0, 1, 1] == 0
        assert (lv.grad[valid] != 0).all() and lv.grad[0, 0, 1, 1] == 0
    mu = torch.zeros(1, 1, 2, 2, requires_grad=True)
    lv = torch.full((1, 1, 2, 2), 4.0)
    gaussian_log_depth_loss(mu, lv, target, valid).backward()
    assert mu.grad[valid].abs().max() < 0.1 / 3  # the NLL's mean gradient is scaled down by exp(-log_var)


def test_loss_falls_on_rendered_frames(stereo_frames, measured):
    cfg = LearnerConfig(batch_size=8, min_buffer=1, add_every=1, min_valid_fraction=0.0, learning_rate=2e-3)
    learner = OnlineDepthLearner(MonoNetConfig(), cfg)
    for img, d, v in stereo_frames:
        learner.add(img, d, v)

    def err() -> float:
        learner.publish()
        return float(np.mean([abs_rel(learner.predict(i)[0], d, v) for i, d, v in stereo_frames]))

    before = err()
    losses = [learner.train_step() for _ in range(200)]
    after = err()
    first, last = np.mean(losses[:20]), np.mean(losses[-20:])
    measured["mono learner, 200 steps on 24 rendered frames"] = (
        f"loss {first:.2f} -> {last:.2f}, AbsRel vs stereo {before:.3f} -> {after:.3f}")
    assert last < first - 0.5
    assert after < 0.6 * before


def test_replay_buffer_is_bounded_and_reservoir_keeps_old_data():
    buf = DepthReplayBuffer(100, 2, 2, policy="reservoir", seed=0)
    img, d, v = np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2)), np.ones((2, 2), bool)
    for i in range(10_000):
        buf.add(img + (i % 250), d + i, v)
    assert len(buf) == 100 and buf.seen == 10_000
    first_half = float(np.mean(buf.depth[:, 0, 0].astype(np.float64) < 5000))
    assert 0.3 < first_half < 0.7  # a uniform sample of everything seen


def test_replay_buffer_fifo_keeps_the_newest():
    buf = DepthReplayBuffer(10, 2, 2, policy="fifo")
    for i in range(25):
        buf.add(np.zeros((2, 2, 3), np.uint8), np.full((2, 2), float(i)), np.ones((2, 2), bool))
    assert sorted(buf.depth[:, 0, 0].astype(int).tolist()) == list(range(15, 25))
    with pytest.raises(ValueError, match="2x2"):
        buf.add(np.zeros((3, 3, 3), np.uint8), np.zeros((3, 3)), np.ones((3, 3), bool))


def test_background_training_runs_without_blocking(stereo_frames):
    cfg = LearnerConfig(mode="background", batch_size=4, min_buffer=4, add_every=1, min_valid_fraction=0.0)
    learner = OnlineDepthLearner(MonoNetConfig(), cfg)
    learner.start()
    import time
    t = time.perf_counter()
    while learner.step_count < 5 and time.perf_counter() - t < 60:
        for img, d, v in stereo_frames[:4]:
            learner.add(img, d, v)  # the control loop keeps adding while the thread trains
        learner.predict(stereo_frames[0][0])
        time.sleep(0.01)
    learner.stop()
    assert learner.step_count >= 5
