"""Persistent-SSL missions, flight logs, `retrain-depth` and `eval-depth`, end to end on CPU."""

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from plansight.launch.mission import load_mission
from plansight.launch.runner import fly

REPO = Path(__file__).resolve().parents[2]
MISSION = REPO / "launch" / "missions" / "drone_room_persistent.yaml"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plansight.launch.cli", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=600)


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory):
    """A 4 s persistent-SSL flight that records flight.h5 and learns online."""
    runs = tmp_path_factory.mktemp("runs")
    m = load_mission(MISSION, {"duration_s": 4, "record": {"video": True, "video_every": 10, "dataset": True,
                                                           "dataset_every": 4},
                               "perception": {"type": "persistent_ssl",
                                              "learner": {"steps_per_second": 10, "batch_size": 4, "min_buffer": 8},
                                              "switch": {"strategy": "persistent"}}})
    result = fly(m, runs)
    assert result.ok, result.status
    return result


def test_persistent_mission_writes_learning_artifacts(recorded_run):
    run = recorded_run.run_dir
    for name in ("depth.safetensors", "depth.json", "depth_learning_curve.png", "phase_timeline.png", "flight.h5",
                 "flight.mp4", "metrics.json"):
        assert (run / name).stat().st_size > 0, name
    m = json.loads((run / "metrics.json").read_text())
    assert m["strategy"] == "persistent" and m["train_steps"] > 0
    assert m["stereo_depth_abs_rel"] is not None
    assert m["stereo_depth_abs_rel_by_minute"] == [pytest.approx(m["stereo_depth_abs_rel"], abs=1e-4)]  # 4 s: minute 0
    assert "mono_depth_abs_rel" in m and m["mono_valid_fraction"] is not None  # None: no confident pixel yet
    assert m["mono_flight_fraction"] > 0.5  # persistent flies on mono unless stereo overrides
    assert m["stereo_overrides"] == sum(1 for line in (run / "events.jsonl").read_text().splitlines()
                                        if json.loads(line)["kind"] == "stereo_override")
    with h5py.File(run / "flight.h5") as f:
        assert f.attrs["format"] == "plansight-flight-log-v1"
        n = len(f["t"])
        assert n == 4 * 50 // 4
        assert f["left"].shape == (n, 96, 128, 3) and f["stereo_valid"].dtype == bool
        assert f["gt_depth"].shape == (n, 96, 128) and f["state"].shape == (n, 13)
        assert np.all(np.diff(f["t"][()]) > 0)


