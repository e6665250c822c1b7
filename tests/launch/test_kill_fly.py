"""kill -9 in the middle of a flight: the video plays up to its last fragment, the flight log opens with every
frame up to its last flush, metrics.json and events.jsonl parse, and a later ``plansight report RUN_DIR``
writes the report."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import av

from plansight.agent.learning.flight_log import read_flight_logs


def test_a_killed_flight_keeps_its_recordings(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "plansight.launch.cli", "fly", "drone_room_stereo", "--duration",
                             "60", "--quiet", "--runs-dir", str(tmp_path), "--set", "record.dataset=true"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 240
        run = None
        while time.monotonic() < deadline:
            runs = list(tmp_path.glob("drone_room_stereo-*"))
            run = runs[0] if runs else None
            if run is not None and (run / "metrics.json").exists() and (run / "flight.mp4").exists() \
                    and (run / "flight.mp4").stat().st_size > 20_000:
                break
            time.sleep(0.2)
        assert run is not None and proc.poll() is None, "the flight ended or never started"
        time.sleep(random.uniform(0.0, 2.0))  # a random moment: mid-frame, mid-flush, mid-fragment
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with av.open(str(run / "flight.mp4")) as c:
        frames = sum(1 for _ in c.decode(video=0))
    assert frames >= 10
    log = read_flight_logs([run / "flight.h5"])
    assert len(log["left"]) >= 25  # at least one flush (every 25 frames) made it to disk
    assert json.loads((run / "metrics.json").read_text())["status"] == "running"
    kinds = [json.loads(line)["kind"] for line in (run / "events.jsonl").read_text().splitlines() if line.strip()]
    assert "takeoff" in kinds
    report = subprocess.run([sys.executable, "-m", "plansight.launch.cli", "report", str(run)], capture_output=True,
                            text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    assert "interrupted run" in report.stdout and "flight_log_frames" in report.stdout
    page = (run / "report.html").read_text()
    assert "interrupted" in page and "flight.mp4" in page and "takeoff" in page
    assert (run / "trajectory.png").stat().st_size > 1000
