"""Drone tasks for reinforcement learning (Gymnasium envs on the MuJoCo quadrotor, physics only).

Registered ids (``gymnasium.make``, ``gymnasium.make_vec`` or SB3's ``make_vec_env``):

* ``plansight/DroneHover-v0`` (``hover.py``): hold a point, on state;
* ``plansight/DroneWaypoint-v0`` (``waypoint.py``): fly to a waypoint and stop, on state;
* ``plansight/DroneCrossing-v0`` (``crossing.py``): cross cluttered rooms on depth rays and state.

Action everywhere: (4,) in [−1, 1], body-frame velocity and yaw rate (``base.py``).
"""

import gymnasium

TASKS = {"hover": ("plansight/DroneHover-v0", "plansight.sim.drone.rl.hover:DroneHoverEnv"),
         "waypoint": ("plansight/DroneWaypoint-v0", "plansight.sim.drone.rl.waypoint:DroneWaypointEnv"),
         "crossing": ("plansight/DroneCrossing-v0", "plansight.sim.drone.rl.crossing:DroneCrossingEnv")}
"""task name → (Gymnasium id, entry point). Episodes end by the env's own ``max_steps`` (no ``TimeLimit``)."""

for _id, _entry in TASKS.values():
    if _id not in gymnasium.registry:
        gymnasium.register(id=_id, entry_point=_entry)


def make_task_env(task: str, **kwargs):
    """``gymnasium.make`` of a task by name (hover, waypoint, crossing); picklable for subprocess vector envs."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose from {', '.join(sorted(TASKS))}")
    return gymnasium.make(TASKS[task][0], **kwargs)
