"""`plansight collect depth`: stereo-labelled views in training rooms, resumable, readable by retrain-depth."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from plansight.agent.learning.flight_log import read_flight_logs
from plansight.launch.collect_depth import collect_depth

REPO = Path(__file__).resolve().parents[2]


def test_collects_close_views_and_resumes(tmp_path):
    out = tmp_path / "views"
    s = collect_depth(out, [300, 301], ["default", "dense"], views=12, flight_s=0.4, every=5)
    assert s["frames"] == 2 * (12 + 4) and s["skipped"] == 0
    files = sorted(out.glob("*.h5"))
    assert [f.name for f in files] == ["room_default_00300.h5", "room_dense_00301.h5"]
    data = read_flight_logs(files)
    assert data["left"].shape == (32, 96, 128, 3)
    gt, valid = data["gt_depth"], data["stereo_valid"]
    assert (gt[:12] < 1.2).mean() > 0.05  # the views see near surfaces
    err = np.abs(data["stereo_depth"] - gt)[valid & (gt > 0.25)] / gt[valid & (gt > 0.25)]
    assert np.median(err) < 0.1  # the labels are stereo's, and stereo is right
    before = files[0].stat().st_mtime_ns
    s = collect_depth(out, [300, 301, 302], ["default", "dense"], views=12, flight_s=0.0)
    assert s["skipped"] == 2 and s["frames"] == 12 and files[0].stat().st_mtime_ns == before
    assert not list(out.glob("*.part"))


def test_held_out_rooms_and_bad_levels_are_refused(tmp_path):
    with pytest.raises(ValueError, match="held out"):
        collect_depth(tmp_path, [999, 1000], ["default"])
    r = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "collect", "depth", "--rooms", "5",
                        "--levels", "jungle", "--out", str(tmp_path)], capture_output=True, text=True, cwd=REPO,
                       timeout=120)
    assert r.returncode != 0 and "jungle" in r.stderr and "Traceback" not in r.stderr
