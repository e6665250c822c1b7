"""The Meta-World adapter: every AVDC task renders from every camera; depth, masks and camera matrices agree."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from plansight.agent.contracts import ArmCommand, Embodiment
from plansight.agent.planning.geometry import lift, project
from plansight.sim.metaworld.arm_sim import MetaWorldArm
from plansight.sim.metaworld.config_metaworld import CAMERAS, ConfigError, make_config, parse_list, parse_resolution
from plansight.sim.metaworld.tasks import TASKS

W, H = 96, 72


@pytest.mark.parametrize("task", list(TASKS))
def test_every_task_resets_and_renders_all_cameras(task):
    arm = MetaWorldArm(make_config(task=task, cameras=CAMERAS, width=W, height=H))
    try:
        assert isinstance(arm, Embodiment)
        obs = arm.reset(seed=3)
        assert obs.state.shape == (39,) and np.isfinite(obs.state).all()
        seen = 0
        for c in CAMERAS:
            img, d, m = obs.images[c], obs.depth[c], obs.masks[c]
            assert img.shape == (H, W, 3) and img.dtype == np.uint8 and img.std() > 5
            assert d.shape == (H, W) and d.dtype == np.float32 and (d > 0.05).all() and np.isfinite(d).all()
            assert m.shape == (H, W) and m.dtype == bool
            seen += m.any()
            cam = arm.cameras[c]
            assert (cam.width, cam.height) == (W, H)
            assert np.allclose(cam.T_body_cam[:3, :3] @ cam.T_body_cam[:3, :3].T, np.eye(3), atol=1e-9)
        assert seen >= 2, "the object should be visible from at least two of the three cameras"
        applied = arm.act(ArmCommand(dxyz=(0.05, 0.0, -0.001), gripper=2.0))
        assert applied.dxyz[0] == pytest.approx(0.01) and applied.gripper == 1.0  # clipped to ±1 cm, ±1
    finally:
        arm.close()


def test_same_seed_same_scene_different_seed_different_scene():
    arm = MetaWorldArm(make_config(task="button-press", cameras=("corner",), width=W, height=H))
    try:
        a, b, c = (arm.reset(s).state for s in (5, 5, 6))
        assert np.array_equal(a, b) and not np.allclose(a, c)
    finally:
        arm.close()


@pytest.mark.parametrize("task", ["door-open", "button-press", "basketball"])
def test_depth_and_camera_matrices_lift_mask_pixels_onto_the_object(task):
    """A mask pixel lifted with its depth through the camera model lands on the object's geometry, and the
    object's true position projects inside its mask's bounding box, for each camera."""
    arm = MetaWorldArm(make_config(task=task, cameras=CAMERAS, width=320, height=240))
    try:
        obs = arm.reset(seed=0)
        model, data = arm.env.model, arm.env.data
        ids = arm._mask_ids
        for c in CAMERAS:
            m = obs.masks[c]
            if m.sum() < 20:
                continue
            cam = arm.cameras[c]
            v, u = np.nonzero(m)
            uv = np.stack([u, v], axis=1).astype(float)
            X = lift(cam, uv, obs.depth[c][v, u])
            # distance from each lifted point to the nearest mask geom's centre, relative to its bounding radius
            rel = np.min([np.linalg.norm(X - data.geom_xpos[g], axis=1) / model.geom_rbound[g] for g in ids], axis=0)
            assert np.quantile(rel, 0.95) <= 1.05, (c, np.quantile(rel, 0.95))
            centre = np.mean([data.geom_xpos[g] for g in ids], axis=0)
            (pu, pv), z = project(cam, centre[None])[0][0], project(cam, centre[None])[1][0]
            assert u.min() - 3 <= pu <= u.max() + 3 and v.min() - 3 <= pv <= v.max() + 3, (c, pu, pv)
            assert obs.depth[c][v, u].min() < z + 0.01  # the visible surface is in front of the centre
    finally:
        arm.close()


def test_corner_is_rotated_180_not_flipped():
    arm = MetaWorldArm(make_config(task="door-open", cameras=("corner",), width=W, height=H))
    try:
        obs = arm.reset(seed=0)
        r = mujoco.Renderer(arm.env.model, height=H, width=W)
        for flag in (mujoco.mjtRndFlag.mjRND_SHADOW, mujoco.mjtRndFlag.mjRND_REFLECTION,
                     mujoco.mjtRndFlag.mjRND_SKYBOX):
            r.scene.flags[flag] = False
        r.update_scene(arm.env.data, camera="corner")
        raw = r.render()
        r.close()
        assert np.array_equal(obs.images["corner"], raw[::-1, ::-1])
        assert not np.array_equal(obs.images["corner"], raw[::-1])
        # upright: world up points up in the image, and the camera model agrees with the rotated image
        cam = arm.cameras["corner"]
        p = np.array([[0.0, 0.7, 0.1], [0.0, 0.7, 0.4]])
        uv, _ = project(cam, p)
        assert uv[1, 1] < uv[0, 1] - 5
    finally:
        arm.close()


def test_bad_arguments_give_one_line_errors():
    with pytest.raises(ConfigError,
                       match=r"^task: unknown task 'pour-tea'; allowed: door-open, .*assembly, .*disassemble "
                             r"\(got 'pour-tea'\)$"):
        make_config(task="pour-tea")
    with pytest.raises(ConfigError, match=r"unknown camera 'topview'; allowed: corner, corner2, corner3"):
        make_config(cameras=("topview",))
    with pytest.raises(ConfigError, match=r"^width: .*32\.\.1024"):
        make_config(width=8)
    with pytest.raises(ConfigError, match="expected WIDTHxHEIGHT"):
        parse_resolution("big")
    with pytest.raises(ConfigError, match="out of range"):
        parse_resolution("320x5000")
    with pytest.raises(ConfigError, match="allowed: all, corner"):
        parse_list("corner,side", CAMERAS, "cameras")
    assert parse_list("all", CAMERAS, "cameras") == list(CAMERAS)
    from plansight.sim.metaworld.tasks import ALL_TASKS, TASK_GROUPS, TASKS

    assert parse_list("all", tuple(ALL_TASKS), "tasks", TASK_GROUPS) == list(TASKS)  # 'all' is still AVDC's 11
    assert len(parse_list("act-jepa-15", tuple(ALL_TASKS), "tasks", TASK_GROUPS)) == 15


@pytest.mark.parametrize("args, needle", [
    (["eval", "metaworld", "--tasks", "pour-tea"], "unknown task 'pour-tea'; allowed: all, act-jepa-15, door-open"),
    (["eval", "metaworld", "--cameras", "corner9"], "unknown camera 'corner9'; allowed: all, corner"),
    (["eval", "metaworld", "--res", "320by240"], "expected WIDTHxHEIGHT"),
    (["eval", "metaworld", "--seeds", "ten"], "seeds: expected a count"),
    (["eval", "metaworld", "--planner", "sora"], "unknown planner 'sora'; allowed: oracle"),
    (["collect", "metaworld", "--res", "4x4"], "out of range"),
    (["eval", "metaworld", "--executor", "gain"], "executor: expected FIELD=VALUE, got 'gain'"),
    (["eval", "metaworld", "--executor", "gian=20"], "unknown executor field(s) gian"),
    (["eval", "metaworld", "--executor", "gain=fast"],
     "executor field controller.gain: Input should be a valid number, unable to parse string as a number (got 'fast')"),
    (["eval", "metaworld", "--executor", "gripper_tracker=sift"], "unknown gripper_tracker 'sift'"),
    (["eval", "metaworld", "--executor", "tool_offset_m=[0, 0"], "the value is not YAML"),
])
def test_cli_bad_arguments(args, needle):
    from typer.testing import CliRunner

    from plansight.launch.cli import app

    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert needle in text and "Traceback" not in text


def test_act_jepa_extra_tasks_reset_with_their_masks():
    """ACT-JEPA's Meta-World tasks beyond AVDC's: each builds, resets and renders its object's mask."""
    from plansight.sim.metaworld.tasks import ACT_JEPA_EXTRA, TASK_GROUPS

    assert set(TASK_GROUPS["act-jepa-15"]) - set(ACT_JEPA_EXTRA) <= set(TASK_GROUPS["all"])
    for task in ACT_JEPA_EXTRA:
        arm = MetaWorldArm(make_config(task=task, cameras=("corner2",), width=64, height=48))
        try:
            arm.reset(0)
            assert arm.observe(("corner2",), depth=False).masks["corner2"].any(), task
        finally:
            arm.close()
