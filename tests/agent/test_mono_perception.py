"""``mono_cnn`` perception: the shipped weights see depth in a rendered room; bad configs fail clearly."""

import numpy as np
import pytest

from plansight.agent.contracts import CameraModel
from plansight.agent.learning.checkpoint import CheckpointError
from plansight.agent.perception.config_mono import MonoConfig
from plansight.agent.perception.mono import MonoDepthPerception


def test_shipped_weights_estimate_depth_in_an_unseen_room(measured):
    from plansight.sim.drone.drone_sim import DroneSim

    sim = DroneSim()
    sim.reset(seed=4)  # the weights were trained in room seed 1
    assert sim.takeoff()
    p = MonoDepthPerception(MonoConfig(), sim.cameras["left"])
    errs = []
    for _ in range(5):
        for _ in range(10):
            sim.act(sim_cmd())
        obs = sim.observe()
        est = p.estimate(obs)
        gt = obs.depth["left"]
        m = est.valid & (gt > 0.25) & (gt < 8.0)
        assert m.mean() > 0.5 and est.depth.shape == gt.shape and est.source == "mono_cnn"
        errs.append(float(np.mean(np.abs(est.depth[m] - gt[m]) / gt[m])))
    sim.close()
    assert np.median(errs) < 0.35
    measured["mono_cnn shipped weights, unseen room seed 4, AbsRel median of 5 views"] = f"{np.median(errs):.3f}"


def sim_cmd():
    from plansight.agent.contracts import DroneCommand

    return DroneCommand(vx=0.3, yaw_rate=0.4)


def test_unknown_builtin_and_size_mismatch_are_clear():
    # the config refuses what it can know (checked by `validate`, before any flight) ...
    with pytest.raises(ValueError, match="no built-in model .nope.; built-in: .*builtin:video_mw_64x48, builtin:mono"):
        MonoConfig(checkpoint="builtin:nope")
    with pytest.raises(ValueError, match="/nonexistent.safetensors: no such file"):
        MonoConfig(checkpoint="/nonexistent.safetensors")
    # ... and the perception still checks what it loads (a config built without validation)
    with pytest.raises(CheckpointError, match="no built-in model 'nope'"):
        MonoDepthPerception(MonoConfig.model_construct(checkpoint="builtin:nope"),
                            CameraModel.from_fovy("c", 128, 96, 60))
    with pytest.raises(CheckpointError, match="network is 128x96 but camera 'c' is 160x120"):
        MonoDepthPerception(MonoConfig(), CameraModel.from_fovy("c", 160, 120, 60))
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        MonoDepthPerception(MonoConfig.model_construct(checkpoint="/nonexistent.safetensors"),
                            CameraModel.from_fovy("c", 128, 96, 60))
