"""SGBM depth against rendered ground truth in a textured room."""

import numpy as np
import pytest

from plansight.agent.contracts import DroneCommand, Observation
from plansight.agent.perception.stereo import SgbmStereoDepth, StereoConfig


@pytest.fixture(scope="module")
def rendered_views():
    from plansight.sim.drone.config_drone import DroneSimConfig
    from plansight.sim.drone.drone_sim import DroneSim

    sim = DroneSim(DroneSimConfig())
    sim.reset(3)
    assert sim.takeoff()
    views = []
    for _ in range(6):
        for _ in range(12):
            sim.act(DroneCommand(yaw_rate=0.9))
        views.append(sim.observe())
    cams = dict(sim.cameras)
    sim.close()
    return cams, views


def test_stereo_depth_matches_ground_truth(rendered_views, measured):
    cams, views = rendered_views
    est = SgbmStereoDepth(StereoConfig(), cams["left"])
    rel, valid = [], []
    for obs in views:
        d = est.estimate(obs)
        gt = obs.depth["left"]
        m = d.valid & (gt < 6.0)
        rel.append(np.median(np.abs(d.depth[m] - gt[m]) / gt[m]))
        valid.append(d.valid.mean())
    med = float(np.median(rel))
    measured["stereo SGBM median AbsRel (128x96, 6 views)"] = f"{med:.4f}, valid fraction {np.mean(valid):.3f}"
    assert med < 0.08
    assert min(valid) > 0.75


def test_stereo_needs_a_stereo_camera(rendered_views):
    cams, _ = rendered_views
    with pytest.raises(ValueError, match="not the left camera of a stereo pair"):
        SgbmStereoDepth(StereoConfig(), cams["right"])


def test_stereo_rejects_wrong_image_size(rendered_views):
    cams, views = rendered_views
    est = SgbmStereoDepth(StereoConfig(), cams["left"])
    small = {k: v[:48, :64] for k, v in views[0].images.items()}
    with pytest.raises(ValueError, match="128x96"):
        est.estimate(Observation(t=0, images=small, state=views[0].state))
    with pytest.raises(ValueError, match="no image from camera 'right'"):
        est.estimate(Observation(t=0, images={"left": views[0].images["left"]}, state=views[0].state))
