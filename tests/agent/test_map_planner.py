"""The expert's planner on a known map: shortest paths keep the clearance and go round obstacles."""

import numpy as np

from plansight.agent.control.map_planner import occupancy_grid, path_length, plan_path

ROOM = {"size": (5.0, 5.0), "obstacles": [{"kind": "pole", "x": 0.0, "y": 0.0, "size": (0.3,), "yaw": 0.0},
                                          {"kind": "box", "x": 1.2, "y": 1.5, "size": (0.3, 0.2), "yaw": 0.5}]}


def test_path_goes_round_the_pole_with_clearance():
    start, goal = np.array([-2.0, 0.0]), np.array([2.0, 0.0])
    path = plan_path(ROOM, start, goal, clearances_m=(0.35,))
    assert path is not None and np.allclose(path[0], start) and np.allclose(path[-1], goal)
    assert 4.0 < path_length(path) < 4.6  # round the pole, not through it, and not a long detour
    fine = np.concatenate([np.linspace(a, b, 50) for a, b in zip(path[:-1], path[1:], strict=True)])
    assert np.hypot(fine[:, 0], fine[:, 1]).min() >= 0.3 + 0.35 - 0.06  # one cell of slack
    assert len(path) <= 5  # shortcut to its corners


def test_unreachable_goal_gives_none_and_walls_are_blocked():
    walled = {"size": (5.0, 5.0), "obstacles": [
        {"kind": "box", "x": 0.0, "y": 0.0, "size": (0.1, 2.5), "yaw": 0.0}]}  # a wall across the room
    assert plan_path(walled, np.array([-2.0, 0.0]), np.array([2.0, 0.0])) is None
    grid = occupancy_grid(ROOM, clearance_m=0.35)
    assert not grid.free[grid.cell((2.4, 0.0))] and grid.free[grid.cell((2.0, -1.0))]
