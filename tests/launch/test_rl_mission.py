"""The bundled RL mission flies the shipped PPO waypoint policy to its goal."""

from __future__ import annotations

import json

import numpy as np

from plansight.launch.mission import load_mission
from plansight.launch.runner import fly


def test_the_shipped_waypoint_policy_reaches_the_missions_goal(tmp_path):
    m = load_mission("drone_rl_waypoint", {"duration_s": 6, "record": {"video": False}})
    result = fly(m, tmp_path)
    assert result.ok, result.status
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["collisions"] == 0 and metrics["distance_flown_m"] > 1.5  # start (-1.8, 0.27), goal (0, 0)
    assert np.isfinite(metrics["distance_flown_m"])
