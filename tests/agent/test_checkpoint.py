"""Checkpoints: round trip, resume, atomic replacement under a killed writer, clear errors."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from plansight.agent.learning.checkpoint import CheckpointError, load_checkpoint, read_meta, save_checkpoint
from plansight.agent.learning.online_depth import OnlineDepthLearner, predict_depth
from plansight.agent.perception.config_persistent import LearnerConfig, MonoNetConfig
from plansight.agent.perception.mono_net import MonoDepthNet

CFG = LearnerConfig(batch_size=2, min_buffer=1, add_every=1, min_valid_fraction=0.0)


def _trained_learner(steps=3):
    learner = OnlineDepthLearner(MonoNetConfig(), CFG)
    rng = np.random.default_rng(0)
    for _ in range(4):
        learner.add(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8), rng.uniform(1, 4, (96, 128)),
                    np.ones((96, 128), bool))
    for _ in range(steps):
        learner.train_step()
    return learner


def test_round_trip_gives_identical_predictions(tmp_path):
    learner = _trained_learner()
    path = learner.save(tmp_path / "d.safetensors")
    net = MonoDepthNet(MonoNetConfig()).eval()
    meta = load_checkpoint(path, net)
    assert meta["step"] == 3 and meta["config"]["net"]["width"] == 128
    assert json.loads((tmp_path / "d.json").read_text())["step"] == 3
    img = np.random.default_rng(1).integers(0, 255, (96, 128, 3), dtype=np.uint8)
    learner.net.eval()
    with torch.inference_mode():
        np.testing.assert_array_equal(predict_depth(net, img)[0], predict_depth(learner.net, img)[0])


def test_resume_continues_step_and_optimizer(tmp_path):
    learner = _trained_learner(steps=4)
    path = learner.save(tmp_path / "d.safetensors")
    resumed = OnlineDepthLearner(MonoNetConfig(), CFG, init_from=path)
    assert resumed.step_count == 4
    a = learner.optimizer.state_dict()["state"]
    b = resumed.optimizer.state_dict()["state"]
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k]["exp_avg_sq"], b[k]["exp_avg_sq"])
        assert float(a[k]["step"]) == float(b[k]["step"])


def test_writer_killed_mid_save_leaves_previous_checkpoint_loadable(tmp_path):
    path = tmp_path / "d.safetensors"
    save_checkpoint(path, MonoDepthNet(MonoNetConfig()), {"net": MonoNetConfig().model_dump(mode="json")}, step=1)
    code = textwrap.dedent(f"""
        import sys
        import safetensors.torch
        from plansight.agent.learning import checkpoint
        from plansight.agent.perception.config_persistent import MonoNetConfig
        from plansight.agent.perception.mono_net import MonoDepthNet
        real = safetensors.torch.save_file
        def slow_save(tensors, filename, metadata=None):
            with open(filename, "wb") as f:
                f.write(b"partial garbage")  # half a file on disk...
                f.flush()
            print("writing", flush=True)
            sys.stdin.readline()  # ...and the writer dies here
            real(tensors, filename, metadata=metadata)
        checkpoint.save_file = slow_save
        checkpoint.save_checkpoint({str(path)!r}, MonoDepthNet(MonoNetConfig()),
                                   {{"net": MonoNetConfig().model_dump(mode="json")}}, step=2)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert read_meta(path)["step"] == 1
    load_checkpoint(path, MonoDepthNet(MonoNetConfig()))


def test_bad_checkpoints_are_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        read_meta(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(os.urandom(256))
    with pytest.raises(CheckpointError, match="not a readable safetensors checkpoint"):
        read_meta(junk)
    path = save_checkpoint(tmp_path / "small.safetensors", MonoDepthNet(MonoNetConfig(channels=(8, 8, 8, 8, 8))),
                           {"net": {}}, step=0)
    with pytest.raises(CheckpointError, match="do not fit this network"):
        load_checkpoint(path, MonoDepthNet(MonoNetConfig()))


def test_a_learner_checkpoints_on_wall_time_long_before_its_step_interval(tmp_path):
    """A flight killed in its first minutes still leaves a checkpoint: ``checkpoint_every_s`` bounds the gap."""
    cfg = CFG.model_copy(update={"checkpoint_every": 10**6, "checkpoint_every_s": 1e-6})
    path = tmp_path / "depth.safetensors"
    learner = OnlineDepthLearner(MonoNetConfig(), cfg, checkpoint=path)
    rng = np.random.default_rng(0)
    for _ in range(cfg.min_buffer):
        learner.add(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8), np.full((96, 128), 2.0, np.float32),
                    np.ones((96, 128), bool))
    assert not path.exists()
    learner.train_step()
    assert read_meta(path)["step"] == 1
