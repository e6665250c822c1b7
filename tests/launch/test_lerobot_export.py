"""The LeRobot export gives LeRobot the same proprioception our policies read, and refuses bad paths in one line
(the export itself runs in LeRobot's venv, `make lerobot-data`; LeRobot is not installed here)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from plansight.agent.learning.policy_data import proprio_from_state
from plansight.launch.lerobot import export_dataset


def test_exported_state_is_our_proprio():
    state = np.random.default_rng(0).normal(size=(12, 39))
    assert np.allclose(export_dataset.proprio(state), proprio_from_state(state))
    assert export_dataset.seeds_of("10-12") == {10, 11, 12} and export_dataset.seeds_of("3,5") == {3, 5}
    assert export_dataset.seeds_of(None) is None


def test_bad_paths_give_one_line(tmp_path):
    script = export_dataset.__file__
    res = subprocess.run([sys.executable, script, "--data", str(tmp_path / "none.hdf5"), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True)
    assert res.returncode != 0 and res.stderr.strip() == f"--data: {tmp_path / 'none.hdf5'}: file not found"
    (tmp_path / "d.hdf5").write_bytes(b"")
    (tmp_path / "o").mkdir()
    res = subprocess.run([sys.executable, script, "--data", str(tmp_path / "d.hdf5"), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True)
    assert res.returncode != 0 and "exists" in res.stderr and len(res.stderr.strip().splitlines()) == 1
