"""The mission runner: builds the parts a mission names, flies it and fills the run folder.

Loop, once per control period ``dt``::

    obs = embodiment.observe()          # stereo pair, state, events since the last step
    depth = perception.estimate(obs)    # metric depth + validity for the left camera
    cmd = policy.act(obs, depth)        # body-frame DroneCommand
    embodiment.act(cmd)                 # through the safety envelope (SafeFlyer)

Run folder: ``mission.yaml`` (resolved config), ``room.json``, ``events.jsonl`` (appended as they
happen), ``metrics.json`` (rewritten atomically every few seconds and at the end), ``flight.mp4``
(left camera, every named depth estimate, ground truth), ``trajectory.png`` and ``report.html``;
``flight.h5`` when ``record.dataset`` is on; and whatever a ``RunParticipant`` part adds (the
persistent-SSL perception adds its checkpoint, learning curve and cue timeline). Any fault — an
exception, Ctrl-C — puts the vehicle in a safe state (hover, then land) before the files are
finalised.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from plansight.agent.contracts import (
    CameraModel,
    DepthEstimate,
    DepthEstimator,
    DroneCommand,
    DronePolicy,
    DroneState,
    Event,
    GoalSeeker,
    Observation,
    RunParticipant,
)
from plansight.agent.control.safety import SafeFlyer
from plansight.agent.learning.flight_log import FlightLogWriter
from plansight.agent.shared.atomic import read_jsonl
from plansight.launch.goal_task import GoalTracker, make_goal, true_position
from plansight.launch.metrics import FlightMetrics
from plansight.launch.mission import Mission
from plansight.launch.registry import build
from plansight.launch.report import plot_depth_colorbar, plot_series, plot_trajectory, write_report
from plansight.launch.rundir import EventLog, make_run_dir, write_atomic, write_json
from plansight.launch.video import VideoRecorder, compose, depth_panel

log = logging.getLogger(__name__)

_METRICS_EVERY_S = 5.0
_SERIES = ("t", "speed [m/s]", "altitude [m]", "command vx [m/s]", "command yaw rate [rad/s]",
           "AbsRel of the depth flown on")
_QUIET_EVENTS = {"safety_clip"}  # too frequent to mark on the time plot
_HOVER_BEFORE_LAND_S = 0.5

StepCallback = Callable[[int, int, dict], None]


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    metrics: dict
    status: str

    @property
    def ok(self) -> bool:
        return self.status == "completed"


@dataclass
class _Flight:
    """What one mission run holds while it flies (built by ``fly``, filled by ``_prepare``)."""

    mission: Mission
    run_dir: Path
    embodiment: SafeFlyer
    events: EventLog
    metrics: FlightMetrics
    video: VideoRecorder | None
    wall0: float = field(default_factory=time.perf_counter)
    room: dict | None = None
    cam: CameraModel | None = None
    perception: DepthEstimator | None = None
    policy: DronePolicy | None = None
    participants: list[RunParticipant] = field(default_factory=list)
    dataset: FlightLogWriter | None = None
    goal: GoalTracker | None = None
    planner: object | None = None
    obs: Observation | None = None
    next_flush: float = _METRICS_EVERY_S
    series: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in _SERIES})
    panels: str = ""  # what the video's panels show, left to right


def fly(mission: Mission, runs_root: str | Path = "runs", on_step: StepCallback | None = None) -> RunResult:
    """Fly ``mission`` and return where its files are and what it measured."""
    run_dir = make_run_dir(runs_root, mission.name)
    write_atomic(run_dir / "mission.yaml",
                 lambda f: yaml.safe_dump(mission.model_dump(mode="json"), f, sort_keys=False))
    events = EventLog(run_dir / "events.jsonl")
    metrics = FlightMetrics(max_depth_m=mission.perception.max_depth_m)
    try:
        embodiment = SafeFlyer(build("embodiment", mission.embodiment), mission.safety)
    except Exception as e:  # e.g. a remote simulator that is not there: the run folder says so, no traceback
        return _not_started(run_dir, mission, events, e)
    rec = mission.record
    video = VideoRecorder(run_dir / "flight.mp4", fps=1.0 / (embodiment.dt * rec.video_every)) if rec.video else None
    flight = _Flight(mission, run_dir, embodiment, events, metrics, video)
    status = "completed"
    try:
        _prepare(flight)
        n_steps = max(1, round(mission.duration_s / embodiment.dt))
        for k in range(n_steps):
            if _step(flight, k):
                break
            if on_step is not None:
                on_step(k + 1, n_steps, {"distance_m": metrics.distance_m, "collisions": metrics.collisions})
    except KeyboardInterrupt:
        status = "interrupted"
        log.warning("interrupted: hovering, then landing")
    except Exception as e:  # any fault: safe state first, then report
        status = f"aborted: {type(e).__name__}: {e}"
        log.error("mission fault (%s): hovering, then landing", e)
    finally:
        extra = _wind_down(flight, status)
        files, result = _finalise(run_dir, mission, metrics, embodiment, status, flight.wall0, video, flight.room,
                                  events, extra, flight)
    log.info("run folder %s: %s", run_dir, files)
    return RunResult(run_dir=run_dir, metrics=result, status=status)


def _prepare(f: _Flight) -> None:
    """Reset, write the room, build perception and policy on the mission's camera, start participants and the
    flight log, take off."""
    m, emb = f.mission, f.embodiment
    f.obs = emb.reset(m.seed)
    f.room = f.obs.info.get("room")
    if f.room is not None:
        write_json(f.run_dir / "room.json", f.room)
    _log_events(f.obs, f.events, f.metrics)
    cam_name = m.perception.camera or next(iter(emb.cameras))
    if cam_name not in emb.cameras:
        raise ValueError(f"perception.camera {cam_name!r} does not exist here; cameras: {list(emb.cameras)}")
    f.cam = emb.cameras[cam_name]
    f.perception = build("perception", m.perception, f.cam)
    f.policy = build("policy", m.policy, f.cam)
    f.policy.reset()
    if m.planner is not None:
        f.planner = build("drone_planner", m.planner, f.cam)
        f.policy.set_planner(f.planner)
    if m.task is not None:
        goal = make_goal(m.task, f.room)
        if isinstance(f.policy, GoalSeeker):
            f.policy.set_goal(goal)
        f.goal = GoalTracker(m.task, goal, true_position(f.obs)[:2])
    f.participants = [p for p in (f.perception, f.policy, emb.inner) if isinstance(p, RunParticipant)]
    for p in f.participants:
        p.start_run(f.run_dir)
    if m.record.dataset:
        f.dataset = FlightLogWriter(f.run_dir / "flight.h5", f.cam, m.name, ground_truth=True)
    if not emb.takeoff():
        raise RuntimeError("take-off failed")


def _step(f: _Flight, k: int) -> bool:
    """One control period: observe, score depth against ground truth, act, record, refresh metrics; True when
    the mission is over (its goal reached, with ``task.stop_on_success``)."""
    emb, metrics, cam = f.embodiment, f.metrics, f.cam
    obs = f.obs = emb.observe()
    state = DroneState.from_vector(obs.state)
    metrics.add_state(obs.t, state, emb.dt)
    _log_events(obs, f.events, metrics)
    if f.goal is not None and f.goal.update(obs, metrics.collisions) and f.mission.task.stop_on_success:
        f.events.write(Event(obs.t, "goal_reached", {"goal": f.goal.goal.name,
                                                      "distance_m": round(f.goal.distance_m, 3)}))
        return True
    depth = f.perception.estimate(obs)
    named = getattr(f.perception, "estimates", None) or {"stereo": depth}
    gt = obs.depth.get(cam.name)
    err = None  # the error of the estimate flown on, for the time series
    if gt is not None:
        for name, est in named.items():
            scored = metrics.add_depth(name, est, gt, obs.t)
            if est is depth:
                err = scored
    for p in f.participants:
        for e in p.drain_events():
            f.events.write(e)
    cmd = f.policy.act(obs, depth)
    emb.act(cmd)
    for key, value in zip(_SERIES, (obs.t, float(np.hypot(*state.velocity[:2])), float(state.position[2]),
                                    cmd.vx, cmd.yaw_rate, err["abs_rel"] if err else float("nan")), strict=True):
        f.series[key].append(value)
    _record(f, k, obs, state, depth, named, gt)
    if obs.t >= f.next_flush:
        write_json(f.run_dir / "metrics.json", _metrics(f.mission, metrics, emb, "running", f.wall0))
        f.next_flush += _METRICS_EVERY_S
    return False


def _record(f: _Flight, k: int, obs: Observation, state: DroneState, depth: DepthEstimate,
            named: dict[str, DepthEstimate], gt: np.ndarray | None) -> None:
    """The flight log's row and the video's frame for step ``k``, each at its own rate."""
    rec, cam = f.mission.record, f.cam
    if f.dataset is not None and k % rec.dataset_every == 0 and "stereo" in named:
        st = named["stereo"]
        f.dataset.add(obs.t, obs.images[cam.name], st.depth, st.valid, obs.state, gt)
    if f.video is not None and k % rec.video_every == 0:
        panels = [obs.images[cam.name], *(depth_panel(e.depth, e.valid) for e in named.values())]
        if gt is not None:
            panels.append(depth_panel(gt, None))
        speed = float(np.hypot(*state.velocity[:2]))
        labels = " | ".join([*named, *(["truth"] if gt is not None else [])])
        f.panels = f"{cam.name} camera | " + " | ".join(f"{n} depth" for n in named) + (
            " | ground-truth depth" if gt is not None else "") + " (near = red, invalid = black)"
        f.video.add(compose(panels, rec.video_scale,
                            f"t={obs.t:5.1f}s v={speed:.2f}m/s hits={f.metrics.collisions} "
                            f"[{labels}] flying on {depth.source}"))


def _wind_down(f: _Flight, status: str) -> dict:
    """Safe state (hover first after a fault, then land), the last events, close the vehicle, let participants
    finish and close the flight log; returns the participants' extra metrics and files."""
    emb = f.embodiment
    if status != "completed":
        f.events.write(Event(f.obs.t if f.obs else 0.0, "fault", {"status": status}))
    _safe_stop(emb, hover_first=status != "completed", events=f.events, t=f.obs.t if f.obs else 0.0)
    try:
        _log_events(emb.observe(), f.events, f.metrics)
    except Exception as e:  # the embodiment may be the thing that failed
        log.warning("could not read final events: %s", e)
    emb.close()
    if f.planner is not None and hasattr(f.planner, "close"):
        f.planner.close()
    extra: dict = {"metrics": {}, "files": {}}
    if f.goal is not None:
        extra["metrics"].update(f.goal.summary(getattr(f.policy, "overrides", None)))
    for p in f.participants:
        try:
            out = p.finish_run(f.run_dir)
            extra["metrics"].update(out.get("metrics", {}))
            extra["files"].update(out.get("files", {}))
        except Exception as e:
            log.error("%s could not finish its run: %s", type(p).__name__, e)
    if f.dataset is not None:
        f.dataset.close()
        extra["files"]["dataset"] = "flight.h5"
    return extra


