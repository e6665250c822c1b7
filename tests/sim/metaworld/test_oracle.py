"""The oracle planner and the flow executor on a short episode of an easy task."""

from __future__ import annotations

import json

import numpy as np

from plansight.agent.contracts import VideoPlanner
from plansight.agent.planning.config_executor import ExecutorConfig
from plansight.launch.eval_metaworld import EpisodeSpec, evaluate, run_episode
from plansight.sim.metaworld.arm_sim import MetaWorldArm
from plansight.sim.metaworld.config_metaworld import make_config
from plansight.sim.metaworld.oracle import OraclePlanner


def test_oracle_plan_renders_the_future_and_leaves_the_episode_untouched():
    arm = MetaWorldArm(make_config(task="handle-press", cameras=("corner2",), width=80, height=60))
    try:
        obs = arm.reset(1)
        planner = OraclePlanner(arm, n_frames=8)
        assert isinstance(planner, VideoPlanner)
        before = arm.snapshot()
        plan = planner.plan(obs, "handle-press", "corner2")[0]
        assert plan.frames.shape == (8, 60, 80, 3) and plan.frames.dtype == np.uint8
        assert np.array_equal(plan.frames[0], obs.images["corner2"])
        assert np.abs(plan.frames[-1].astype(int) - plan.frames[0]).mean() > 1.0  # the hand moved
        assert planner.stats.expert_successes == [True]
        # privileged object poses for tracking ablations: the handle starts where it is and is pressed down
        assert plan.object_poses.shape == (8, 4, 4) and np.allclose(plan.object_poses[0], arm.object_pose())
        assert plan.object_poses[-1][2, 3] < plan.object_poses[0][2, 3] - 0.02
        # an RGB-D plan: each frame's depth, the first one the observed depth
        assert plan.depth.shape == (8, 60, 80) and np.allclose(plan.depth[0], obs.depth["corner2"])
        assert OraclePlanner(arm, n_frames=4, depth=False).plan(obs, "handle-press", "corner2")[0].depth is None
        after = arm.snapshot()
        assert np.array_equal(before.physics, after.physics) and arm.step_count == 0
        assert np.array_equal(arm.observe(("corner2",)).images["corner2"], obs.images["corner2"])
    finally:
        arm.close()


def test_short_oracle_episode_succeeds(measured):
    rgbd = run_episode(EpisodeSpec("button-press-topdown", "corner", seed=0, replans=0, plan_frames=24))
    assert rgbd["error"] is None
    assert rgbd["success"] and rgbd["plans"] == 1, rgbd  # RGB-D plan (the default): pressed at step 391 of 500
    rgb = run_episode(EpisodeSpec("button-press-topdown", "corner", seed=0, replans=0, plan_frames=24,
                                  executor=(("plan_depth", "false"),)))
    assert rgb["success"] and rgb["success_step"] < 200 and rgb["plans"] == 1, rgb  # AVDC's RGB path
    measured["oracle episode button-press-topdown/corner, RGB-D / RGB plan (s)"] = (
        f"{rgbd['seconds']:.2f} / {rgb['seconds']:.2f}; success at step {rgbd['success_step']} / {rgb['success_step']}")


