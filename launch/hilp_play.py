"""HILP's play data: scripted task-free flights, recorded as plansight flight logs (``agent/learning/flight_log``).

``play_flights`` flies them in the waypoint task's empty 8 × 8 m room (physics only, 50 Hz). Each flight cruises at
a speed drawn per flight (0.3–1 m/s) along a mean heading that drifts (a random walk) and turns back towards the
centre near the edge of the ±3 m goal area, with a smooth (Ornstein-Uhlenbeck-like) perturbation, holding a
target altitude drawn per leg in the goals' range (0.7–1.5 m); legs of 2–6 s alternate with rests of 1–2 s (the
drone decelerates to a stop and hovers). Commands are world-frame, turned into the task's body-frame action at the
drone's heading (``world_action_to_body``). Flight ``f`` uses the env seed ``seed · 100000 + f``, skipping the
evaluation seeds (``GOAL_SEEDS``). With ``same_room=False`` every flight is in a room of its own: the same
geometry, its own seeded wall, floor and ceiling textures (``sim/drone/model.py``).

``record_play`` writes each flight as ``play_<f>.h5`` (format ``plansight-flight-log-v1``), one frame every
``every`` steps (10 Hz by default): the left camera's RGB, SGBM stereo depth, ground-truth depth and the state,
rendered by a second, rendering ``DroneSim`` of the same room posed at the flown state (the physics-only task env
has no cameras). ``read_flight_states`` reads the states back for φ; ``read_flight_logs`` the images.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from plansight.agent.learning.flight_log import FlightLogWriter
from plansight.agent.shared.features import world_to_body
from plansight.sim.drone.views import rpy_to_quat

log = logging.getLogger(__name__)

GOAL_SEEDS = range(3000, 3050)
"""The zero-shot evaluation's waypoint seeds: no play flight uses them."""
CONTROL_HZ = 50.0  # one env step = 20 ms


def world_action_to_body(action: np.ndarray, yaw: float) -> np.ndarray:
    """(4,) world-frame action (x, y, z velocity and yaw rate, each in [−1, 1]) → (4,) float32 body-frame action at
    heading ``yaw`` (rad): a_body = R(−yaw) a_world for the horizontal part. The horizontal part is first clipped to
    the unit disk, so the reachable world velocities do not depend on the heading; z and yaw rate pass through."""
    a = np.clip(np.nan_to_num(np.asarray(action, np.float64).reshape(4)), -1.0, 1.0)
    a[:2] /= max(1.0, float(np.hypot(a[0], a[1])))
    out = np.concatenate([world_to_body(a[:3], yaw), a[3:]])
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def play_seeds(flights: int, seed: int = 0) -> list[int]:
    """The env seeds of ``flights`` play flights: ``seed · 100000 + f``, with the evaluation seeds left out."""
    out, s = [], seed * 100_000
    while len(out) < flights:
        if s not in GOAL_SEEDS:
            out.append(s)
        s += 1
    return out


