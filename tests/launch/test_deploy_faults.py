"""Deploying to a real address: a confirmation (or --yes) before any take-off, and a drone that is not there is
reported as never reached, at once, instead of being 'landed' for 15 s."""

from __future__ import annotations

import json
import subprocess
import sys


def _deploy(*args, cwd):
    return subprocess.run([sys.executable, "-m", "plansight.launch.cli", "deploy", "ardrone_room", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120, stdin=subprocess.DEVNULL)


def test_a_real_take_off_needs_yes_off_a_terminal(tmp_path):
    r = _deploy("--host", "127.0.0.3", "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert r.returncode == 2 and "needs --yes" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "runs").exists()  # nothing started


def test_a_drone_that_is_not_there_is_never_reached(tmp_path):
    r = _deploy("--host", "127.0.0.3", "--yes", "--duration", "2", "--quiet", "--runs-dir", str(tmp_path),
                cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    (run_dir,) = tmp_path.glob("room_crossing_mono-*")
    kinds = [json.loads(line)["kind"] for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert "never_reached" in kinds and "timeout" not in kinds  # no landing wait for a drone never reached
