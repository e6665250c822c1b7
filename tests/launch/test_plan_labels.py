"""``plansight collect plans`` on real Meta-World with the shipped video model: each plan is executed and labelled,
a re-run labels nothing twice, other settings are refused in the same folder, test seeds are never labelled."""

import numpy as np
import pytest

from plansight.agent.learning.labelled_plans import load_labels, start_path
from plansight.launch.plan_labels import label_plans

MODEL = "builtin:video_mw_64x48"


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    out = tmp_path_factory.mktemp("labels")
    summary = label_plans(out, ["button-press-topdown"], ["corner"], [1100], MODEL, candidates=2, width=160,
                          height=120)
    return out, summary


def test_each_plan_is_executed_and_labelled(labelled):
    out, summary = labelled
    assert summary["starts"] == 1 and summary["plans"] == 2
    with np.load(start_path(out, "button-press-topdown", "corner", 1100)) as z:
        assert z["frames"].shape == (2, 8, 48, 64, 3) and z["frames"].dtype == np.uint8
        assert z["success"].dtype == bool and len(z["success"]) == 2
        for ok, step, steps in zip(z["success"], z["success_step"], z["steps"], strict=True):
            assert 0 < steps <= 500
            assert (step > 0) == bool(ok) and (not ok or steps >= step + 10)  # AVDC's rule: the flag, then 10 steps
    data = load_labels(out)
    assert list(data["task"]) == ["button-press-topdown"] * 2 and set(data["seed"]) == {1100}


def test_first_candidate_is_the_evaluations_plan(labelled):
    """Candidate 0 is the plan ``plansight eval metaworld`` samples at that start (same seed, same frames, up to
    one grey level: a batch of 2 rounds a few values differently from a batch of 1)."""
    from plansight.agent.learning.video_clips import resize_to
    from plansight.agent.planning.video_planner import DiffusionVideoPlanner
    from plansight.sim.metaworld.arm_sim import MetaWorldArm
    from plansight.sim.metaworld.config_metaworld import make_config

    out, _ = labelled
    arm = MetaWorldArm(make_config(task="button-press-topdown", cameras=("corner",), width=160, height=120))
    try:
        arm.reset(1100)
        obs = arm.observe(("corner",))
    finally:
        arm.close()
    plan = DiffusionVideoPlanner(MODEL).plan(obs, "button-press-topdown", "corner", n=1, seed=1100 * 100)[0]
    with np.load(start_path(out, "button-press-topdown", "corner", 1100)) as z:
        diff = np.abs(z["frames"][0].astype(int) - resize_to(plan.frames, 48, 64).astype(int))
        other = np.abs(z["frames"][1].astype(int) - resize_to(plan.frames, 48, 64).astype(int))
    assert diff.max() <= 2 and other.mean() > 2  # the second candidate is another plan


def test_rerun_labels_nothing_twice_and_refuses_other_settings(labelled):
    out, _ = labelled
    path = start_path(out, "button-press-topdown", "corner", 1100)
    before = path.stat().st_mtime_ns
    again = label_plans(out, ["button-press-topdown"], ["corner"], [1100], MODEL, candidates=2, width=160,
                        height=120)
    assert again["plans"] == 2 and path.stat().st_mtime_ns == before
    with pytest.raises(ValueError, match="candidates=2"):
        label_plans(out, ["button-press-topdown"], ["corner"], [1100], MODEL, candidates=3, width=160, height=120)


def test_test_seeds_are_never_labelled(tmp_path):
    with pytest.raises(ValueError, match="test seeds"):
        label_plans(tmp_path, ["button-press-topdown"], ["corner"], [24, 1100], MODEL)
