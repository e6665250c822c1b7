"""``plansight collect depth``: stereo-labelled images for monocular depth, in training rooms.

Per room seed, one flight log (``agent/learning/flight_log.py`` layout, so ``plansight retrain-depth`` reads it):

* ``views`` random poses (``sim/drone/views.py``): half of them look at a surface from 0.3–1.2 m, where
  avoidance flights seldom go;
* then ``flight_s`` seconds of the stereo avoidance flight from the room's start, every ``every``-th frame.

Every frame holds the left image, SGBM stereo depth and validity (the teacher) and the simulator's depth (for
evaluation only: ``retrain-depth`` trains on stereo). Rooms cycle through ``levels`` (room ``i`` of the list gets
level ``levels[i % len(levels)]``). A room's file is written as ``.part`` and renamed when complete, so a killed
collection resumes where it stopped and never leaves a half file under a final name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from plansight.agent.control.avoidance import AvoidanceConfig, ReactiveAvoidance
from plansight.agent.learning.flight_log import FlightLogWriter
from plansight.agent.perception.stereo import SgbmStereoDepth, StereoConfig
from plansight.sim.drone.config_drone import DroneSimConfig, StereoRigConfig
from plansight.sim.drone.drone_sim import DroneSim
from plansight.sim.drone.room import room_config
from plansight.sim.drone.views import sample_views

log = logging.getLogger(__name__)

HELD_OUT_ROOMS = range(1000, 1020)
"""Room seeds the drone benchmarks report on (eval-depth, avoidance levels, RL crossing): never collected."""


def room_log_path(out: Path, level: str, seed: int) -> Path:
    return out / f"room_{level}_{seed:05d}.h5"


def collect_room(path: Path, level: str, seed: int, views: int, flight_s: float, every: int, width: int,
                 height: int) -> int:
    """Write one room's log to ``path`` (via ``.part``); returns its frame count."""
    sim = DroneSim(DroneSimConfig(camera=StereoRigConfig(width=width, height=height), room=room_config(level)))
    part = path.with_suffix(".h5.part")
    try:
        sim.reset(seed)
        cam = sim.cameras["left"]
        stereo = SgbmStereoDepth(StereoConfig(), cam)
        writer = FlightLogWriter(part, cam, mission=f"collect-depth level={level} room={seed}", ground_truth=True)
        try:
            rng = np.random.default_rng(seed)
            for k, view in enumerate(sample_views(sim.layout, views, rng)):
                sim.set_pose(np.array(view.position), view.quat_wxyz())
                obs = sim.observe()
                st = stereo.estimate(obs)
                writer.add(float(k), obs.images["left"], st.depth, st.valid, sim.state().to_vector(),
                           obs.depth["left"])
            if flight_s > 0:
                sim.reset(seed)
                sim.takeoff()
                policy = ReactiveAvoidance(AvoidanceConfig(), cam)
                for k in range(round(flight_s / sim.dt)):
                    obs = sim.observe()
                    st = stereo.estimate(obs)
                    if k % every == 0:
                        writer.add(views + k * sim.dt, obs.images["left"], st.depth, st.valid,
                                   sim.state().to_vector(), obs.depth["left"])
                    sim.act(policy.act(obs, st))
            frames = writer.frames
        finally:
            writer.close()
        part.replace(path)
        return frames
    finally:
        sim.close()
        part.unlink(missing_ok=True)


def collect_depth(out: Path, rooms: Sequence[int], levels: Sequence[str], views: int = 100, flight_s: float = 20.0,
                  every: int = 5, width: int = 128, height: int = 96,
                  on_room: Callable[[int, int, Path, int], None] | None = None) -> dict:
    """Collect every room not yet in ``out``; returns {rooms, frames, skipped, files}."""
    held = sorted(set(rooms) & set(HELD_OUT_ROOMS))
    if held:
        raise ValueError(f"rooms {held[0]}… are held out for evaluation (1000-1019); collect in other rooms")
    if not levels:
        raise ValueError("give at least one room level")
    out.mkdir(parents=True, exist_ok=True)
    frames = skipped = 0
    files = []
    for i, seed in enumerate(rooms):
        level = levels[i % len(levels)]
        path = room_log_path(out, level, seed)
        if path.exists():
            skipped += 1
        else:
            n = collect_room(path, level, seed, views, flight_s, every, width, height)
            frames += n
            log.info("room %s/%d: %d frames", level, seed, n)
        files.append(path)
        if on_room is not None:
            on_room(i + 1, len(rooms), path, frames)
    return {"rooms": len(rooms), "frames": frames, "skipped": skipped, "files": [str(p) for p in files]}