def play_flights(flights: int = 100, steps: int = 750, seed: int = 0, same_room: bool = True
                 ) -> Iterator[tuple[int, np.ndarray]]:
    """Yields (room seed, states (n, 13) float32 ``DroneState`` vectors) per flight of at most ``steps`` env steps
    (see the module docstring); a flight that crashes ends there. The waypoint task's own goal is ignored."""
    from plansight.sim.drone.rl import make_task_env

    env = make_task_env("waypoint", max_steps=steps + 1, same_room=same_room)
    u = env.unwrapped
    scale_xy, scale_z = (float(v) for v in u.cfg.action_scale[1:3])  # m/s per unit of action, horizontal, vertical
    rng = np.random.default_rng(seed)
    dt = 1.0 / CONTROL_HZ
    try:
        for env_seed in play_seeds(flights, seed):
            _, info = env.reset(seed=env_seed)
            speed = rng.uniform(0.3, 1.0)  # m/s, cruise
            heading = rng.uniform(-math.pi, math.pi)  # rad, the mean heading of the current leg
            altitude = rng.uniform(0.7, 1.5)  # m, target
            resting, left = False, int(rng.uniform(2.0, 6.0) * CONTROL_HZ)  # steps left in the current phase
            noise = np.zeros(3)
            states = []
            for _ in range(steps):
                s = u.state
                if left <= 0:  # next phase: a rest after a leg, a new leg (heading, altitude) after a rest
                    resting = not resting
                    left = int(rng.uniform(*((1.0, 2.0) if resting else (2.0, 6.0))) * CONTROL_HZ)
                    if not resting:
                        heading, altitude = rng.uniform(-math.pi, math.pi), rng.uniform(0.7, 1.5)
                left -= 1
                heading += 0.6 * math.sqrt(dt) * rng.normal()  # drift: 0.6 rad/√s
                ahead = s.position[:2] + 1.0 * speed * np.array([math.cos(heading), math.sin(heading)])
                if np.any(np.abs(ahead) > 3.2):  # would leave the goal area within a second: turn towards the centre
                    heading = math.atan2(-s.position[1], -s.position[0]) + rng.uniform(-0.6, 0.6)
                noise = 0.9 * noise + 0.1 * rng.normal(size=3)
                a = np.zeros(4)
                a[2] = np.clip((altitude - s.position[2]) / scale_z, -1.0, 1.0)  # 1 m/s per m of error, capped
                if not resting:
                    a[:2] = speed / scale_xy * np.array([math.cos(heading), math.sin(heading)]) + noise[:2]
                    a[2] += 0.3 * noise[2]
                _, _, _, _, step_info = env.step(world_action_to_body(a, s.yaw))  # the task's success is ignored
                states.append(u.state.to_vector())
                if step_info["crashed"]:
                    break
            yield int(info["room_seed"]), np.asarray(states, np.float32)
    finally:
        env.close()


def collect_play(flights: int = 100, steps: int = 750, seed: int = 0, same_room: bool = True
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``play_flights`` concatenated: states (N, 13) float32 and terminals (N,) bool (each flight's last state)."""
    states, terminals = [], []
    for _, s in play_flights(flights, steps, seed, same_room):
        states.append(s)
        terminals.append(np.arange(len(s)) == len(s) - 1)
    return np.concatenate(states), np.concatenate(terminals)


class PlayRenderer:
    """A rendering ``DroneSim`` of the waypoint task's room: ``view(room_seed, state)`` poses the drone at a
    ``DroneState`` vector (13,) and returns the observation (left/right RGB, ground-truth depth)."""

    def __init__(self) -> None:
        from plansight.agent.perception.stereo import SgbmStereoDepth, StereoConfig
        from plansight.sim.drone.drone_sim import DroneSim
        from plansight.sim.drone.model import LEFT_CAMERA
        from plansight.sim.drone.rl.waypoint import WaypointConfig

        self.sim = DroneSim(WaypointConfig().sim.model_copy(update={"render": True, "ground_truth_depth": True}))
        self.camera = self.sim.cameras[LEFT_CAMERA]
        self.stereo = SgbmStereoDepth(StereoConfig(), self.camera)
        self._room: int | None = None

    def view(self, room_seed: int, state: np.ndarray):
        if self._room != room_seed:
            self.sim.reset(room_seed)
            self._room = room_seed
        s = np.asarray(state, np.float64)
        self.sim.set_pose(s[0:3], rpy_to_quat(*s[6:9]))
        return self.sim.observe()

    def close(self) -> None:
        self.sim.close()


def record_play(folder: Path, flights: int = 100, steps: int = 750, seed: int = 0, every: int = 5,
                same_room: bool = False) -> list[Path]:
    """Fly ``play_flights`` and write each as a flight log ``folder/play_<f>.h5``, one frame per ``every`` env steps
    (module docstring); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    renderer = PlayRenderer()
    cam, paths = renderer.camera, []
    try:
        for f, (room, states) in enumerate(play_flights(flights, steps, seed, same_room)):
            path = folder / f"play_{f:04d}.h5"
            writer = FlightLogWriter(path, cam, mission=f"hilp-play room={room}", ground_truth=True)
            for k in range(0, len(states), every):
                obs = renderer.view(room, states[k])
                st = renderer.stereo.estimate(obs)
                writer.add((k + 1) / CONTROL_HZ, obs.images[cam.name], st.depth, st.valid, states[k],
                           obs.depth[cam.name])
            paths.append(writer.close())
            if (f + 1) % 20 == 0:
                log.info("play flight %d/%d recorded", f + 1, flights)
    finally:
        renderer.close()
    return paths