def _why_missing(metrics: dict) -> dict[str, str]:
    """For each figure that is None, why: a depth estimator whose pixels were never valid against ground truth,
    completed by what a participant said in its ``not_available`` metric (by estimator name, e.g. how far its
    training got), or the participant's own reason for a figure of its own."""
    given = dict(metrics.get("not_available", {}))
    out = {k: v for k, v in given.items() if k in metrics}
    for key, value in metrics.items():
        if value is None and key.endswith(("_depth_abs_rel", "_depth_mae_m")):
            name = key.split("_depth_")[0]
            frames = metrics.get(f"{name}_depth_frames_evaluated", 0)
            hint = given.get(name)
            out[key] = (f"not available: {name} depth had no valid pixel against ground truth in this run "
                        f"({frames} frames scored)" + (f"; {hint}" if hint else ""))
    return out


def _not_started(run_dir: Path, mission: Mission, events: EventLog, e: Exception) -> RunResult:
    status = f"aborted: {type(e).__name__}: {e}"
    log.error("could not start the embodiment: %s", e)
    events.write(Event(0.0, "fault", {"status": status}))
    events.close()
    result = {"mission": mission.name, "seed": mission.seed, "status": status, "events": dict(events.counts)}
    write_json(run_dir / "metrics.json", result)
    return RunResult(run_dir=run_dir, metrics=result, status=status)


