"""``plansight collect drone``: the privileged expert's flights to goals in training rooms, a drone video
model's data.

Per room seed, one flight of ``drone_goal_expert`` (the map expert flying to the mission's landmark) recorded as a
flight log (``agent/learning/flight_log.py`` layout: left RGB, SGBM stereo depth and validity, the simulator's
depth, the 13-d state with the pose, every ``every``-th control step), with the task in its attributes:

    task            the goal's landmark name (the video model's task)
    success         whether the goal was reached with 0 collisions
    t_reached_s     when it was reached (seconds since reset; -1 when not)
    t_takeoff_s     when the take-off ended (frames before it show the climb, not the flight)
    room_seed

``agent/learning/video_clips.py`` reads such a folder as video clips (``plansight train video --data FOLDER``).
A room's file is written as ``.part`` and renamed when complete, so a killed collection resumes where it
stopped. The tuning rooms of the goal benchmark (500–519) and the held-out rooms (1000–1019) are refused.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import h5py

from plansight.launch.collect_depth import HELD_OUT_ROOMS

log = logging.getLogger(__name__)

GOAL_TUNING_ROOMS = range(500, 520)
"""Rooms the goal pilots are tuned in (bench/drone_goals.py): never collected either."""


def room_path(out: Path, seed: int) -> Path:
    return out / f"goal_room_{seed:05d}.h5"


def collect_room(path: Path, seed: int, mission: str = "drone_goal_expert", every: int = 5,
                 sets: Sequence[str] = ()) -> dict:
    """Fly ``mission`` in room ``seed`` with the flight log on and write it to ``path`` (via ``.part``); the flight's
    goal metrics."""
    from plansight.launch.mission import load_mission
    from plansight.launch.runner import fly

    m = load_mission(mission, {"seed": seed},
                     ["record.video=false", "record.dataset=true", f"record.dataset_every={every}", *sets])
    if m.task is None:
        raise ValueError(f"mission {mission}: has no task: (collect drone records flights to a goal)")
    part = path.with_suffix(".h5.part")
    with tempfile.TemporaryDirectory() as tmp:
        res = fly(m, tmp)
        if res.status != "completed":
            raise RuntimeError(f"room {seed}: the expert's flight ended with {res.status}")
        events = [json.loads(line) for line in (res.run_dir / "events.jsonl").read_text().splitlines() if line]
        t_takeoff = next((e["t"] for e in events if e["kind"] == "takeoff"), 0.0)
        t_reached = next((e["t"] for e in events if e["kind"] == "goal_reached"), -1.0)
        shutil.move(res.run_dir / "flight.h5", part)
    try:
        with h5py.File(part, "a") as f:
            f.attrs.update(task=m.task.goal, success=bool(res.metrics.get("success")), t_reached_s=float(t_reached),
                           t_takeoff_s=float(t_takeoff), room_seed=seed)
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    return {"seed": seed, "success": bool(res.metrics.get("success")),
            "time_to_goal_s": res.metrics.get("time_to_goal_s")}


def collect_drone(out: Path, seeds: Sequence[int], mission: str = "drone_goal_expert", every: int = 5,
                  sets: Sequence[str] = (), on_room: Callable[[int, int, dict], None] | None = None) -> dict:
    """Collect every room of ``seeds`` not already in ``out``; a summary (rooms, skipped, successes)."""
    bad = sorted(set(seeds) & (set(HELD_OUT_ROOMS) | set(GOAL_TUNING_ROOMS)))
    if bad:
        raise ValueError(f"rooms {bad[0]}..{bad[-1]} are tuning (500-519) or held-out (1000-1019) rooms: choose "
                         "training rooms, e.g. 0-199")
    out.mkdir(parents=True, exist_ok=True)
    done = skipped = ok = 0
    for k, seed in enumerate(seeds):
        path = room_path(out, seed)
        if path.is_file():
            skipped += 1
            continue
        r = collect_room(path, seed, mission, every, sets)
        done += 1
        ok += r["success"]
        log.info("room %d: %s", seed, "reached" if r["success"] else "missed")
        if on_room is not None:
            on_room(k + 1, len(seeds), r)
    return {"rooms": done, "skipped": skipped, "successes": ok, "out": str(out)}
