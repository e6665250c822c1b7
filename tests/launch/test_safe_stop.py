"""A vehicle that can neither land nor cut its motors (e.g. a simulator server killed mid-mission): both failures
are events in events.jsonl, not only console lines."""

from __future__ import annotations

import json

from plansight.launch.rundir import EventLog
from plansight.launch.runner import _safe_stop


class _Gone:
    """A flyer whose link is gone: every call raises, as an AirSim adapter does once its server is killed."""

    dt = 0.02

    def act(self, cmd):
        raise ConnectionError("server closed the connection")

    def land(self):
        raise ConnectionError("server closed the connection")

    def emergency(self):
        raise ConnectionError("server closed the connection")


def test_landing_and_emergency_failures_are_events(tmp_path):
    log = EventLog(tmp_path / "events.jsonl")
    _safe_stop(_Gone(), hover_first=True, events=log, t=12.5)
    log.close()
    rows = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [r["kind"] for r in rows] == ["landing_failed", "emergency_failed"]
    assert all(r["t"] == 12.5 and "ConnectionError" in r["error"] for r in rows)