def test_retrain_depth_from_a_log_then_resume(recorded_run, tmp_path):
    log = recorded_run.run_dir / "flight.h5"
    ckpt = tmp_path / "depth.safetensors"
    r = _cli("retrain-depth", str(log), "--out", str(ckpt), "--steps", "6", "--batch-size", "4")
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(ckpt.with_suffix(".json").read_text())["step"] == 6
    r = _cli("retrain-depth", str(log), "--out", str(ckpt), "--steps", "3", "--batch-size", "4", "--resume", str(ckpt))
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(ckpt.with_suffix(".json").read_text())["step"] == 9
    out = tmp_path / "eval.json"
    r = _cli("eval-depth", "--checkpoint", str(ckpt), "--rooms", "1000", "--seconds", "2", "--every", "25",
             "--json", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(out.read_text())
    assert res["frames"] == 4 and res["train_step"] == 9
    for name in ("mono", "mono_on_stereo_valid", "stereo"):
        assert set(res[name]) >= {"abs_rel", "rmse_m", "delta_1.25"}
    assert res["stereo"]["abs_rel"] < 0.2
    lo, hi = res["ratio_ci95"]["metric"]
    assert lo <= res["mono_to_stereo_abs_rel_ratio"] <= hi


def test_retrain_depth_new_shape_and_loss(recorded_run, tmp_path):
    log = recorded_run.run_dir / "flight.h5"
    ckpt = tmp_path / "wide.safetensors"
    r = _cli("retrain-depth", str(log), "--out", str(ckpt), "--steps", "2", "--batch-size", "2",
             "--channels", "8,16,24,32,48", "--loss", "l1_log")
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(ckpt.with_suffix(".json").read_text())["config"]["net"]["channels"] == [8, 16, 24, 32, 48]
    r = _cli("retrain-depth", str(log), "--out", str(ckpt), "--steps", "1", "--resume", str(ckpt),
             "--channels", "16,32,48,64,96")
    assert r.returncode == 2 and "holds a network of channels [8, 16, 24, 32, 48]" in r.stderr
    for bad, msg in ((["--channels", "16,x"], "--channels: '16,x'"), (["--channels", "16,0"], "--channels: '16,0'"),
                     (["--loss", "l2"], "--loss:")):
        r = _cli("retrain-depth", str(log), "--out", str(tmp_path / "x.safetensors"), "--steps", "1", *bad)
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr, r.stderr[-500:]


def test_bad_inputs_are_clear_errors(recorded_run, tmp_path):
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(500))
    r = _cli("retrain-depth", str(corrupt), "--out", str(tmp_path / "x.safetensors"), "--steps", "1")
    assert r.returncode == 2 and "unreadable flight log" in r.stderr and "Traceback" not in r.stderr

    small = tmp_path / "small.h5"
    with h5py.File(small, "w") as f:
        f.attrs.update(format="plansight-flight-log-v1", width=64, height=48)
        f["left"] = np.zeros((2, 48, 64, 3), np.uint8)
        f["stereo_depth"] = np.ones((2, 48, 64), np.float32)
        f["stereo_valid"] = np.ones((2, 48, 64), bool)
    r = _cli("retrain-depth", str(small), "--out", str(tmp_path / "x.safetensors"), "--steps", "1")
    assert r.returncode == 2 and "images are 64x48, the network expects 128x96" in r.stderr

    missing = tmp_path / "nope.safetensors"
    r = _cli("retrain-depth", str(recorded_run.run_dir / "flight.h5"), "--resume", str(missing), "--steps", "1")
    assert r.returncode == 2 and "checkpoint not found" in r.stderr
    r = _cli("eval-depth", "--checkpoint", str(missing))
    assert r.returncode == 2 and "checkpoint not found" in r.stderr and "Traceback" not in r.stderr


def test_mission_with_mismatched_network_size_fails_cleanly(tmp_path):
    raw = yaml.safe_load(MISSION.read_text())
    raw["perception"]["net"] = {"width": 64, "height": 64}
    raw["duration_s"] = 1
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(raw))
    result = fly(load_mission(p), tmp_path)
    assert not result.ok and "mono network is 64x64 but camera 'left' is 128x96" in result.status
    assert (result.run_dir / "metrics.json").exists()


def test_a_killed_retrain_keeps_its_last_checkpoint_and_the_next_run_cleans_up(recorded_run, tmp_path):
    import os
    import signal
    import time

    from plansight.agent.learning.checkpoint import read_meta

    log, ckpt = recorded_run.run_dir / "flight.h5", tmp_path / "depth.safetensors"
    proc = subprocess.Popen([sys.executable, "-m", "plansight.launch.cli", "retrain-depth", str(log), "--out",
                             str(ckpt), "--steps", "100000", "--batch-size", "2", "--checkpoint-every", "5"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        deadline = time.monotonic() + 120
        while not ckpt.with_suffix(".json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    step = read_meta(ckpt)["step"]
    assert step >= 5  # read_meta opened it: a whole checkpoint, never a torn one
    orphan = tmp_path / ".depth.safetensors.k1ll3d.part"
    orphan.write_bytes(b"\0" * 1000)  # what a kill during a save leaves
    r = _cli("retrain-depth", str(log), "--out", str(ckpt), "--steps", "2", "--batch-size", "2", "--resume", str(ckpt))
    assert r.returncode == 0, r.stderr[-2000:]
    assert read_meta(ckpt)["step"] == step + 2 and not orphan.exists()