def test_evaluation_resumes_without_redoing_episodes(tmp_path, monkeypatch):
    import plansight.launch.eval_metaworld as ev

    calls = []

    def fake(spec):  # the bookkeeping under test; episodes themselves are tested above
        calls.append(spec.key)
        return {"key": spec.key, "task": spec.task, "camera": spec.camera, "seed": spec.seed,
                "replans": spec.replans, "success": spec.seed % 2 == 0, "seconds": 1.0, "plans": 1,
                "timing": {"flow": 0.1}, "error": None}

    monkeypatch.setattr(ev, "_run_logged", fake)
    specs = ev.episode_specs(["door-open"], ["corner", "corner2"], [0, 1], [0], 64, 48, "oracle", 8, tmp_path, 0)
    evaluate(specs[:3], tmp_path)
    with open(tmp_path / "episodes.jsonl", "ab") as f:
        f.write(b'{"key": "torn')  # a run killed mid-write
    records = evaluate(specs, tmp_path)
    assert len(calls) == 4 and len(set(calls)) == 4  # the 3 finished ones were not redone
    assert [r["key"] for r in records] == [s.key for s in specs]
    lines = (tmp_path / "episodes.jsonl").read_text().splitlines()
    assert sum(1 for ln in lines if ln.startswith("{") and ln.endswith("}")) == 4
    s = ev.summarize(records)["replans_0"]
    assert s["per_task"]["door-open"] == 0.5 and s["overall"] == 0.5 and s["seeds"] == [0, 1]
    ev.write_summary(tmp_path, records, {"planner": "oracle"})
    assert json.loads((tmp_path / "summary.json").read_text())["settings"]["replans_0"]["episodes"] == 4
    table = (tmp_path / "table.md").read_text()
    assert "| door-open | 50.0 % (2/4, 15.0–85.0) | 30.7% | 72.0% |" in table
    assert "partial: 4 of 825 episodes" in table.splitlines()[-1]
    # the executor's defaults change: the logged episodes belong to another executor and are run again
    monkeypatch.setattr(ev, "config_hash", lambda cfg: "0123456789")
    calls.clear()
    records = evaluate(specs, tmp_path)
    assert len(calls) == 4 and all(r["key"].endswith("|cfg=0123456789") for r in records)


def test_executor_ablations_are_typed_and_kept_apart_when_resuming():
    import plansight.launch.eval_metaworld as ev

    overrides = ev.parse_executor(["gripper_tracker=lk", "tool_offset_m=[0, 0, -0.04]", "gain=25"])
    assert overrides == (("gain", "25"), ("gripper_tracker", "lk"), ("tool_offset_m", "[0, 0, -0.04]"))
    spec = ev.EpisodeSpec("door-open", "corner", 0, 5, executor=overrides)
    cfg = spec.executor_config()
    assert cfg.tracking.gripper_tracker == "lk" and cfg.controller.tool_offset_m == (0.0, 0.0, -0.04)
    assert cfg.controller.gain == 25.0 and cfg == ExecutorConfig(tracking={"gripper_tracker": "lk"}, gain=25,
                                                                 controller={"tool_offset_m": [0, 0, -0.04]})
    plain = ev.EpisodeSpec("door-open", "corner", 0, 5)
    assert plain.executor_config() == ExecutorConfig() and plain.key != spec.key


def test_low_res_oracle_keeps_the_observation_and_blurs_the_future():
    from plansight.agent.planning.lowres import LowResPlanner

    arm = MetaWorldArm(make_config(task="handle-press", cameras=("corner2",), width=128, height=96))
    try:
        obs = arm.reset(1)
        sharp = OraclePlanner(arm, n_frames=4).plan(obs, "handle-press", "corner2")[0].frames
        low = LowResPlanner(OraclePlanner(arm, n_frames=4), 32, 24)
        plan = low.plan(obs, "handle-press", "corner2")[0]
        assert plan.frames.shape == sharp.shape and np.array_equal(plan.frames[0], sharp[0])
        diff = np.abs(plan.frames[1:].astype(int) - sharp[1:]).mean()
        assert 1.0 < diff < 30.0  # blurred, not replaced
        sharp_depth = OraclePlanner(arm, n_frames=4).plan(obs, "handle-press", "corner2")[0].depth
        assert plan.depth.shape == sharp_depth.shape and np.array_equal(plan.depth[0], sharp_depth[0])
        assert 0.0 < np.median(np.abs(plan.depth[1:] - sharp_depth[1:])) < 0.05  # the depth is degraded alike
        assert low.stats.plans == 1  # the wrapped planner's extras stay reachable
    finally:
        arm.close()
