import math

import pytest

from plansight.sim.drone.config_drone import RoomConfig
from plansight.sim.drone.room import generate_room


def test_same_seed_same_layout_and_seeds_differ():
    a, b, c = generate_room(RoomConfig(), 5), generate_room(RoomConfig(), 5), generate_room(RoomConfig(), 6)
    assert a == b
    assert a.obstacles != c.obstacles


@pytest.mark.parametrize("seed", range(20))
def test_layout_respects_gaps_and_start_clearance(seed):
    cfg = RoomConfig()
    room = generate_room(cfg, seed)
    assert len(room.obstacles) == cfg.n_poles + cfg.n_boxes
    sx, sy = cfg.size_m
    for i, o in enumerate(room.obstacles):
        r = o.footprint_radius
        assert abs(o.x) + r + cfg.min_gap_m <= sx / 2 + 1e-9
        assert abs(o.y) + r + cfg.min_gap_m <= sy / 2 + 1e-9
        assert math.hypot(o.x - room.start_xy[0], o.y - room.start_xy[1]) >= cfg.start_clearance_m + r
        for p in room.obstacles[i + 1:]:
            assert math.hypot(o.x - p.x, o.y - p.y) >= r + p.footprint_radius + cfg.min_gap_m


def test_impossible_room_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot hold 40 poles"):
        generate_room(RoomConfig(n_poles=40, n_boxes=0), 0)
