"""Contact detection: crashes into walls and obstacles are detected, counted once and reported."""

from plansight.agent.contracts import DroneCommand
from plansight.sim.drone.config_drone import DroneSimConfig, RoomConfig
from plansight.sim.drone.drone_sim import DroneSim


def _empty_room_sim():
    sim = DroneSim(DroneSimConfig(render=False, room=RoomConfig(n_poles=0, n_boxes=0)))
    sim.reset(0)
    assert sim.takeoff()
    return sim


def test_flying_into_a_wall_is_one_collision():
    sim = _empty_room_sim()
    sim.observe()
    for _ in range(round(8 / sim.dt)):  # start faces +x, the wall is ~4.3 m ahead; keep pushing
        sim.act(DroneCommand(vx=1.0))
    events = [e for e in sim.observe().events if e.kind == "collision"]
    assert sim.collisions == 1, events
    assert events[0].data["with"] == "wall_px"
    assert events[0].data["speed_mps"] > 0.3
    assert sim.data.qpos[0] > 2.0


def test_hover_in_free_space_has_no_collisions():
    sim = _empty_room_sim()
    for _ in range(100):
        sim.act(DroneCommand())
    assert sim.collisions == 0


def test_hitting_an_obstacle_names_it():
    sim = DroneSim(DroneSimConfig(render=False, room=RoomConfig(n_poles=1, n_boxes=0, start_clearance_m=0.5)))
    sim.reset(0)
    pole = sim.layout.obstacles[0]
    sim.takeoff()
    # aim straight at the pole, then fly
    import math
    x, y = sim.data.qpos[0], sim.data.qpos[1]
    bearing = math.atan2(pole.y - y, pole.x - x)
    for _ in range(round(abs(bearing) / 1.0 / sim.dt)):
        sim.act(DroneCommand(yaw_rate=math.copysign(1.0, bearing)))
    for _ in range(round(10 / sim.dt)):
        sim.act(DroneCommand(vx=0.8))
        if sim.collisions:
            break
    hits = [e for e in sim.observe().events if e.kind == "collision"]
    assert hits and hits[0].data["with"] == "obstacle0"


def test_landing_is_not_a_collision():
    sim = _empty_room_sim()
    assert sim.land()
    assert sim.collisions == 0