def _log_events(obs: Observation, events: EventLog, metrics: FlightMetrics) -> None:
    for e in obs.events:
        events.write(e)
        if e.kind == "collision":
            metrics.add_collision(DroneState.from_vector(obs.state))


def _safe_stop(embodiment: SafeFlyer, hover_first: bool, events: EventLog | None = None, t: float = 0.0) -> None:
    """Hover (after a fault), then land; if landing raises, cut the motors. Each failure is an event in
    ``events.jsonl`` (``landing_failed``, ``emergency_failed``) as well as a log line."""
    try:
        if hover_first:
            for _ in range(max(1, math.ceil(_HOVER_BEFORE_LAND_S / embodiment.dt))):
                embodiment.act(DroneCommand.hover())
        embodiment.land()
    except Exception as e:
        log.error("landing failed (%s): cutting motors", e)
        if events is not None:
            events.write(Event(t, "landing_failed", {"error": f"{type(e).__name__}: {e}"}))
        try:
            embodiment.emergency()
        except Exception as e2:
            log.error("emergency stop failed too: %s", e2)
            if events is not None:
                events.write(Event(t, "emergency_failed", {"error": f"{type(e2).__name__}: {e2}"}))


def _metrics(mission: Mission, m: FlightMetrics, emb: SafeFlyer, status: str, wall0: float) -> dict:
    out = {"mission": mission.name, "seed": mission.seed, "status": status, **m.summary(),
           "safety_interventions": dict(emb.interventions),
           "wall_time_s": round(time.perf_counter() - wall0, 2)}
    return out


