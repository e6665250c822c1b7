"""Expert datasets: written atomically, read back identically, failed demos kept and flagged, states replayable."""

from __future__ import annotations

import h5py
import numpy as np

from plansight.sim.metaworld.arm_sim import MetaWorldArm
from plansight.sim.metaworld.collect import collect
from plansight.sim.metaworld.config_metaworld import make_config
from plansight.sim.metaworld.dataset import read_demo, read_info


def test_dataset_round_trip(tmp_path, monkeypatch):
    import plansight.sim.metaworld.collect as col

    out = tmp_path / "experts.hdf5"
    demos = []
    real = col.rollout
    # seed 0 runs to success; the second demo is cut at 20 steps, so the expert "fails" and must be flagged
    monkeypatch.setattr(col, "rollout", lambda arm, seed, **kw: demos.append(
        real(arm, seed, 20 if seed == 1 else None, **kw)) or demos[-1])
    summary = collect(out, ["button-press"], ["corner", "corner3"], episodes=2, width=64, height=48)
    assert summary == {"path": str(out), "demos": 2, "successful": 1, "failed": 1}
    assert not list(tmp_path.glob(".*.part"))  # no temporary left behind
    info = read_info(out)
    assert info["successful"] == ["demo_0"] and info["failed"] == ["demo_1"]
    assert info["cameras"] == ["corner", "corner3"] and (info["width"], info["height"]) == (64, 48)
    assert info["total"] == sum(len(d.actions) for d in demos)
    for name, d in zip(["demo_0", "demo_1"], demos, strict=True):
        back = read_demo(out, name)
        assert (back.task, back.seed, back.success, back.success_step) == (d.task, d.seed, d.success, d.success_step)
        for k in ("actions", "rewards", "states"):
            assert np.allclose(getattr(back, k), getattr(d, k))
        assert set(back.obs) == {"state", "corner_image", "corner_depth", "corner_mask", "corner3_image",
                                 "corner3_depth", "corner3_mask"}
        for k, v in d.obs.items():
            assert back.obs[k].dtype == v.dtype and np.array_equal(back.obs[k], v)
        assert back.obs["corner_image"].shape == (len(d.actions), 48, 64, 3)
        assert np.abs(back.actions).max() <= 1.0
        assert np.allclose(back.cameras["corner"]["K"][0, 0], 48 / 2 / np.tan(np.radians(45) / 2))
    assert demos[0].success and demos[0].success_step > 0 and not demos[1].success
    with h5py.File(out) as f:  # plain h5py, robomimic's layout
        assert f["data/demo_0"].attrs["num_samples"] == len(demos[0].actions)
        assert f["data/demo_0/dones"][-1] == 1
    # the recorded MuJoCo state restores the recorded scene exactly
    arm = MetaWorldArm(make_config(task="button-press", cameras=("corner",), width=64, height=48))
    try:
        arm.reset(0)
        back = read_demo(out, "demo_0")
        k = len(back.actions) // 2
        snap = arm.snapshot()
        arm.restore(type(snap)(back.states[k], snap.py))
        img = arm.observe(("corner",), depth=False, masks=False).images["corner"]
        assert np.array_equal(img, back.obs["corner_image"][k])
    finally:
        arm.close()


def test_parallel_collection_writes_the_same_demos(tmp_path):
    kw = {"tasks": ["button-press"], "cameras": ["corner"], "episodes": 2, "width": 48, "height": 32, "max_steps": 10}
    collect(tmp_path / "one.hdf5", **kw)
    collect(tmp_path / "two.hdf5", workers=2, **kw)
    for name in ("demo_0", "demo_1"):
        a, b = read_demo(tmp_path / "one.hdf5", name), read_demo(tmp_path / "two.hdf5", name)
        assert (a.seed, a.success_step) == (b.seed, b.success_step)
        assert np.array_equal(a.actions, b.actions) and np.array_equal(a.obs["corner_image"], b.obs["corner_image"])
