"""The demo mission (`make demo`): 60 s in a seeded room, at least 20 m, no collisions."""

from pathlib import Path

from plansight.launch.mission import load_mission
from plansight.launch.runner import fly

MISSION = Path(__file__).resolve().parents[2] / "launch" / "missions" / "drone_room_stereo.yaml"


def test_demo_mission_crosses_the_room_without_collisions(tmp_path, measured):
    mission = load_mission(MISSION, {"record": {"video": False}})
    result = fly(mission, tmp_path)
    m = result.metrics
    measured["demo mission (seed 0, 60 s)"] = (
        f"{m['distance_flown_m']:.1f} m, {m['collisions']} collisions, "
        f"stereo AbsRel {m['stereo_depth_abs_rel']:.3f}, wall {m['wall_time_s']} s")
    assert result.ok
    assert m["flight_time_s"] >= 60.0
    assert m["distance_flown_m"] >= 20.0
    assert m["collisions"] == 0