def _finalise(run_dir: Path, mission: Mission, m: FlightMetrics, emb: SafeFlyer, status: str, wall0: float,
              video: VideoRecorder | None, room: dict | None, events: EventLog,
              extra: dict, flight: _Flight | None = None) -> tuple[dict[str, str], dict]:
    """Close the event log and video, write metrics, plots and report; returns (files, metrics)."""
    files: dict[str, str] = {"config": "mission.yaml", "events": "events.jsonl", "metrics": "metrics.json",
                             **extra["files"]}
    metrics = {**_metrics(mission, m, emb, status, wall0), **extra["metrics"]}
    metrics["events"] = dict(events.counts)
    if flight is not None and flight.panels:
        metrics["video_panels"] = flight.panels  # what the video shows, for a report written again later
    why = _why_missing(metrics)
    if why:
        metrics["not_available"] = why
    events.close()
    write_json(run_dir / "metrics.json", metrics)
    if video is not None and video.close() is not None:
        files["video"] = video.path.name
        plot_depth_colorbar(run_dir / "depth_colorbar.png")  # the scale of the video's depth panels
        files["depth colour scale"] = "depth_colorbar.png"
    plot_trajectory(run_dir / "trajectory.png", room, m.trajectory, m.collision_xy,
                    title=f"{mission.name}: {m.distance_m:.1f} m, {m.collisions} collisions")
    files["trajectory"] = "trajectory.png"
    if room is not None:
        files["room"] = "room.json"
    logged = read_jsonl(run_dir / "events.jsonl")
    if flight is not None and flight.series["t"]:
        s = flight.series
        marks = [(e["t"], e["kind"]) for e in logged if e.get("kind") not in _QUIET_EVENTS][:40]
        plot_series(run_dir / "timeseries.png", s["t"], {k: v for k, v in s.items() if k != "t"}, marks=marks,
                    title=f"{mission.name}: speed, altitude, commands and depth error over time")
        files["time series"] = "timeseries.png"
    write_report(run_dir / "report.html", mission.name, metrics, files,
                 video_title=(flight.panels if flight is not None and flight.panels else "Camera and depth"),
                 events=logged)
    return files, metrics
