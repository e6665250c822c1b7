"""``plansight improve`` on a tiny setting (one task, one camera, one start per round, 2 plans, 2 finetune steps) on
real Meta-World with the shipped model: a round runs end to end, a round killed between its stages resumes
without labelling or recording anything twice, and the monitors count what the labels hold."""

import json

import numpy as np
import pytest

from plansight.agent.learning.labelled_plans import load_labels
from plansight.launch.config_improve import ImproveConfig
from plansight.launch.improve import improve
from plansight.sim.metaworld.dataset import read_demo, read_info

CFG = ImproveConfig(tasks=("button-press-topdown",), cameras=("corner",), first_seed=1100, seeds_per_round=1,
                    candidates=2, width=160, height=120, video_steps=2, video_batch=2)


class KilledError(Exception):
    pass


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("improve")

    def kill_at_merge(stage: str) -> None:
        if stage == "successes":
            raise KilledError

    with pytest.raises(KilledError):
        improve(CFG, out, 1, on_stage=kill_at_merge)
    start = out / "round_0" / "labels" / "starts" / "button-press-topdown__corner__1100.npz"
    mtime = start.stat().st_mtime_ns
    stages: list[str] = []
    docs = improve(CFG, out, 1, on_stage=stages.append)
    return out, docs, stages, start, mtime


def test_a_killed_round_resumes_without_duplicating_data(run):
    out, docs, stages, start, mtime = run
    assert start.stat().st_mtime_ns == mtime  # the start was not labelled again
    labels = load_labels(out / "round_0" / "labels")
    assert len(labels["success"]) == 2
    info = read_info(out / "round_0" / "successes.hdf5")
    assert len(info["demos"]) == int(labels["success"].sum())  # each verified success recorded once
    plans = [read_demo(out / "round_0" / "successes.hdf5", n) for n in info["demos"]]
    assert all(d.success and d.obs["corner_image"].shape[1:] == (96, 128, 3) for d in plans)
    assert (out / "round_0" / "round.json").is_file()


def test_round_finetunes_on_its_successes_and_sets_the_next_sampling(run):
    out, docs, stages, _, _ = run
    doc = docs[0]
    assert doc["seeds"] == [1100, 1100] and doc["sampled_with"]["candidates"] == 2
    mon = doc["monitors"]
    labels = load_labels(out / "round_0" / "labels")
    assert mon["mean_success"]["k"] == int(labels["success"].sum()) and mon["pass_at_n"]["n"] == 1
    assert 0 <= mon["distinct_successes_per_start"] <= 2
    if doc["successes_recorded"]:
        assert "finetune video" in stages
        meta = json.loads((out / "round_0" / "video" / "model" / "plansight_train.json").read_text())
        assert meta["step"] == 2 and meta["config"]["init"] == "builtin:video_mw_64x48"
        assert doc["next"]["model"].endswith("video/model")
    n, g = doc["next"]["candidates"], doc["next"]["guidance"]
    assert n >= 2 and np.isfinite(g)
    assert doc["next"]["critic"] is None  # one start cannot train a critic: none is kept


def test_other_settings_are_refused_in_the_same_folder(run):
    out = run[0]
    with pytest.raises(ValueError, match="candidates"):
        improve(CFG.model_copy(update={"candidates": 3}), out, 1)
