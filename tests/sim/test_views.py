"""Random views in a room (sim/drone/views.py): geometry on synthetic rooms, rendering in a real one."""

import math

import numpy as np
import pytest

from plansight.sim.drone.room import Obstacle, RoomLayout, generate_room, room_config
from plansight.sim.drone.views import View, clearance, obstacle_distance, sample_views


def _room(*obstacles: Obstacle) -> RoomLayout:
    return RoomLayout((5.0, 5.0), 2.6, tuple(obstacles), (-1.8, 0.0), 0.0, 0)


def test_distances_to_poles_boxes_and_walls():
    pole = Obstacle("pole", 1.0, 0.0, (0.2,), 0.0, 2.6)
    assert obstacle_distance(pole, 2.0, 0.0) == pytest.approx(0.8)
    assert obstacle_distance(pole, 1.0, 0.1) < 0  # inside
    box = Obstacle("box", 0.0, 0.0, (0.5, 0.2), math.pi / 2, 1.0)  # rotated: long side along y
    assert obstacle_distance(box, 0.0, 1.5) == pytest.approx(1.0)
    assert obstacle_distance(box, 1.2, 0.0) == pytest.approx(1.0)
    assert obstacle_distance(box, 0.0, 0.0) < 0
    assert clearance(_room(pole), 2.4, 0.0) == pytest.approx(0.1)  # the +x wall is nearer than the pole
    assert clearance(_room(pole), 1.5, 0.0) == pytest.approx(0.3)


def test_views_keep_clearance_and_half_look_at_something_near():
    layout = generate_room(room_config("dense"), 7)
    views = sample_views(layout, 400, np.random.default_rng(0), min_clearance_m=0.3)
    assert len(views) == 400
    assert all(clearance(layout, v.position[0], v.position[1]) >= 0.3 for v in views)
    assert all(0.4 <= v.position[2] <= layout.height - 0.3 for v in views)
    assert all(abs(v.rpy[0]) <= 0.14 and abs(v.rpy[1]) <= 0.14 for v in views)
    near = sum(clearance(layout, v.position[0], v.position[1]) < 1.2 for v in views)
    assert near > 0.4 * len(views)
    q = View((0.0, 0.0, 1.0), (0.0, 0.0, math.pi / 2)).quat_wxyz()
    assert q == pytest.approx([math.cos(math.pi / 4), 0.0, 0.0, math.sin(math.pi / 4)])
