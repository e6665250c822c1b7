"""``plansight report RUN_DIR``: write a run folder's ``report.html`` again from what is on disk.

It works on a finished run (the page comes out as the run wrote it) and on one whose process was killed
(kill -9, power cut): ``metrics.json`` then still says ``running``, and the page says the run was
interrupted and gives what the recordings hold instead. What it reads, each optional:

- ``metrics.json`` (the figures), ``events.jsonl`` (every whole line; a torn last line is skipped);
- ``flight.h5`` (SWMR flight log: frames up to its last flush, the state of each: time, distance and the
  trajectory plot when the run did not get to draw one), ``room.json`` (the obstacles in that plot);
- ``flight.mp4`` or ``episode.mp4`` (fragmented MP4: decodable up to its last fragment; frames counted).

Nothing the run wrote is changed: only ``report.html`` (and ``trajectory.png`` when missing and a flight log
can draw it) are written, atomically.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from plansight.agent.shared.atomic import read_jsonl
from plansight.launch.report import plot_trajectory, write_report

log = logging.getLogger(__name__)

VIDEOS = ("flight.mp4", "episode.mp4")
PICTURES = {"poster": "episode.png", "trajectory": "trajectory.png", "time series": "timeseries.png",
            "plot": "hand.png", "depth colour scale": "depth_colorbar.png"}
OTHER_FILES = {"config": "mission.yaml", "events": "events.jsonl", "metrics": "metrics.json", "room": "room.json",
               "dataset": "flight.h5"}


class RunDirError(ValueError):
    """Not a run folder, or nothing in it can be read; the message says which."""


@dataclass
class RunReport:
    """What ``report_run`` wrote and found."""

    path: Path
    status: str
    interrupted: bool
    events: int
    recovered: dict[str, Any] = field(default_factory=dict)


def report_run(run_dir: str | Path) -> RunReport:
    """Write ``run_dir/report.html`` from the folder's files. Raises ``RunDirError``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir}: not a directory")
    if not any((run_dir / n).is_file() for n in ("metrics.json", "events.jsonl", "mission.yaml")):
        raise RunDirError(f"{run_dir}: not a run folder (no metrics.json, events.jsonl or mission.yaml)")
    metrics = _metrics(run_dir)
    title = str(metrics.get("mission", run_dir.name))
    events = read_jsonl(run_dir / "events.jsonl")
    status = str(metrics.get("status", "unknown"))
    interrupted = status == "running"
    recovered: dict[str, Any] = {}
    files = {label: name for label, name in OTHER_FILES.items() if (run_dir / name).is_file()}
    video = next((v for v in VIDEOS if (run_dir / v).is_file()), None)
    if video is not None:
        files["video"] = video
        recovered["video_frames_playable"] = _count_frames(run_dir / video)
    if (run_dir / "flight.h5").is_file():
        recovered.update(_flight_log(run_dir, draw=not (run_dir / "trajectory.png").is_file(), name=title))
    files.update({label: name for label, name in PICTURES.items() if (run_dir / name).is_file()})
    shown = dict(metrics)
    if interrupted:
        last_t = max((float(e["t"]) for e in events if isinstance(e.get("t"), int | float)), default=None)
        shown["status"] = ("interrupted: the run's process ended before it finished (killed or crashed); "
                           "figures below are recovered from its recordings")
        recovered["last_event_t_s"] = last_t
    shown.update({f"recovered_{k}": v for k, v in recovered.items() if not isinstance(v, list)})
    if video == "episode.mp4":  # an arm run
        from plansight.launch.arm_mission import PLOT_TITLE, VIDEO_TITLE

        titles = {"video_title": VIDEO_TITLE, "plot_title": PLOT_TITLE}
    else:
        titles = {"video_title": str(metrics.get("video_panels") or "Camera and depth")}
    write_report(run_dir / "report.html", title, shown, files, events=events, **titles)
    log.info("wrote %s", run_dir / "report.html")
    return RunReport(run_dir / "report.html", status, interrupted, len(events), recovered)


def _metrics(run_dir: Path) -> dict:
    path = run_dir / "metrics.json"
    if not path.is_file():
        return {"status": "unknown (no metrics.json)"}
    try:
        out = json.loads(path.read_text(errors="replace"))
    except (json.JSONDecodeError, OSError) as e:
        return {"status": f"unknown (metrics.json unreadable: {e})"}
    return out if isinstance(out, dict) else {"status": "unknown (metrics.json is not an object)"}


def _count_frames(path: Path) -> int | None:
    """Frames that decode, up to the first undecodable byte (a killed recorder's torn last fragment)."""
    import av

    n = 0
    try:
        with av.open(str(path)) as c:
            for _ in c.decode(video=0):
                n += 1
    except (av.error.FFmpegError, OSError, ValueError) as e:
        log.info("%s: %d frames decoded, then %s", path.name, n, e)
        if n == 0:
            return None
    return n


def _flight_log(run_dir: Path, draw: bool, name: str) -> dict[str, Any]:
    """Frames, duration and distance from ``flight.h5``'s states; the trajectory plot when asked."""
    from plansight.agent.learning.flight_log import open_flight_log

    try:
        with open_flight_log(run_dir / "flight.h5") as f:
            t = f["t"][()] if "t" in f else np.zeros(0)
            state = f["state"][()] if "state" in f else np.zeros((0, 13))
    except (OSError, KeyError, ValueError) as e:
        log.warning("flight.h5 unreadable: %s", e)
        return {"flight_log": f"unreadable ({type(e).__name__})"}
    n = min(len(t), len(state))
    if n == 0:
        return {"flight_log_frames": 0}
    xy = state[:n, :2]
    distance = float(np.linalg.norm(np.diff(xy, axis=0), axis=1).sum()) if n > 1 else 0.0
    out: dict[str, Any] = {"flight_log_frames": int(n), "flight_log_last_t_s": round(float(t[n - 1]), 2),
                           "flight_log_distance_m": round(distance, 2)}
    if draw:
        room = None
        if (run_dir / "room.json").is_file():
            try:
                room = json.loads((run_dir / "room.json").read_text())
            except (json.JSONDecodeError, OSError):
                room = None
        xyt = [(float(x), float(y), float(tt)) for (x, y), tt in zip(xy, t[:n], strict=True)]
        plot_trajectory(run_dir / "trajectory.png", room, xyt, title=f"{name}: {distance:.1f} m (recovered)")
    return out
